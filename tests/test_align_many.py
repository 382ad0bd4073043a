"""The compiled batch aligner (align_many) gives exactly the passages of the reference (align.py)."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from khabar.align import AlignParams, align_indexed, seed_index
from khabar.align_many import align_many
from khabar.article import Article
from khabar.candidates import DocumentFrequency, postings
from khabar.clean import clean_articles
from khabar.fingerprint import FINGERPRINT_N, Unit, article_units, grams
from khabar.words import mix64


def _unit(k: int, words: list[int]) -> Unit:
    hashes = mix64(np.array(words, dtype=np.uint64))
    starts = (np.arange(len(words)) * 3).astype(np.int32)
    return Unit(k, "body", hashes, starts, starts + 2, grams(hashes, FINGERPRINT_N))


def _reference(units: list[Unit], xs: list[int], ys: list[int], p: AlignParams, df: DocumentFrequency | None):
    def prepared(u: Unit):  # as reuse.py prepared units before align_many
        if df is None:
            return seed_index(u, p)
        ng = u.grams(df.n)
        return seed_index(u, p, df.of(ng), df.n, ngrams=ng)

    return [align_indexed(prepared(units[x]), prepared(units[y]), p) for x, y in zip(xs, ys, strict=True)]


def _corpus_df(units: list[Unit], keep_above: int) -> DocumentFrequency:
    h, _ = postings(units, FINGERPRINT_N)
    return DocumentFrequency.from_postings(h, FINGERPRINT_N, keep_above)


# units over a small vocabulary: repeated words, shared runs, gaps and re-orderings all happen often
_words = st.lists(st.integers(0, 12), min_size=0, max_size=90)


@settings(max_examples=250, deadline=None)
@given(
    st.lists(_words, min_size=2, max_size=6),
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=12),
    st.integers(1, 6),
    st.integers(0, 6),
    st.booleans(),
)
def test_random_units_align_as_the_reference(
    docs: list[list[int]], picks: list[tuple[int, int]], max_repeat: int, gap: int, with_df: bool
) -> None:
    units = [_unit(k, w) for k, w in enumerate(docs)]
    xs = [x % len(units) for x, _ in picks]
    ys = [y % len(units) for _, y in picks]
    p = AlignParams(max_repeat=max_repeat, gap=gap, min_words=4, rare_df=1)
    df = _corpus_df(units, p.rare_df) if with_df else None
    assert align_many(units, xs, ys, p, df) == _reference(units, xs, ys, p, df)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 30), min_size=20, max_size=60), min_size=1, max_size=4),
    st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), min_size=1, max_size=16),
)
def test_identical_units_among_other_pairs_align_as_the_reference(
    docs: list[list[int]], picks: list[tuple[int, int]]
) -> None:
    # identical units (a copy of each unit, long enough to be one whole passage) are not aligned
    # word by word: the other pairs of the batch must keep their own passages
    units = [_unit(k, w) for k, w in enumerate([*docs, *docs])]
    xs = [x % len(units) for x, _ in picks]
    ys = [y % len(units) for _, y in picks]
    p = AlignParams(min_words=4, rare_df=1)
    for df in (None, _corpus_df(units, p.rare_df)):
        assert align_many(units, xs, ys, p, df) == _reference(units, xs, ys, p, df)


def _variants(ant: list[dict], rng: random.Random) -> list[Article]:
    """Copies of real articles the ways outlets copy: trimmed, re-ordered, re-led, spliced, edited."""
    out: list[Article] = []
    for k, doc in enumerate(ant):
        paras = [p for p in doc["text"].split("\n") if p.strip()]
        other = [p for p in ant[(k + 1) % len(ant)]["text"].split("\n") if p.strip()]
        out.append(Article(id=f"{k}-orig", text="\n".join(paras)))
        out.append(Article(id=f"{k}-trim", text="\n".join(paras[: max(1, len(paras) // 2)])))
        shuffled = paras[:]
        rng.shuffle(shuffled)
        out.append(Article(id=f"{k}-shuf", text="\n".join(shuffled)))
        out.append(Article(id=f"{k}-lead", text="\n".join([other[0], *paras[1:], *other[-2:]])))
        words = "\n".join(paras).split(" ")
        for _ in range(len(words) // 15):  # drop, swap and repeat words here and there
            i = rng.randrange(len(words))
            words[i] = rng.choice(["", words[i - 1], "قال", words[i] + " " + words[i]])
        out.append(Article(id=f"{k}-edit", text=" ".join(w for w in words if w)))
    return out


def test_edited_copies_of_real_articles_align_as_the_reference(ant: list[dict]) -> None:
    arts = _variants(ant, random.Random(7))
    clean_articles(arts, learn_templates=False)
    units = [u for k, a in enumerate(arts) for u in article_units(a, k)]
    xs, ys = zip(*[(x, y) for x in range(len(units)) for y in range(len(units)) if x != y], strict=True)
    for p in (AlignParams(), AlignParams(rare_df=1, long_words=40)):
        df = _corpus_df(units, p.rare_df)
        got = align_many(units, list(xs), list(ys), p, df)
        assert got == _reference(units, list(xs), list(ys), p, df)
        assert sum(1 for g in got if g) > len(arts)  # the copies are found: the comparison is not vacuous


def test_the_aligner_keeps_its_buffers_and_threads_side_by_side_get_their_own(ant: list[dict]) -> None:
    """The kernel keeps its tables' memory for the next call (stale contents must not matter: the
    tests above align unit after unit through it); a call while another thread's call holds them
    gets buffers of its own."""
    import threading

    from khabar import _align_kernel

    arts = _variants(ant, random.Random(3))
    clean_articles(arts, learn_templates=False)
    units = [u for k, a in enumerate(arts) for u in article_units(a, k)]
    xs, ys = zip(*[(x, y) for x in range(len(units)) for y in range(len(units)) if x != y], strict=True)
    want = _reference(units, list(xs), list(ys), AlignParams(), None)
    assert align_many(units, list(xs), list(ys)) == want
    assert _align_kernel.kept_bytes() > 0
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(align_many(units, list(xs), list(ys)))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [want] * 4


def test_empty_and_tiny_units() -> None:
    units = [_unit(0, []), _unit(1, [1]), _unit(2, [1, 2, 3]), _unit(3, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])]
    xs = [0, 0, 1, 2, 3, 3]
    ys = [1, 3, 2, 3, 3, 0]
    p = AlignParams(min_words=2)
    got = align_many(units, xs, ys, p)
    assert got == _reference(units, xs, ys, p, None)
    assert got[4] and got[4][0].matched == 10  # a unit against itself: one whole passage
    assert align_many(units, [], [], p) == []


@settings(max_examples=500)
@given(st.integers(0, 10_000), st.integers(0, 400), st.integers(1, 400))
def test_kernel_rounds_merged_counts_as_python(m: int, outside: int, span: int) -> None:
    from khabar._align_kernel import round_half_even

    assert round_half_even(m * outside / span) == round(m * outside / span)
    assert round_half_even(m + 0.5) == round(m + 0.5)  # exact halves go to the even neighbour


@settings(max_examples=150, deadline=None)
@given(st.randoms(use_true_random=False))
def test_a_passage_never_matches_more_words_than_its_shorter_side(rnd: random.Random) -> None:
    """Seeds overlapping on one side only (repeated words) once made ``matched`` count words that
    side does not hold; by both aligners, a passage's matched words fit in each of its sides."""
    base = [rnd.randrange(6) for _ in range(rnd.randrange(10, 60))]
    a = _unit(0, base)
    b = _unit(1, [w for w in base if rnd.random() < 0.8] + [rnd.randrange(6) for _ in range(rnd.randrange(0, 10))])
    p = AlignParams(min_words=4, max_repeat=50)
    for found in (_reference([a, b], [0], [1], p, None)[0], align_many([a, b], [0], [1], p)[0]):
        for q in found:
            assert q.matched <= min(q.a1 - q.a0, q.b1 - q.b0)
            assert q.score <= 1.0
