"""Reuse finding: each way outlets copy must be found, down to the passage; noise must not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from khabar import compare, scan
from khabar.align import align_units
from khabar.article import Article
from khabar.clean import clean_articles
from khabar.fingerprint import article_units
from khabar.reuse import find_pairs
from tests.conftest import cleaned


def paragraphs(doc: dict) -> list[str]:
    return [p for p in doc["text"].split("\n") if p.strip()]


def pair_of(a: str, b: str) -> dict:
    return compare(Article(id="a", text=a), Article(id="b", text=b))


def covered(text: str, spans: list[tuple[int, int]], needle: str) -> float:
    """Share of the non-space characters of ``needle`` (in ``text``) inside ``spans``."""
    start = text.index(needle)
    idx = [i for i in range(start, start + len(needle)) if not text[i].isspace()]
    inside = sum(1 for i in idx if any(s <= i < e for s, e in spans))
    return inside / len(idx)


def a_spans(pair: dict) -> list[tuple[int, int]]:
    return [(p["a_start"], p["a_end"]) for p in pair["passages"]]


def b_spans(pair: dict) -> list[tuple[int, int]]:
    return [(p["b_start"], p["b_end"]) for p in pair["passages"]]


def test_unrelated_articles_share_nothing(ant: list[dict]) -> None:
    arts = [Article(id=d["id"], text=d["text"], source=d["source"]) for d in ant]
    clean_articles(arts)
    pairs = find_pairs(arts).pairs
    assert pairs == []


def test_exact_copy_is_duplicate(ant: list[dict]) -> None:
    pair = pair_of(ant[0]["text"], ant[0]["text"])
    assert pair["relation"] == "duplicate"
    assert pair["coverage_a"] == pair["coverage_b"] == 1.0
    assert pair["similarity"] == 1.0


def test_copied_paragraph_inside_unrelated_article(ant: list[dict]) -> None:
    host = paragraphs(ant[1])
    para = max(paragraphs(ant[0]), key=len)
    mixed = "\n".join(host[:2] + [para] + host[2:])
    pair = pair_of(ant[0]["text"], mixed)
    assert pair["relation"] == "overlap"
    assert len(pair["passages"]) == 1
    assert covered(mixed, b_spans(pair), para) > 0.95
    assert covered(ant[0]["text"], a_spans(pair), para) > 0.95
    for other in host:  # nothing of the host is claimed
        assert covered(mixed, b_spans(pair), other) == 0


def test_truncated_copy_is_contained(ant: list[dict]) -> None:
    paras = paragraphs(ant[2])
    short = "\n".join(paras[: len(paras) // 2 + 1])
    pair = pair_of(ant[2]["text"], short)
    assert pair["relation"] == "contains"
    assert pair["coverage_b"] > 0.95


def test_copy_under_new_lead(ant: list[dict]) -> None:
    lead = paragraphs(ant[3])[0]
    copy = "\n".join([lead, *paragraphs(ant[4])])
    pair = pair_of(ant[4]["text"], copy)
    assert pair["relation"] in ("contained_in", "near_duplicate")
    assert covered(copy, b_spans(pair), lead) < 0.1
    assert pair["coverage_a"] > 0.95


SYNONYMS = {"قال": "أوضح", "وقال": "وأوضح", "أكد": "شدد", "وأكد": "وشدد", "أن": "بأن", "إن": "بأن"}
NUMBER_WORDS = {"2": "اثنين", "3": "ثلاثة", "4": "أربعة", "5": "خمسة", "10": "عشرة"}


def lightly_edit(text: str) -> str:
    out = []
    for p in text.split("\n"):
        sentences = re.split(r"(?<=[.!؟])\s+", p)
        if len(sentences) > 2:
            del sentences[1]  # drop a sentence
        p = " ".join(sentences)
        p = " ".join(SYNONYMS.get(w, NUMBER_WORDS.get(w, w)) for w in p.split(" "))
        out.append(p)
    return "\n".join(out)


def test_lightly_edited_copy(ant: list[dict]) -> None:
    src = ant[5]["text"]
    edited = lightly_edit(src)
    assert edited != src
    pair = pair_of(src, edited)
    assert pair["relation"] in ("near_duplicate", "contains", "contained_in")
    assert min(pair["coverage_a"], pair["coverage_b"]) > 0.6
    assert max(pair["coverage_a"], pair["coverage_b"]) > 0.8


def respell(text: str) -> str:
    table = str.maketrans({"ي": "ى", "أ": "ا", "إ": "ا", "0": "٠", "1": "١", "2": "٢", "8": "٨"})
    text = text.replace("أمريكي", "أميركي").replace("ة ", "ه ")
    words = text.split(" ")
    words = [w + "\u064e" if k % 3 == 0 else ("ـ".join(w) if k % 7 == 0 else w) for k, w in enumerate(words)]
    return " ".join(words).translate(table)


def test_respelled_copy_is_duplicate(ant: list[dict]) -> None:
    src = ant[6]["text"]
    pair = pair_of(src, respell(src))
    assert pair["relation"] == "duplicate"
    assert pair["passages"] and pair["passages"][0]["score"] == 1.0


def test_reordered_paragraphs(ant: list[dict]) -> None:
    paras = paragraphs(ant[7])
    shuffled = "\n".join(paras[::-1])
    pair = pair_of(ant[7]["text"], shuffled)
    assert pair["relation"] in ("near_duplicate", "duplicate")
    assert len(pair["passages"]) >= len([p for p in paras if len(p.split()) >= 8]) - 1


def test_short_shared_phrase_is_noise(ant: list[dict]) -> None:
    phrase = "وزير الخارجية الأمريكي مايك بومبيو"  # 5 words
    a = ant[0]["text"] + "\n" + phrase + " في تصريح جديد اليوم"
    b = ant[1]["text"] + "\n" + "أعلن " + phrase + " عن زيارة"
    assert pair_of(a, b)["passages"] == []


def test_boilerplate_is_never_reuse(ant: list[dict]) -> None:
    footer = "\n".join(
        [
            "تابعونا على فيسبوك وتويتر ويوتيوب وانستغرام للحصول على آخر الأخبار العاجلة",
            "جميع الحقوق محفوظة لموقع الأخبار العربية الأولى في الشرق الأوسط © 2024",
            "اشترك في النشرة البريدية لتصلك أهم الأخبار يوميا على بريدك الإلكتروني مجانا",
        ]
    )
    pair = pair_of(ant[0]["text"] + "\n" + footer, ant[1]["text"] + "\n" + footer)
    assert pair["passages"] == []


def test_appended_article_is_its_own_unit(ant: list[dict]) -> None:
    host = ant[0]["text"] + "\nاقرأ أيضاً:\nعنوان الخبر الآخر\n" + ant[1]["text"]
    arts = cleaned(host, ant[1]["text"])
    assert "appended" in {s.kind for s in arts[0].segments}
    pairs = find_pairs(arts).pairs
    assert len(pairs) == 1
    pair = pairs[0]
    assert pair["relation"] == "contains"
    assert {p["a_unit"] for p in pair["passages"]} == {next(k for k in arts[0].units() if k.startswith("appended"))}


def test_passage_offsets_point_at_the_shared_text(ant: list[dict]) -> None:
    para = max(paragraphs(ant[0]), key=len)
    a = "مقدمة قصيرة.\n" + para
    b = ant[2]["text"] + "\n\n" + para
    pair = pair_of(a, b)
    (p,) = pair["passages"]
    assert a[p["a_start"] : p["a_end"]] == para.rstrip(".")[: p["a_end"] - p["a_start"]]
    assert " ".join(a[p["a_start"] : p["a_end"]].split()) == " ".join(b[p["b_start"] : p["b_end"]].split())


words = st.sampled_from(
    [
        "قال",
        "الرئيس",
        "إن",
        "الحكومة",
        "ستعمل",
        "على",
        "تحسين",
        "الوضع",
        "الاقتصادي",
        "في",
        "البلاد",
        "خلال",
        "العام",
        "المقبل",
        "وأضاف",
        "أن",
        "المفاوضات",
        "مع",
        "الجانب",
        "الآخر",
        "مستمرة",
        "منذ",
        "أشهر",
        "دون",
        "نتائج",
        "واضحة",
        "حتى",
        "الآن",
        "بحسب",
        "مصادر",
        "مطلعة",
    ]
)
texts = st.lists(st.lists(words, min_size=3, max_size=30).map(" ".join), min_size=1, max_size=6).map("\n".join)


@settings(max_examples=60, deadline=None)
@given(texts, texts, texts)
def test_both_directions_agree_and_offsets_are_valid(x: str, y: str, shared: str) -> None:
    a = Article(id="a", text=x + "\n" + shared)
    b = Article(id="b", text=shared + "\n" + y)
    clean_articles([a, b], learn_templates=False)
    ua = {u.key: u for u in article_units(a, 0)}
    ub = {u.key: u for u in article_units(b, 1)}
    for _ka, u in ua.items():
        for _kb, v in ub.items():
            ab = align_units(u, v)
            ba = align_units(v, u)
            key = lambda p: (p.a0, p.a1, p.b0, p.b1)  # noqa: E731
            assert sorted(ab, key=key) == sorted((p.swapped() for p in ba), key=key)
            for p in ab:
                assert 0 <= p.a_start < p.a_end <= len(a.text)
                assert 0 <= p.b_start < p.b_end <= len(b.text)
                assert 0 < p.score <= 1


@pytest.mark.parametrize("n_copies", [3])
def test_all_copies_pair_with_each_other(ant: list[dict], n_copies: int) -> None:
    src = ant[3]["text"]
    arts = [Article(id=f"c{k}", text=(ant[k]["text"] + "\n" if k else "") + src) for k in range(n_copies)]
    clean_articles(arts, learn_templates=False)
    pairs = find_pairs(arts).pairs
    assert {(p["a"], p["b"]) for p in pairs} == {("c0", "c1"), ("c0", "c2"), ("c1", "c2")}


def test_stock_phrases_are_not_reuse_but_rare_short_copies_are(ant: list[dict]) -> None:
    import random

    vocab = sorted({w for d in ant for w in d["text"].split() if len(w) > 2})
    rng = random.Random(3)

    def filler(n: int) -> str:
        return " ".join(rng.choice(vocab) for _ in range(n))

    stock = "الرئيس الأمريكي دونالد ترامب والزعيم الكوري الشمالي كيم جونغ أون"  # 10 words, in every article
    quote = "وقال الوزير إن الاتفاق الجديد سيمنح المزارعين في الجنوب حق تصدير محاصيلهم مباشرة"  # 13 words
    texts = [f"{filler(40)} {stock} {filler(40)}" for _ in range(14)]
    # a stock phrase with the day after it: its one rare n-gram is the day, and «أن», not reuse
    minister = "أعلن وزير الخارجية الروسي سيرغي لافروف"
    days = ("السبت", "الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس")
    for k in range(14):
        day = "الجمعة" if k in (2, 3) else days[k % len(days)]
        texts[k] += f"\n{filler(20)} {minister} {day} أن {filler(20)}"
    texts[0] += f"\n{filler(30)} {quote} {filler(30)}"
    texts[1] += f"\n{filler(30)} {quote} {filler(30)}"
    arts = [Article(id=f"d{k:02}", text=t) for k, t in enumerate(texts)]
    clean_articles(arts, learn_templates=False)
    pairs = find_pairs(arts).pairs
    assert [(p["a"], p["b"]) for p in pairs] == [("d00", "d01")]
    (p,) = pairs[0]["passages"]
    assert " ".join(arts[0].text[p["a_start"] : p["a_end"]].split()).endswith(quote[-20:])
    # two articles alone: nothing is common yet, so the shared name is a passage
    assert compare(arts[2], arts[3])["passages"]


def test_candidate_passes_bound_memory_without_changing_the_result(ant: list[dict]) -> None:
    from khabar.candidates import CandidateParams, candidate_pairs
    from khabar.reuse import units_of

    arts = [Article(id=f"{k}-{c}", text=d["text"]) for k, d in enumerate(ant) for c in range(3)]
    clean_articles(arts)
    units = units_of(arts)

    def pairs(params: CandidateParams) -> list[tuple[int, int, int]]:
        out = []
        for lo, hi, shared in candidate_pairs(units, params):
            out.extend(zip(lo.tolist(), hi.tolist(), shared.tolist(), strict=True))
        return out

    one = pairs(CandidateParams())
    many = pairs(CandidateParams(max_pairs=50, chunk_postings=7))
    assert one and many == one
    assert len(list(candidate_pairs(units, CandidateParams(max_pairs=50)))) > 1  # really several passes


def _reference_runs(i: list[int], j: list[int], k: int) -> list[tuple[int, int, int, int]]:
    """Seeds grouped by diagonal, then split where positions stop being consecutive."""
    by_diag: dict[int, list[int]] = {}
    for x, y in zip(i, j, strict=True):
        by_diag.setdefault(y - x, []).append(x)
    out = []
    for d, xs in by_diag.items():
        xs.sort()
        start = prev = xs[0]
        for x in [*xs[1:], None]:
            if x is not None and x == prev + 1:
                prev = x
                continue
            out.append((start, prev + k, start + d, prev + k + d))
            if x is not None:
                start = prev = x
    return sorted(out)


@settings(max_examples=300)
@given(st.sets(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=160))
def test_runs_equal_the_reference_grouping(seeds: set[tuple[int, int]]) -> None:
    import numpy as np

    from khabar.align import _numpy_runs, _small_runs, runs

    if not seeds:
        assert runs(np.zeros(0, np.int64), np.zeros(0, np.int64), 3) == []
        return
    pairs = sorted(seeds)
    i = np.array([a for a, _ in pairs], dtype=np.int64)
    j = np.array([b for _, b in pairs], dtype=np.int64)
    expected = _reference_runs([a for a, _ in pairs], [b for _, b in pairs], 3)
    assert runs(i, j, 3) == expected
    assert _numpy_runs(i, j, 3) == expected  # both paths, whatever the size
    assert _small_runs(i.tolist(), j.tolist(), 3) == expected


def _reference_chain(rs: list[tuple[int, int, int, int]], gap: int) -> list[list[int]]:
    """Each run joins the cheapest chain it may extend, every chain considered."""
    chains: list[list[int]] = []
    for a0, a1, b0, b1 in rs:
        best, best_cost = None, None
        for c in chains:
            ga, gb = a0 - c[1], b0 - c[3]
            if -gap < ga <= gap and -gap < gb <= gap and a1 > c[1] and b1 > c[3] and a0 >= c[0] and b0 >= c[2]:
                cost = abs(ga - gb) + max(ga, gb, 0)
                if best_cost is None or cost < best_cost:
                    best, best_cost = c, cost
        if best is None:
            chains.append([a0, a1, b0, b1, a1 - a0])
        else:
            best[4] += a1 - max(a0, best[1])
            best[1], best[3] = max(best[1], a1), max(best[3], b1)
    return chains


@settings(max_examples=400)
@given(
    st.lists(st.tuples(st.integers(0, 120), st.integers(1, 12), st.integers(0, 120)), max_size=40),
    st.integers(1, 30),
)
def test_chain_equals_the_reference_over_all_chains(raw: list[tuple[int, int, int]], gap: int) -> None:
    from khabar.align import chain

    rs = sorted((a0, a0 + n, b0, b0 + n) for a0, n, b0 in raw)
    assert chain(rs, gap) == _reference_chain(rs, gap)


def _reference_merge(cs: list[list[int]]) -> list[list[int]]:
    out: list[list[int]] = []
    for c in sorted(cs):
        for o in out:
            if c[0] < o[1] and o[0] < c[1] and c[2] < o[3] and o[2] < c[3]:
                outside = max(0, c[1] - o[1]) + max(0, o[0] - c[0])
                o[4] += round(c[4] * outside / max(1, c[1] - c[0]))
                o[1], o[3] = max(o[1], c[1]), max(o[3], c[3])
                o[0], o[2] = min(o[0], c[0]), min(o[2], c[2])
                break
        else:
            out.append(list(c))
    return out


@settings(max_examples=400)
@given(st.lists(st.tuples(st.integers(0, 80), st.integers(1, 30), st.integers(0, 80), st.integers(1, 30)), max_size=30))
def test_merge_equals_the_reference_over_all_passages(raw: list[tuple[int, int, int, int]]) -> None:
    from khabar.align import _merge

    cs = [[a0, a0 + n, b0, b0 + m, min(n, m)] for a0, n, b0, m in raw]
    assert _merge([list(c) for c in cs]) == _reference_merge([list(c) for c in cs])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), max_size=40), max_size=40), st.integers(1, 5))
def test_postings_are_each_units_distinct_ngrams_sorted_by_hash(docs: list[list[int]], n: int) -> None:
    import numpy as np

    from khabar.candidates import postings
    from khabar.fingerprint import Unit
    from khabar.words import mix64

    units = [
        Unit(k, "body", mix64(np.array(w, np.uint64)), np.zeros(len(w), np.int32), np.zeros(len(w), np.int32))
        for k, w in enumerate(docs)
    ]
    h, u = postings(units, n)
    expected = sorted((int(g), k) for k, unit in enumerate(units) for g in set(unit.grams(n).tolist()))
    assert list(zip(h.tolist(), u.tolist(), strict=True)) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.integers(0, 5), st.integers(0, 2**64 - 1), st.integers(2**63, 2**63 + 3)), max_size=400),
    st.randoms(use_true_random=False),
)
def test_sorted_postings_are_numpys_stable_sort_without_repeats(values: list[int], rnd) -> None:
    """Buckets sorted by insertion and (many equal top bits) by qsort; repeats of a posting dropped."""
    import numpy as np
    import pytest
    from khabar._sort_kernel import sort_postings

    keys = np.array(values, dtype=np.uint64)
    units = np.array(sorted(rnd.randrange(4) for _ in values), dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    h, u = keys[order], units[order]
    first = np.ones(len(h), dtype=bool)
    first[1:] = (h[1:] != h[:-1]) | (u[1:] != u[:-1])
    got_h, got_u = sort_postings(keys, units)
    assert got_h.tolist() == h[first].tolist() and got_u.tolist() == u[first].tolist()
    if len(set(units.tolist())) > 1:
        with pytest.raises(ValueError):
            sort_postings(keys, units[::-1].copy())


def test_postings_of_real_units_equal_the_reference(ant: list[dict]) -> None:
    import numpy as np

    from khabar.candidates import postings, postings_reference
    from khabar.fingerprint import FINGERPRINT_N
    from khabar.reuse import units_of

    arts = cleaned(*[d["text"] for d in ant], *[d["text"][: len(d["text"]) // 2] for d in ant])
    units = units_of(arts)
    for n in (1, 3, FINGERPRINT_N):
        got, want = postings(units, n), postings_reference(units, n)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
        assert got[0].dtype == want[0].dtype and got[1].dtype == want[1].dtype


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 5), st.integers(0, 2**64 - 1), st.integers(0, 2**40)), max_size=300))
def test_radix_argsort_is_numpys_stable_argsort(values: list[int]) -> None:
    import numpy as np
    from khabar._sort_kernel import argsort_stable

    keys = np.array(values, dtype=np.uint64)
    assert argsort_stable(keys).tolist() == np.argsort(keys, kind="stable").tolist()


@pytest.mark.parametrize("kind", ["hashes", "repeats", "clustered", "narrow"])
def test_two_level_sort_of_many_keys_is_numpys_stable_argsort(kind: str) -> None:
    """Enough keys (300,000) for the buckets of the first scatter to be scattered again, as the
    postings of a corpus are; keys crowded in few top bits, or few bits at all, too."""
    import numpy as np
    from khabar._sort_kernel import argsort_stable, sort_postings

    rng = np.random.default_rng(7)
    n = 300_000
    keys = {
        "hashes": rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64) * np.uint64(2) + np.uint64(1),
        "repeats": rng.integers(0, 50_000, n).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15),
        "clustered": (rng.integers(0, 2**12, n).astype(np.uint64) << np.uint64(40)) | np.uint64(5),
        "narrow": rng.integers(0, 3_000, n).astype(np.uint64),
    }[kind]
    assert argsort_stable(keys).tolist() == np.argsort(keys, kind="stable").tolist()
    units = np.sort(rng.integers(0, 2_000, n)).astype(np.int64)
    order = np.argsort(keys, kind="stable")
    h, u = keys[order], units[order]
    first = np.ones(n, dtype=bool)
    first[1:] = (h[1:] != h[:-1]) | (u[1:] != u[:-1])
    got_h, got_u = sort_postings(keys, units)
    assert np.array_equal(got_h, h[first]) and np.array_equal(got_u, u[first])


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 40).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.sets(st.integers(0, n - 1), min_size=1, max_size=n), max_size=30),
            st.lists(st.integers(0, 3), min_size=n, max_size=n),
            st.integers(0, n),
            st.integers(0, n),
            st.integers(1, 3),
        )
    )
)
def test_compiled_pair_counts_are_the_reference_s(case) -> None:
    """One pass of candidate counting: every pair of a pass's first units, the groups it shares,
    pairs of one article and below ``min_shared`` left out, sorted — as counted by hand and by the
    numpy reference; group runs as numpy finds them."""
    import numpy as np
    from khabar._sort_kernel import count_pairs, run_starts

    from khabar.candidates import CandidateParams, pass_pairs_reference

    n, groups, steps, a, b, min_shared = case
    first, end = min(a, b), max(a, b)
    article = np.cumsum(steps).astype(np.int64)  # units in article order
    members = [sorted(g) for g in groups]
    u = np.array([x for g in members for x in g], dtype=np.int64)
    sizes = np.array([len(g) for g in members], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if len(sizes) else sizes
    by_hand: dict[tuple[int, int], int] = {}
    for g in members:
        for i, lo in enumerate(g):
            for hi in g[i + 1 :]:
                if first <= lo < end and article[lo] != article[hi]:
                    by_hand[(lo, hi)] = by_hand.get((lo, hi), 0) + 1
    want = sorted((lo, hi, c) for (lo, hi), c in by_hand.items() if c >= min_shared)
    got = count_pairs(u, starts, sizes, article, first, end, min_shared)
    assert list(zip(*(x.tolist() for x in got), strict=True)) == want
    ref = pass_pairs_reference(u, starts, sizes, article, first, end, CandidateParams(min_shared=min_shared))
    assert all(np.array_equal(x, y) for x, y in zip(got, ref, strict=True))
    keys = np.repeat(np.arange(len(members), dtype=np.uint64) * 7, sizes)
    assert run_starts(keys).tolist() == [k for k in range(len(keys)) if k == 0 or keys[k] != keys[k - 1]]


def test_unit_words_of_a_one_segment_article_are_all_its_words(ant: list[dict]) -> None:
    import numpy as np

    from khabar.fingerprint import unit_words, unit_words_by_segment

    arts = [Article(id=f"a{k}", text=d["text"]) for k, d in enumerate(ant)]
    arts += [Article(id="tail", text=ant[0]["text"] + "\nتابعونا على فيسبوك\n"), Article(id="marks", text="، ، ،")]
    clean_articles(arts, learn_templates=False)
    assert any(len(a.segments) == 1 for a in arts) and any(len(a.segments) > 1 for a in arts)
    for a in arts:
        fast, general = unit_words(a), unit_words_by_segment(a)
        assert fast.keys() == general.keys()
        for key in fast:
            assert fast[key].dtype == general[key].dtype and np.array_equal(fast[key], general[key])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(1, 6), max_size=40), st.integers(1, 9))
def test_alignment_tasks_are_cut_between_articles(runs: list[int], size: int) -> None:
    """Every article's candidates go to one task (which then makes its whole pair records); tasks
    cover every candidate in order and hold at least ``size`` of them, the last one excepted."""
    import itertools

    import numpy as np

    from khabar.reuse import _article_cuts

    first = np.repeat(np.arange(len(runs)), runs)  # candidates of article k: runs[k]
    cuts = _article_cuts(first, size)
    assert cuts[0] == 0 and cuts[-1] == len(first)
    for a, b in itertools.pairwise(cuts):
        assert b > a
        assert b == len(first) or (b - a >= size and first[b] != first[b - 1])


def test_reuse_units_must_be_in_article_order(ant: list[dict]) -> None:
    from khabar.reuse import units_of

    arts = [Article(id="a", text=ant[0]["text"]), Article(id="b", text=ant[0]["text"])]
    clean_articles(arts)
    with pytest.raises(ValueError, match="article order"):
        find_pairs(arts, units=units_of(arts)[::-1])


def test_candidate_passes_start_at_an_article_s_first_unit() -> None:
    """Articles of several units: a pass never splits one article's units (their pair records are
    made whole from one pass), and the passes give the pairs of one pass."""
    import numpy as np

    from khabar.candidates import CandidateParams, candidate_pairs
    from khabar.fingerprint import Unit

    rng = np.random.default_rng(5)
    vocab = rng.integers(1, 2**63, 60, dtype=np.uint64)
    units = []
    for article in range(30):
        for u in range(1 + article * 7 % 4):
            words = vocab[rng.integers(0, 60, 40)]
            pos = np.arange(40, dtype=np.int32)
            units.append(Unit(article, "body" if u == 0 else f"appended:{u}", words, pos, pos + 1))
    article = np.array([u.article for u in units])

    def run(params: CandidateParams) -> tuple[list[tuple[int, int]], list[set[int]]]:
        pairs, firsts = [], []
        for lo, hi, _ in candidate_pairs(units, params):
            pairs.extend(zip(lo.tolist(), hi.tolist(), strict=True))
            firsts.append(set(article[lo].tolist()))
        return pairs, firsts

    one, _ = run(CandidateParams(n=2, min_shared=1))
    many, firsts = run(CandidateParams(n=2, min_shared=1, max_pairs=200))
    assert len(firsts) > 3 and many == one
    assert all(not (a & b) for k, a in enumerate(firsts) for b in firsts[k + 1 :])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["body", "appended:2"]),
            st.sampled_from(["body", "appended:5"]),
            st.integers(0, 60),
            st.integers(1, 40),
            st.integers(0, 60),
            st.integers(1, 40),
        ),
        max_size=4,
    ),
    st.booleans(),
)
def test_pair_record_is_the_plain_coverage_of_its_passages(spans, duplicate: bool) -> None:
    """Coverage counts each unit's covered words once however passages overlap (one passage: its
    own spans, the shortcut most pairs take); passages come sorted by their offsets."""
    from khabar.align import Passage
    from khabar.relate import UnitPassage, pair_record, relation

    found = [
        UnitPassage(ua, ub, Passage(a0, a0 + la, b0, b0 + lb, 3 * a0, 3 * (a0 + la), 3 * b0, 3 * (b0 + lb), 1.0, la))
        for ua, ub, a0, la, b0, lb in spans
    ]
    a_sizes, b_sizes = {"body": 100, "appended:2": 50}, {"body": 120, "appended:5": 30}
    rec = pair_record("a", "b", a_sizes, b_sizes, found, duplicate)
    words = {}
    for side, unit_of, lo, hi in (("a", "a_unit", "a0", "a1"), ("b", "b_unit", "b0", "b1")):
        covered = {
            (getattr(f, unit_of), w) for f in found for w in range(getattr(f.passage, lo), getattr(f.passage, hi))
        }
        words[side] = len(covered)
    cov_a, cov_b = words["a"] / 150, words["b"] / 150
    assert rec["coverage_a"] == round(min(1.0, cov_a), 4) and rec["coverage_b"] == round(min(1.0, cov_b), 4)
    assert rec["similarity"] == round(min(1.0, (words["a"] + words["b"]) / 300), 4)
    assert rec["relation"] == (relation(cov_a, cov_b, duplicate) if found or duplicate else "none")
    starts = [(p["a_start"], p["b_start"]) for p in rec["passages"]]
    assert starts == sorted(starts) and len(starts) == len(found)


def test_identical_articles_that_repeat_themselves_are_duplicates_with_one_whole_passage(tmp_path: Path) -> None:
    """Six paragraphs that differ in one word each: every seed n-gram repeats more than max_repeat
    times, so seeds alone find nothing; identical units are one whole passage, all words matched."""
    line = "أعلن الاتحاد الدولي اليوم أن المغني فاز بالجائزة للمرة {} أمام جمهور كبير من المعجبين."
    paras = [line.format(k) for k in range(6)]
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("\n".join(paras), encoding="utf-8")
    pair = compare(str(tmp_path / "a.txt"), str(tmp_path / "b.txt"))
    assert pair["relation"] == "duplicate" and pair["coverage_a"] == pair["coverage_b"] == 1.0
    (p,) = pair["passages"]
    assert p["score"] == 1.0 and p["a_start"] == 0 and p["a_end"] == len("\n".join(paras)) - 1  # (the last ".")
    result = scan([tmp_path / "a.txt", tmp_path / "b.txt"])
    assert [(r["relation"], r["passages"]) for r in result.pairs] == [("duplicate", pair["passages"])]
