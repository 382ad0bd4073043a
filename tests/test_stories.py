from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from khabar import compare, scan
from khabar.article import Article
from khabar.clean import clean_articles
from khabar.reuse import find_pairs
from khabar.stem import stem, stems
from khabar.stories.build import build_stories
from khabar.stories.wires import wire_credits
from khabar.times import article_time
from tests.conftest import SEED_A, SEED_B


def test_light_stemmer() -> None:
    assert stem("والمفاوضات") == "مفاوض"
    assert stem("بالحكومه") == "حكوم"
    assert stem("الرئيس") == "رءيس" or stem("الرءيس") == "رءيس"
    assert stem("2018") == "2018" and stem("trump") == "trump"
    assert stem("من") == "من"  # too short to strip
    assert "في" not in stems("قال في البيان")


def test_seeds_bodies_share_a_story_and_the_appended_article_has_its_own(tmp_path: Path) -> None:
    result = scan([SEED_A.parent], out=tmp_path)
    stories = [json.loads(x) for x in (tmp_path / "stories.jsonl").read_text().splitlines()]
    assert len(stories) == 2
    main = next(s for s in stories if len({m["article"] for m in s["members"]}) == 2)
    other = next(s for s in stories if s is not main)
    b = next(a for a in result.articles if a.id.endswith(SEED_B.name))
    appended = [k for k, s in enumerate(b.segments) if s.kind == "appended"]
    assert [(m["article"], m["segment"]) for m in other["members"]] == [(b.id, appended[0])]
    assert "رويترز" in other["wires"]
    # every body and appended segment is in exactly one story
    members = [(m["article"], m["segment"]) for s in stories for m in s["members"]]
    expected = [(a.id, k) for a in result.articles for k, s in enumerate(a.segments) if s.kind != "boilerplate"]
    assert sorted(members) == sorted(expected)
    # 002 has a date line; 000 has no time: 002 is first and 000's copy is traced to it
    assert main["first"] == b.id
    assert {p["from"] for p in main["provenance"]} == {b.id}


def test_date_line_is_inferred_and_reported() -> None:
    a = Article(id="x", text=SEED_B.read_text(encoding="utf-8"))
    t, source = article_time(a)
    assert source == "text" and t is not None and (t.year, t.month, t.day) == (2025, 1, 5)
    a.published = "2025-01-04T10:00:00+03:00"
    assert article_time(a)[1] == "published"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("تاريخ النشر: 16/02/2018 - 10:30", (2018, 2, 16, 10, 30)),
        ("نشر في: الجمعة 16 فبراير 2018", (2018, 2, 16, 0, 0)),
        ("نشر في: منذ 3 ساعات", None),  # relative: it would be the day of the run's
        ("published: 3 hours ago", None),
        ("تاريخ النشر: 16 فبراير", None),  # no year: it would be the run's year
        ("بتاريخ: 10:30", None),  # no date at all: it would be the run's day
    ],
)
def test_only_whole_dates_count_never_the_day_of_the_run(line: str, expected: tuple | None) -> None:
    text = f"عنوان الخبر\n{line}\nقال المتحدث إن الاجتماع انتهى دون اتفاق على موعد جديد للمحادثات."
    t, source = article_time(Article(id="x", text=text))
    assert (None if t is None else (t.year, t.month, t.day, t.hour, t.minute)) == expected
    assert source == (None if expected is None else "text")


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 31),
    st.integers(1, 13),
    st.integers(1990, 2035),
    st.sampled_from(["/", "-", "."]),
    st.one_of(st.none(), st.tuples(st.integers(0, 24), st.integers(0, 59), st.one_of(st.none(), st.integers(0, 59)))),
    st.sampled_from([" ", " - ", ", ", "T", " – "]),
    st.booleans(),
)
def test_numeric_dates_are_read_as_dateparser_reads_them(day, month, year, sep, clock, gap, pad) -> None:  # noqa: ANN001
    """The fast path for day-first numeric dates gives dateparser's answer (None included)."""
    from khabar.times import parse_date, parse_free

    text = f"{day:02d}{sep}{month:02d}{sep}{year}" if pad else f"{day}{sep}{month}{sep}{year}"
    if clock is not None:
        hour, minute, second = clock
        text += f"{gap}{hour:02d}:{minute:02d}" + ("" if second is None else f":{second:02d}")
    assert parse_date(text) == parse_free(text), text


def test_a_published_field_that_is_not_iso_is_read_as_a_date_and_counted_when_it_is_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "قال المتحدث إن الاجتماع انتهى دون اتفاق على موعد جديد للمحادثات."
    a = Article(id="a", text=text, published="16/02/2018")
    assert article_time(a) == (datetime(2018, 2, 16, tzinfo=UTC), "published")
    assert article_time(Article(id="b", text=text, published="yesterday")) == (None, None)
    for beyond in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00"):  # no time in UTC: none at all
        assert article_time(Article(id="c", text=text, published=beyond)) == (None, None)
    src = tmp_path / "in.jsonl"
    rows = [{"id": "a", "text": text, "published": "16/02/2018"}, {"id": "b", "text": text, "published": "أمس"}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    summary = scan([str(src)], out=tmp_path / "out", warn=True).summary
    assert summary["published_unreadable"] == 1 and summary["times_inferred_from_text"] == 0
    err = capsys.readouterr().err
    assert f"khabar: {src}:2: published 'أمس' is not a date khabar can read" in err
    assert "16/02/2018" not in err


def test_unreadable_published_values_are_named_up_to_a_limit_then_counted() -> None:
    from khabar.times import SHOWN_UNREADABLE, unreadable_notices

    first = [(f"f.jsonl:{k}", "قريبا") for k in range(1, 40)]
    lines = unreadable_notices(first, 39)
    assert len(lines) == SHOWN_UNREADABLE + 1
    assert lines[0] == "khabar: f.jsonl:1: published 'قريبا' is not a date khabar can read (time from the text, if any)"
    assert lines[-1].startswith(f"khabar: {39 - SHOWN_UNREADABLE} more articles whose published is not a date")
    assert unreadable_notices(first[:2], 2) == lines[:2]
    assert unreadable_notices([], 0) == []


def test_wire_credits() -> None:
    a = Article(id="x", text="القاهرة - (رويترز) - قال مسؤول إن المحادثات ستستأنف غدا في العاصمة المصرية.\nنص آخر")
    assert wire_credits(a) == ["رويترز"]
    b = Article(id="y", text="نص الخبر الطويل عن الاجتماع الذي عقد أمس في الرياض بين الوزراء\n(واس)")
    assert wire_credits(b) == ["واس"]
    c = Article(id="z", text="نص\nالمصدر: صحيفة الحياة")
    assert wire_credits(c) == ["صحيفة الحياة"]


def _variants(ant: list[dict]) -> list[Article]:
    """Copies and rewrites of a few ANT articles over days, plus the unrelated rest."""
    arts = []
    for k, d in enumerate(ant):
        arts.append(
            Article(
                id=f"orig{k}",
                text=d["text"],
                title=d["title"],
                source=d["source"],
                published=f"2018-05-{10 + k:02}T08:00:00+00:00",
            )
        )
        paras = [p for p in d["text"].split("\n") if p.strip()]
        arts.append(
            Article(
                id=f"copy{k}",
                text="\n".join(paras[: max(2, len(paras) // 2)]),
                title=d["title"],
                source="other",
                published=f"2018-05-{10 + k:02}T15:00:00+00:00",
            )
        )
        arts.append(
            Article(
                id=f"late{k}",
                text=d["text"],
                title=d["title"],
                source="late",
                published=f"2018-08-{10 + k:02}T08:00:00+00:00",
            )
        )  # months later: another story
    arts.append(Article(id="untimed0", text=ant[0]["text"], title=ant[0]["title"]))
    return arts


def _stories(arts: list[Article], batches: int = 1) -> dict[str, frozenset[str]]:
    from khabar.stories.cluster import StoryIndex
    from khabar.stories.features import story_units

    clean_articles(arts)
    index = StoryIndex()
    chunks = [arts[i::batches] for i in range(batches)]
    for chunk in chunks:
        units = [u for a in chunk for u in story_units(a, arts.index(a), article_time(a)[0])]
        index.add(units)
    return {sid: frozenset(u.article_id for u in members) for sid, members in index.stories().items()}


def test_clustering_is_order_independent_and_incremental(ant: list[dict]) -> None:
    arts = _variants(ant)
    batch = _stories(list(arts))
    shuffled = list(arts)
    random.Random(5).shuffle(shuffled)
    assert _stories(shuffled) == batch
    assert _stories(shuffled, batches=3) == batch
    assert _stories(list(reversed(arts)), batches=7) == batch
    by_member = {m: sid for sid, ms in batch.items() for m in ms}
    for k in range(len(ant)):
        assert by_member[f"orig{k}"] == by_member[f"copy{k}"]
        if k:  # (untimed0, a copy of orig0 with no time, may join both ends of article 0's timeline)
            assert by_member[f"orig{k}"] != by_member[f"late{k}"]
    assert len({by_member[f"orig{k}"] for k in range(len(ant))}) == len(ant)


def test_untimed_article_is_never_first(ant: list[dict]) -> None:
    arts = _variants(ant)
    clean_articles(arts)
    reuse = find_pairs(arts)
    result = build_stories(arts, reuse.pairs, reuse.sizes)
    story = next(s for s in result.stories if any(m["article"] == "untimed0" for m in s["members"]))
    assert story["first"] == "orig0"
    assert all(p["article"] != "orig0" for p in story["provenance"])  # the first publisher copied nobody


@pytest.mark.parametrize("same", [True, False])
def test_compare_reports_story_relation_without_passages(ant: list[dict], same: bool) -> None:
    d = ant[3]
    paras = [p for p in d["text"].split("\n") if p.strip()]
    # the same event told in other words: same names and numbers, no 8-word run in common
    words = " ".join(paras).split()
    rewritten = " ".join(w for k, w in enumerate(words) if k % 2 == 0)
    a = Article(id="a", text=d["text"], title=d["title"], published="2018-05-10T08:00:00+00:00")
    b = Article(
        id="b",
        text=rewritten if same else ant[5]["text"],
        title=d["title"] if same else ant[5]["title"],
        published="2018-05-10T12:00:00+00:00",
    )
    pair = compare(a, b)
    assert pair["passages"] == [] and pair["relation"] == "none"
    assert pair["same_story"] is same
    assert 0.0 <= pair["story_similarity"] <= 1.0


def test_average_linkage_does_not_chain_through_one_bridge() -> None:
    from khabar.stories.cluster import average_linkage

    # two tight stories {0,1,2} and {3,4,5}; unit 2 also links weakly to unit 3
    links = {(0, 1): 0.6, (0, 2): 0.5, (1, 2): 0.55, (3, 4): 0.6, (3, 5): 0.5, (4, 5): 0.55, (2, 3): 0.3}
    roots = average_linkage(6, links, join=0.08)
    assert len({roots[0], roots[1], roots[2]}) == 1 and len({roots[3], roots[4], roots[5]}) == 1
    assert roots[0] != roots[3]  # single linkage (connected components) would merge them
    links[(1, 4)] = links[(0, 5)] = links[(1, 3)] = 0.3  # many cross links: now one story
    roots = average_linkage(6, links, join=0.08)
    assert len(set(roots)) == 1


def test_story_vectors_equal_the_reference_tf_idf(ant: list[dict]) -> None:
    """story_units computes weights from the view's hashed words; they must be term_weights over the
    unit's own text, term for term (with diacritics, tatweel and an appended article in the mix)."""
    import numpy as np

    from khabar.stories.features import story_units, term_weights

    arts = [Article(id=f"a{k}", text=d["text"], title=d["title"], source=d["source"]) for k, d in enumerate(ant)]
    arts.append(
        Article(
            id="marks",
            text="قالَـــت الوزارةُ إن الأميركيين وصلوا.\n"
            + ant[0]["text"]
            + "\nاقرأ أيضاً\n"
            + ant[1]["title"]
            + "\n"
            + ant[1]["text"],
            title="عنوان «الخبر»",
        )
    )
    odd = "تقرير_خاص عن 2018 و٣ من COVID-19: كلمة\u200cمركبة، الوزيرُ والوزير ² ½ Ⅻ x²"  # underscores, digits, marks
    arts.append(Article(id="odd", text=odd + "\n" + ant[2]["text"], title=odd))
    clean_articles(arts)
    checked = 0
    for k, a in enumerate(arts):
        for u in story_units(a, k, None):
            text = "\n".join(a.text[a.segments[s].start : a.segments[s].end] for s in u.segments)
            ref = term_weights(u.title, text)
            np.testing.assert_array_equal(u.weights.ids, ref.ids)
            np.testing.assert_allclose(u.weights.values, ref.values, rtol=0, atol=1e-12)
            title = term_weights(u.title, "")
            assert u.title_weights is not None
            np.testing.assert_array_equal(u.title_weights.ids, title.ids)
            np.testing.assert_allclose(u.title_weights.values, title.values, rtol=0, atol=1e-12)
            checked += 1
    assert checked > len(arts)  # appended units were checked too


def test_compiled_story_vectors_equal_the_numpy_reference_bit_for_bit(ant: list[dict], monkeypatch) -> None:  # noqa: ANN001
    """The hash-table kernel gives exactly the numpy path's vectors, batch by batch, while its table
    grows from empty, and after it is cleared for bounded memory (a tiny limit forces that)."""
    import numpy as np

    from khabar.stories import features

    arts = [Article(id=f"a{k}", text=d["text"], title=d["title"], source=d["source"]) for k, d in enumerate(ant)]
    arts += [
        Article(
            id=f"m{k}", text=f"{ant[k % 8]['text']}\nاقرأ أيضاً\n{ant[(k + 3) % 8]['title']}\n{ant[(k + 3) % 8]['text']}"
        )
        for k in range(8)
    ]
    arts.append(Article(id="empty", text="١٢ | ٣٤", title=""))
    clean_articles(arts)
    items = [(a, k, None) for k, a in enumerate(arts)]
    monkeypatch.setattr(features, "_TABLE", features._features_kernel.TermTable())
    for limit in (features._TABLE_LIMIT, 300):
        monkeypatch.setattr(features, "_TABLE_LIMIT", limit)
        for lo in range(0, len(items), 5):
            got = features.story_units_of(items[lo : lo + 5])
            want = features.story_units_of_reference(items[lo : lo + 5])
            assert [len(g) for g in got] == [len(w) for w in want]
            for g, w in zip((u for us in got for u in us), (u for us in want for u in us), strict=True):
                for a, b in ((g.weights, w.weights), (g.title_weights, w.title_weights)):
                    assert a.ids.dtype == b.ids.dtype and a.values.dtype == b.values.dtype
                    assert np.array_equal(a.ids, b.ids) and np.array_equal(a.values, b.values)
        assert len(features._TABLE) <= max(limit, 2000)


def test_term_table_holds_what_was_inserted_through_growth() -> None:
    import numpy as np
    from khabar.stories._features_kernel import TermTable, unit_terms

    rng = np.random.default_rng(5)
    keys = np.unique(np.concatenate([rng.integers(0, 2**64, 100_000, dtype=np.uint64), np.array([0], np.uint64)]))
    table = TermTable()
    half = len(keys) // 2
    table.insert(keys[:half], np.arange(half, dtype=np.int64), np.arange(half, dtype=np.float64) / 2)
    assert len(table) == half
    assert np.array_equal(table.missing(keys), np.arange(half, len(keys)))
    table.insert(keys, np.arange(len(keys), dtype=np.int64) % 7 - 1, np.ones(len(keys)))  # replaces the first half
    assert len(table) == len(keys) and table.missing(keys).size == 0
    bounds = np.array([0, 3, 3, len(keys)], dtype=np.int64)
    (ids, tf, idf, b), _ = unit_terms(table, keys, bounds, keys[:0], np.zeros(4, np.int64), 2.0)
    tids = np.arange(len(keys)) % 7 - 1
    for k in range(3):
        mine = tids[bounds[k] : bounds[k + 1]]
        want_ids, want_tf = np.unique(mine[mine >= 0], return_counts=True)
        assert np.array_equal(ids[b[k] : b[k + 1]], want_ids) and np.array_equal(tf[b[k] : b[k + 1]], want_tf)
    table.clear()
    assert len(table) == 0 and table.missing(keys).size == len(keys)


def test_wire_credits_from_split_lines_and_units() -> None:
    from khabar.clean.lines import split_lines

    text = "نص الخبر الطويل عن الاجتماع\nوقال مسؤول لوكالة فرانس برس إن\n(أ ف ب)\nاقرأ أيضاً\nعنوان\nنص (رويترز)"
    a = Article(id="w", text=text)
    clean_articles([a], learn_templates=False)
    lines = split_lines(a.text, a.text_view())
    for segs in a.units().values():
        assert wire_credits(a, segs, lines) == wire_credits(a, segs)
    assert wire_credits(a, None, lines) == wire_credits(a) == ["أ ف ب", "رويترز"]


_CREDIT_PIECES = [
    "نص الخبر",
    *("(أ ف ب)", "رويترز", "المصدر: صحيفة الحياة", "نقلاً عن الوكالة", "source: AP", "واس", "أ.ف.ب"),
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([*_CREDIT_PIECES, "قال", "اليوم", "\n", " "]), max_size=30))
def test_may_credit_is_false_only_when_nothing_is_credited(pieces: list[str]) -> None:
    from khabar.stories.wires import may_credit

    a = Article(id="m", text=" ".join(pieces))
    clean_articles([a], learn_templates=False)
    if not may_credit(a.text, a.text_view().norm.text):
        assert wire_credits(a) == [] and all(wire_credits(a, segs) == [] for segs in a.units().values())
    if any(p in a.text for p in _CREDIT_PIECES[1:]):
        assert may_credit(a.text, a.text_view().norm.text)


def _reference_stem(word: str) -> str:
    """light10 as written in khabar.stem's docstring, affix tables scanned in order."""
    from khabar.stem import ARTICLE_PREFIXES, MIN_STEM, SINGLE_PREFIXES, SUFFIXES

    if not word or not ("\u0621" <= word[0] <= "\u064a"):
        return word
    w = word
    for p in ARTICLE_PREFIXES:
        if w.startswith(p) and len(w) - len(p) >= MIN_STEM - 1:
            w = w[len(p) :]
            break
    else:
        if len(w) > MIN_STEM + 1 and w[0] in SINGLE_PREFIXES:
            w = w[1:]
    for s in SUFFIXES:
        if w.endswith(s) and len(w) - len(s) >= MIN_STEM:
            w = w[: -len(s)]
            break
    return w


@settings(max_examples=800)
@given(st.text(alphabet="اولبكفتنهيمسءa1\u0620\u0621\u064a\u064bى", max_size=9))
def test_stemmer_equals_the_reference_scan(word: str) -> None:
    from khabar.stem import stem_reference

    assert stem.__wrapped__(word) == _reference_stem(word)  # the compiled stemmer
    assert stem_reference(word) == _reference_stem(word)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 30),
    st.lists(
        st.tuples(st.integers(0, 29), st.integers(0, 29), st.sampled_from([0.05, 0.1, 0.2, 0.25, 0.3, 0.5, 1.0])),
        max_size=120,
    ),
    st.sampled_from([0.08, 0.2, 0.3]),
)
def test_compiled_average_linkage_equals_the_python_reference(n: int, raw: list, join: float) -> None:
    """Exact weights repeat on purpose: ties and equal averages must break the same way."""
    import numpy as np

    from khabar.stories.cluster import average_linkage_arrays, average_linkage_reference

    links = {(min(i, j) % n, max(i, j) % n): w for i, j, w in raw if i % n != j % n}
    links = {(i, j): w for (i, j), w in links.items() if i < j}
    lo = np.array([i for i, _ in links], np.int64)
    hi = np.array([j for _, j in links], np.int64)
    w = np.array(list(links.values()), np.float64)
    assert average_linkage_arrays(n, lo, hi, w, join) == average_linkage_reference(n, lo, hi, w, join)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12), st.floats(-1, 1, allow_nan=False)), max_size=60))
def test_link_arrays_sum_like_a_dict(raw: list[tuple[int, int, float]]) -> None:
    import numpy as np

    from khabar.stories.cluster import _sum_links

    raw = [(min(i, j), max(i, j), w) for i, j, w in raw if i != j]
    expected: dict[tuple[int, int], float] = {}
    for i, j, w in raw:
        expected[(i, j)] = expected.get((i, j), 0.0) + w
    lo, hi, w = _sum_links(
        np.array([r[0] for r in raw], np.int64), np.array([r[1] for r in raw], np.int64), np.array([r[2] for r in raw])
    )
    assert list(zip(zip(lo.tolist(), hi.tolist(), strict=True), w.tolist(), strict=True)) == list(expected.items())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**63 - 1) | st.integers(0, 30), max_size=300))
def test_term_ranks_equal_numpy_unique(ids: list[int]) -> None:
    import numpy as np

    from khabar.stories.link import _ranks

    arr = np.array(ids, dtype=np.int64)
    terms, inverse = np.unique(arr, return_inverse=True)
    n, ranks = _ranks(arr)
    assert n == len(terms) and np.array_equal(ranks, inverse.ravel()) and ranks.dtype == np.int64


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(["رويترز", "قناة", "واسع", "ب", " ", "-", "(", ")", "_", "x", "afp", "afpx", "وكالات", "تاس"])
        | st.text(max_size=3),
        max_size=10,
    )
)
def test_agency_prefilter_gives_the_plain_search(parts: list[str]) -> None:
    from khabar.normalize import normalize_text
    from khabar.stories.wires import _ANY_AGENCY, mentions_agency

    for line in ("".join(parts), normalize_text(" ".join(parts))):
        assert mentions_agency(line) == bool(_ANY_AGENCY.search(line))


def test_compiled_average_linkage_equals_the_reference_on_large_dense_graphs() -> None:
    """Hundreds of nodes with dozens of neighbours each: the compiled maps grow, shrink and wrap around."""
    import numpy as np

    from khabar.stories.cluster import average_linkage_arrays, average_linkage_reference

    for seed in range(3):
        rng = np.random.default_rng(seed)
        n = 400
        key = np.unique(rng.integers(0, n, 6000) * n + rng.integers(0, n, 6000))
        lo, hi = key // n, key % n
        keep = lo < hi
        lo, hi = lo[keep], hi[keep]
        w = np.round(rng.random(len(lo)) ** 2, 2)  # repeated weights: ties
        got = average_linkage_arrays(n, lo, hi, w, 0.08)
        assert got == average_linkage_reference(n, lo, hi, w, 0.08)
        assert 1 < len(set(got)) < n


def test_each_lexical_link_is_computed_once_and_equals_the_all_pairs_product(ant: list[dict]) -> None:
    """Blocks meet only the columns no other block covers; the links (and their weights, bit for
    bit) are those of every row against every unit, for a scan and for units added later."""
    import numpy as np

    from khabar.stories.features import story_units
    from khabar.stories.link import LinkParams, _block_link_arrays, _matrix, lexical_link_arrays

    rng = random.Random(4)
    arts = []
    for k in range(90):
        d = ant[k % len(ant)]
        paras = [x for x in d["text"].split("\n") if x.strip()]
        keep = [x for x in paras if rng.random() < 0.7] or paras[:1]
        day = rng.choice([None, 1, 1, 2, 3, 5, 9])  # ties in time, untimed units, several windows
        published = None if day is None else f"2018-05-{day:02}T{rng.randint(0, 23):02}:00:00+00:00"
        arts.append(Article(id=f"u{k}", text="\n".join(keep), title=d["title"], source=f"s{k}", published=published))
    clean_articles(arts)
    units = [u for k, a in enumerate(arts) for u in story_units(a, k, article_time(a)[0])]
    p = LinkParams(block=7)
    for new_from in (0, 50):

        def links(parts: object) -> dict[tuple[int, int], float]:
            out: dict[tuple[int, int], float] = {}
            for lo, hi, w in parts:  # type: ignore[attr-defined]
                for key, value in zip(zip(lo.tolist(), hi.tolist(), strict=True), w.tolist(), strict=True):
                    assert key not in out  # once
                    out[key] = value
            return out

        got = links(lexical_link_arrays(units, p, new_from=new_from, jobs=1))
        x, titles = _matrix([u.weights for u in units]), _matrix([u.title_weights for u in units])
        ts = np.array([u.timestamp if u.time else np.nan for u in units], dtype=np.float64)
        everything = np.arange(len(units))
        want = links(
            _block_link_arrays(x, titles, ts, np.arange(s, min(len(units), s + 7)), everything, new_from, p)
            for s in range(new_from, len(units), 7)
        )
        assert got == want and len(got) > 50


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.05, 0.3]))
def test_compiled_block_similarities_equal_the_sparse_product(seed: int, floor: float) -> None:
    """Every (row, column) pair at or above the floor with the sparse product's value, bit for bit."""
    import numpy as np

    from khabar.stories.link import block_similarities, block_similarities_reference

    rng = np.random.default_rng(seed)
    x = _random_rows(rng)
    n = len(x)
    rows = rng.choice(n, int(rng.integers(1, n + 1)), replace=False)
    cols = rng.choice(n, int(rng.integers(1, n + 1)), replace=False)
    got = list(zip(*(a.tolist() for a in block_similarities(x, rows, cols, floor)), strict=True))
    want = list(zip(*(a.tolist() for a in block_similarities_reference(x, rows, cols, floor)), strict=True))
    assert sorted(got) == sorted(want)  # the same pairs and values, bit for bit ...
    # ... and in the order of the compiled product's running sums: by row, then each column as the
    # row's terms first reach it (scipy's product sorts the columns of a row)
    assert [i for i, _, _ in got] == sorted(i for i, _, _ in got)
    for i in {i for i, _, _ in got}:
        first = {}
        for k in range(x.indptr[rows[i]], x.indptr[rows[i] + 1]):
            for j in range(len(cols)):
                c = cols[j]
                if x.indices[k] in x.indices[x.indptr[c] : x.indptr[c + 1]]:
                    first.setdefault(j, len(first))
        mine = [j for r, j, _ in got if r == i]
        assert mine == sorted(mine, key=first.__getitem__)


def _random_rows(rng: object) -> object:
    """L2-normalized sparse rows (about a fifth of their terms present) as :class:`Rows`."""
    import numpy as np
    from scipy import sparse

    from khabar.stories.link import Rows

    n, terms = int(rng.integers(1, 60)), int(rng.integers(1, 40))  # type: ignore[attr-defined]
    dense = rng.random((n, terms)) * (rng.random((n, terms)) < 0.2)  # type: ignore[attr-defined]
    m = sparse.csr_matrix(dense / np.maximum(1e-9, np.linalg.norm(dense, axis=1, keepdims=True)))
    return Rows(m.indptr.astype(np.int64), m.indices.astype(np.int64), m.data.astype(np.float64), terms)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_compiled_pair_dots_equal_the_sparse_row_sums(seed: int) -> None:
    """Each pair's dot product as scipy's element-wise product summed by row gives it, bit for bit
    (the common terms' products added by ``np.add.reduceat``; pairs without one are 0)."""
    import numpy as np

    from khabar.stories.link import pair_dots, pair_dots_reference

    rng = np.random.default_rng(seed)
    x = _random_rows(rng)
    m = int(rng.integers(0, 80))
    a, b = rng.integers(0, len(x), m), rng.integers(0, len(x), m)
    assert pair_dots(x, a, b).tolist() == pair_dots_reference(x, a, b).tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="كتبالمدرسةx\U0001f600\ud800", max_size=8), max_size=20))
def test_term_ids_of_many_stems_equal_one_at_a_time(terms: list[str]) -> None:
    """The compiled term ids (BLAKE2b, big-endian, >> 1) and the cached IDFs, batch against single."""
    from khabar.stories import features

    features._TERMS.clear()
    ids, idfs = features._terms(terms)
    features._TERMS.clear()
    assert list(zip(ids.tolist(), idfs.tolist(), strict=True)) == [features._term(t) for t in terms]
    assert list(zip(*(a.tolist() for a in features._terms(terms)), strict=True)) == [features._term(t) for t in terms]


def test_compiled_word_terms_equal_the_reference(ant: list[dict], monkeypatch: pytest.MonkeyPatch) -> None:
    """Function words, repeated words, words with and without affixes, a word the IDF table lacks and
    one with a lone surrogate: the word table learns the term ids and IDFs of the Python path (stems
    and term ids computed in C from the units' views, function words by their hashes)."""
    import numpy as np

    from khabar.normalize import normalize_text
    from khabar.stem import STOPWORDS
    from khabar.stories import features
    from khabar.words import view

    texts = [normalize_text(d["text"]) for d in ant[:4]] + ["كتبوغايةمجهولةجدا والمدرستين x\ud800y ٣"]
    views = [view(t) for t in texts]
    idx = [np.arange(k % 2, len(v.words), 2, dtype=np.int64) for k, v in enumerate(views)]  # every other word
    words = [v.norm.text[v.words.starts[j] : v.words.ends[j]] for v, i in zip(views, idx, strict=True) for j in i]
    assert any(w in STOPWORDS for w in words) and len(set(words)) < len(words)
    assert any(features.stem(w) not in features.idf_table().idf for w in words if w not in STOPWORDS)
    text_words = list(zip(views, idx, strict=True))
    hashes = np.concatenate([v.words.hashes[i] for v, i in text_words]).astype(np.uint64)
    bounds = np.concatenate([[0], np.cumsum([len(i) for i in idx])]).astype(np.int64)
    for limit in (features._TABLE_LIMIT, 3):  # a table that starts afresh when full
        monkeypatch.setattr(features, "_TABLE", features._features_kernel.TermTable())
        monkeypatch.setattr(features, "_TABLE_LIMIT", limit)
        features._learn_words(hashes, bounds, text_words)
        want = features._word_terms_reference(words)
        got_t, got_i = [], []
        for h in hashes.tolist():  # read the table back through unit_terms' lookups
            one = np.array([h], dtype=np.uint64)
            (ids, tf, idf, b), _ = features._features_kernel.unit_terms(
                features._TABLE, one, np.array([0, 1]), np.zeros(0, np.uint64), np.array([0, 0]), 2.0
            )
            got_t.append(int(ids[0]) if len(ids) else -1)
            got_i.append(float(idf[0]) if len(ids) else 0.0)
        assert got_t == want[0].tolist() and got_i == want[1].tolist()
        assert (want[0] == -1).any() and (want[0] >= 0).any()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="اب ة1٣.\n\u2028-أإ", max_size=12), max_size=8))
def test_headlines_in_one_view_have_the_words_of_each_alone(headlines: list[str]) -> None:
    from khabar.stories.features import _headline_view, _headline_views

    together = _headline_views(headlines)
    assert len(together) == len(headlines)
    for h, (v, idx) in zip(headlines, together, strict=True):
        alone, all_words = _headline_view(h)
        assert v.words.hashes[idx].tolist() == alone.words.hashes[all_words].tolist()
        starts, ends = v.words.starts[idx].tolist(), v.words.ends[idx].tolist()
        got = [v.norm.text[s:e] for s, e in zip(starts, ends, strict=True)]
        want = [
            alone.norm.text[s:e] for s, e in zip(alone.words.starts.tolist(), alone.words.ends.tolist(), strict=True)
        ]
        assert got == want


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.booleans(), max_size=30),  # which lines are blank
    st.lists(st.integers(1, 5), min_size=1, max_size=6),  # segment lengths, in lines
    st.lists(st.integers(0, 5), max_size=4),  # the unit's segments (indices, any order)
    st.booleans(),
)
def test_unit_lines_are_the_non_blank_lines_starting_in_its_segments(
    blank: list[bool], lengths: list[int], picked: list[int], whole: bool
) -> None:
    from khabar.article import Segment
    from khabar.clean.lines import Line
    from khabar.stories.wires import EDGE_LINES, _edge_lines, _unit_lines

    lines = [Line(k, k + 1, "" if b else "x", 0 if b else 1, "blank" if b else "body") for k, b in enumerate(blank)]
    bounds = [0]
    for n in lengths:
        bounds.append(bounds[-1] + n)
    segments = [Segment(a, b, "body") for a, b in zip(bounds, bounds[1:], strict=False)]
    chosen = None if whole else [segments[k % len(segments)] for k in dict.fromkeys(picked)]
    want = [ln for ln in lines if not ln.blank and (chosen is None or any(s.start <= ln.start < s.end for s in chosen))]
    assert _unit_lines(lines, chosen) == want
    # what credits are looked for in: the first and last lines, found from either end
    edge = want[:EDGE_LINES] + want[-EDGE_LINES:] if len(want) > 2 * EDGE_LINES else want
    assert _edge_lines(lines, chosen) == edge


HEADLINE_CHARS = st.sampled_from(
    list("ابتثجحخدذرزسشصضطظعغفقكلمنهويأإآىةؤئ ٠١٢abc\n\r\t.،-")
    + ["\u064b", "\u0651", "\u0640", "\u0653", "\u0654", "\u200f", "\ufefb", "\ufdf2", "أميركي", "ﻻ"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(HEADLINE_CHARS, max_size=30).map("".join), max_size=12))
def test_headlines_normalized_together_have_the_words_of_each_normalized_alone(headlines: list[str]) -> None:
    """A batch's headlines are joined and normalized at once (marks, ligatures, tatweel, line breaks
    inside a headline, respellings, empty ones): each headline's words are those of normalizing it
    on its own."""
    from khabar.stories.features import _headline_views, _headline_views_reference

    def words(views: list) -> list[list[str]]:
        return [
            [v.norm.text[s:e] for s, e in zip(v.words.starts[idx].tolist(), v.words.ends[idx].tolist(), strict=True)]
            for v, idx in views
        ]

    assert words(_headline_views(headlines)) == words(_headline_views_reference(headlines))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**63 - 1), max_size=40), st.integers(0, 6000), st.integers(1, 60))
def test_term_ranks_by_hash_table_equal_the_sorted_ranks(ids: list[int], spread: int, repeat: int) -> None:
    """The story matrices' columns number the term ids in order of id: by a hash table of the
    distinct ids (grown past its first sizes here) and a sort of them alone, as by sorting them all."""
    import numpy as np

    from khabar.stories.link import _ranks, _ranks_reference

    rng = np.random.default_rng(spread)
    many = rng.integers(0, 2**63 - 1, size=spread, dtype=np.int64)
    x = np.concatenate([np.array(ids, dtype=np.int64), np.tile(many, repeat % 3 + 1)[: spread * repeat]])
    rng.shuffle(x)
    n, ranks = _ranks(x)
    want_n, want = _ranks_reference(x)
    assert n == want_n == len(set(x.tolist()))
    assert ranks.tolist() == want.tolist()
