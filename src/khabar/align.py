"""Verify a candidate pair by aligning it: the passages two units share, with offsets.

Seeds are shared word ``seed``-grams (numpy).  Seeds on one diagonal that touch are runs; runs are
chained left to right while both sides advance and the gaps between them stay under ``gap`` words,
so a chain survives swapped words, numbers written out, dropped sentences and inserted phrases.
Each chain is a passage; its ``score`` is the share of its words that are matched.  Chains in
different places (re-ordered paragraphs) are separate passages.

``align_units(a, b)`` gives the same passages as ``align_units(b, a)`` with sides swapped: the
pair is always aligned in one canonical order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from khabar.fingerprint import Unit, grams


@dataclass(frozen=True, slots=True)
class AlignParams:
    seed: int = 3  # words per seed n-gram
    gap: int = 24  # largest gap in words between two chained runs, on either side
    min_words: int = 8  # a passage matches at least this many words ...
    min_density: float = 0.5  # ... and at least this share of its words
    max_repeat: int = 4  # a seed occurring more often than this within one unit is ignored
    # In a corpus, a passage shorter than long_words must have min_words of its words in n-grams both
    # sides share that are found in at most rare_df units: "الرئيس الأمريكي دونالد ترامب والزعيم الكوري
    # الشمالي كيم جونغ أون" is a stock phrase, not reuse, and so is «أعلن وزير الخارجية الروسي سيرغي
    # لافروف، الجمعة، أن» (its one rare n-gram is a weekday and «أن» after a stock phrase).
    long_words: int = 20
    rare_df: int = 10


@dataclass(frozen=True, slots=True)
class Passage:
    """A shared passage: word ranges ``[a0, a1)``/``[b0, b1)`` of the two units and char offsets."""

    a0: int
    a1: int
    b0: int
    b1: int
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    score: float
    matched: int

    def swapped(self) -> Passage:
        return Passage(
            self.b0,
            self.b1,
            self.a0,
            self.a1,
            self.b_start,
            self.b_end,
            self.a_start,
            self.a_end,
            self.score,
            self.matched,
        )


@dataclass(frozen=True, slots=True)
class SeedIndex:
    """A unit's seed n-grams, prepared once for aligning it against many others."""

    unit: Unit
    grams: np.ndarray  # uint64 seed n-gram at each word position
    valid: np.ndarray  # int64 positions whose n-gram is not over-repeated
    sorted_grams: np.ndarray  # the valid n-grams, sorted
    sorted_pos: np.ndarray  # their positions
    ngrams: np.ndarray | None = None  # the corpus index's n-gram starting at each word ...
    rare: np.ndarray | None = None  # ... and whether it is rare in the corpus
    rare_n: int = 0  # words in those n-grams
    unique: bool = False  # no valid seed n-gram occurs twice in the unit


def seed_index(
    unit: Unit,
    params: AlignParams = AlignParams(),
    df: np.ndarray | None = None,
    df_n: int = 0,
    ngrams: np.ndarray | None = None,
) -> SeedIndex:
    """Prepare a unit; ``df`` gives the corpus document frequency of its ``df_n``-grams, if known
    (``ngrams``: those n-grams, if already computed)."""
    ng = (ngrams if ngrams is not None else grams(unit.hashes, df_n)) if df is not None else None
    g = grams(unit.hashes, params.seed)
    if len(g):
        values, inverse, counts = np.unique(g, return_inverse=True, return_counts=True)
        valid = np.flatnonzero(counts[inverse] <= params.max_repeat)
    else:
        valid = np.zeros(0, np.int64)
    order = valid[np.argsort(g[valid], kind="stable")]
    rare = None if df is None else df <= params.rare_df
    unique = len(g) == 0 or bool(counts.max() == 1)
    return SeedIndex(unit, g, valid, g[order], order, ng, rare, df_n, unique)


def _stock(sa: SeedIndex, sb: SeedIndex, c: list[int], p: AlignParams) -> bool:
    """A short passage whose distinctive part is shorter than a passage: the n-grams wholly inside
    it, rare in the corpus and shared by both sides, cover fewer than ``min_words`` of its words."""
    if c[4] >= p.long_words or sa.ngrams is None or sb.ngrams is None or sa.rare is None:
        return False
    n = sa.rare_n  # n-grams wholly inside the passage, on both sides
    wa = np.arange(c[0], max(c[0], c[1] - n + 1))
    theirs = set(sb.ngrams[c[2] : max(c[2], c[3] - n + 1)].tolist())
    covered: set[int] = set()
    for i in wa[sa.rare[wa]].tolist():
        if int(sa.ngrams[i]) in theirs:
            covered.update(range(i, i + n))
    return len(covered) < p.min_words


def seeds(a: SeedIndex, b: SeedIndex) -> tuple[np.ndarray, np.ndarray]:
    """All ``(i, j)`` with equal valid seed n-grams at ``a[i]`` and ``b[j]``; sorted by i, then j."""
    if len(a.valid) == 0 or len(b.valid) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ga = a.grams[a.valid]
    if b.unique:  # the usual case: one searchsorted finds each seed's only place in b
        at = np.minimum(np.searchsorted(b.sorted_grams, ga), len(b.sorted_grams) - 1)
        has = np.flatnonzero(b.sorted_grams[at] == ga)
        return a.valid[has], b.sorted_pos[at[has]]
    lo = np.searchsorted(b.sorted_grams, ga, side="left")
    hi = np.searchsorted(b.sorted_grams, ga, side="right")
    cnt = hi - lo
    has = np.flatnonzero(cnt)
    if len(has) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if cnt.max() == 1:  # the usual case: each seed occurs once on the other side
        return a.valid[has], b.sorted_pos[lo[has]]
    ia, lo, cnt = a.valid[has], lo[has], cnt[has]
    total = int(cnt.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    i = np.repeat(ia, cnt)
    j = b.sorted_pos[np.repeat(lo, cnt) + offsets]
    order = np.lexsort((j, i))
    return i[order], j[order]


SMALL_RUNS = 48  # below this many seeds, plain Python beats numpy's per-call cost


def runs(i: np.ndarray, j: np.ndarray, k: int) -> list[tuple[int, int, int, int]]:
    """Merge seeds that touch on one diagonal into runs ``(a0, a1, b0, b1)`` of matched words."""
    if len(i) == 0:
        return []
    if len(i) < SMALL_RUNS:
        return _small_runs(i.tolist(), j.tolist(), k)
    return _numpy_runs(i, j, k)


def _numpy_runs(i: np.ndarray, j: np.ndarray, k: int) -> list[tuple[int, int, int, int]]:
    diag = j - i
    # one sort key, by diagonal and then position; with width > max(i) + 1, two seeds' keys differ by
    # exactly 1 only when they are neighbours on one diagonal
    width = int(i.max()) + 2
    key = (diag - int(diag.min())) * width + i
    order = np.argsort(key)
    d, ii = diag[order], i[order]
    brk = np.flatnonzero(np.diff(key[order]) != 1) + 1
    first = np.concatenate([[0], brk])
    last = np.concatenate([brk - 1, [len(ii) - 1]])
    a0 = ii[first]
    a1 = ii[last] + k
    b0 = a0 + d[first]
    out = list(zip(a0.tolist(), a1.tolist(), b0.tolist(), (b0 + (a1 - a0)).tolist(), strict=True))
    out.sort()
    return out


def _small_runs(i: list[int], j: list[int], k: int) -> list[tuple[int, int, int, int]]:
    """:func:`runs` of a few seeds, without numpy."""
    seeds = sorted((y - x, x) for x, y in zip(i, j, strict=True))
    out = []
    d0, start = seeds[0]
    prev = start
    for d, x in seeds[1:]:
        if d == d0 and x == prev + 1:
            prev = x
            continue
        out.append((start, prev + k, start + d0, prev + k + d0))
        d0, start, prev = d, x, x
    out.append((start, prev + k, start + d0, prev + k + d0))
    out.sort()
    return out


def chain(rs: list[tuple[int, int, int, int]], gap: int) -> list[list[int]]:
    """Chain runs into passages ``[a0, a1, b0, b1, matched]`` (runs sorted by a0)."""
    chains: list[list[int]] = []
    active: list[list[int]] = []  # chains a later run can still join, in the order they were started
    for a0, a1, b0, b1 in rs:
        # runs come by a0, so a chain ending more than gap words before this run can never grow again
        active = [c for c in active if a0 - c[1] <= gap]
        best = None
        best_cost = None
        for c in active:
            ga, gb = a0 - c[1], b0 - c[3]
            if not (-gap < ga <= gap and -gap < gb <= gap and a1 > c[1] and b1 > c[3]):
                continue
            if a0 < c[0] or b0 < c[2]:
                continue
            cost = abs(ga - gb) + max(ga, gb, 0)
            if best_cost is None or cost < best_cost:
                best, best_cost = c, cost
        if best is None:
            c = [a0, a1, b0, b1, a1 - a0]
            chains.append(c)
            active.append(c)
        else:
            best[4] += a1 - max(a0, best[1])
            best[1] = max(best[1], a1)
            best[3] = max(best[3], b1)
    return chains


def _extend(c: list[int], ha: np.ndarray, hb: np.ndarray) -> None:
    while c[0] > 0 and c[2] > 0 and ha[c[0] - 1] == hb[c[2] - 1]:
        c[0] -= 1
        c[2] -= 1
        c[4] += 1
    while c[1] < len(ha) and c[3] < len(hb) and ha[c[1]] == hb[c[3]]:
        c[1] += 1
        c[3] += 1
        c[4] += 1


def _merge(cs: list[list[int]]) -> list[list[int]]:
    """Merge passages that overlap on both sides."""
    cs = sorted(cs)
    out: list[list[int]] = []
    active: list[list[int]] = []  # merged passages a later one can still overlap, in order
    for c in cs:
        active = [o for o in active if o[1] > c[0]]  # by c[0]: one ending before c never overlaps again
        for o in active:
            if c[0] < o[1] and o[0] < c[1] and c[2] < o[3] and o[2] < c[3]:
                # only c's matched words outside o's span are new, in proportion to that part of c
                # (counting the whole extension as matched made short repeats look like passages)
                outside = max(0, c[1] - o[1]) + max(0, o[0] - c[0])
                o[4] += round(c[4] * outside / max(1, c[1] - c[0]))
                o[1], o[3] = max(o[1], c[1]), max(o[3], c[3])
                o[0], o[2] = min(o[0], c[0]), min(o[2], c[2])
                break
        else:
            out.append(list(c))
            active.append(out[-1])
    return out


def identical(a: Unit, b: Unit, p: AlignParams) -> bool:
    """Whether two units hold the same words, enough of them to be one whole passage without aligning
    (seeds alone miss a text that repeats itself: its repeated n-grams are no seeds)."""
    return len(a) == len(b) and len(a) >= max(p.min_words, p.long_words) and np.array_equal(a.hashes, b.hashes)


def whole(a: Unit, b: Unit) -> Passage:
    """The passage of two identical units: all their words, all matched."""
    return passage(a, b, 0, len(a), 0, len(b), len(a))


def _align(sa: SeedIndex, sb: SeedIndex, p: AlignParams) -> list[Passage]:
    a, b = sa.unit, sb.unit
    if identical(a, b, p):
        return [whole(a, b)]
    i, j = seeds(sa, sb)
    if len(i) < 2:  # one seed n-gram is fewer words than a passage
        return []
    cs = chain(runs(i, j, p.seed), p.gap)
    for c in cs:
        _extend(c, a.hashes, b.hashes)
    out: list[Passage] = []
    for c in _merge(cs):
        # matched words are counted along a's side (where seeds overlap on b's, b may hold fewer):
        # never more than the shorter side holds
        c[4] = min(c[4], c[1] - c[0], c[3] - c[2])
        a0, a1, b0, b1, matched = c
        span = max(a1 - a0, b1 - b0)
        score = matched / span
        if matched < p.min_words or score < p.min_density or _stock(sa, sb, c, p):
            continue
        out.append(passage(a, b, a0, a1, b0, b1, matched))
    return out


def passage(a: Unit, b: Unit, a0: int, a1: int, b0: int, b1: int, matched: int) -> Passage:
    """The passage of words ``[a0, a1)`` of ``a`` and ``[b0, b1)`` of ``b`` with ``matched`` words matched:
    its character offsets and its score (the matched share of its longer side)."""
    score = matched / max(a1 - a0, b1 - b0)
    return Passage(
        a0,
        a1,
        b0,
        b1,
        int(a.starts[a0]),
        int(a.ends[a1 - 1]),
        int(b.starts[b0]),
        int(b.ends[b1 - 1]),
        round(min(1.0, score), 4),
        matched,
    )


def align_indexed(a: SeedIndex, b: SeedIndex, params: AlignParams = AlignParams()) -> list[Passage]:
    """Passages shared by two prepared units, sides as given.

    The pair is aligned in a canonical order (by content), which is what makes the result
    independent of argument order.
    """
    ua, ub = a.unit, b.unit
    if (len(ua), ua.hashes.tobytes()) <= (len(ub), ub.hashes.tobytes()):
        return _align(a, b, params)
    return [p.swapped() for p in _align(b, a, params)]


def align_units(a: Unit, b: Unit, params: AlignParams = AlignParams()) -> list[Passage]:
    """Passages shared by two units, sides as given (see :func:`align_indexed`)."""
    return align_indexed(seed_index(a, params), seed_index(b, params), params)
