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
            self.b0, self.b1, self.a0, self.a1, self.b_start, self.b_end, self.a_start, self.a_end,
            self.score, self.matched,
        )


def _valid(g: np.ndarray, max_repeat: int) -> np.ndarray:
    values, inverse, counts = np.unique(g, return_inverse=True, return_counts=True)
    return counts[inverse] <= max_repeat


def seeds(ga: np.ndarray, gb: np.ndarray, max_repeat: int) -> tuple[np.ndarray, np.ndarray]:
    """All ``(i, j)`` with ``ga[i] == gb[j]``, ignoring over-repeated values; sorted by i, then j."""
    if len(ga) == 0 or len(gb) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    va = _valid(ga, max_repeat)
    vb = _valid(gb, max_repeat)
    order_b = np.argsort(gb, kind="stable")
    order_b = order_b[vb[order_b]]
    sgb = gb[order_b]
    ia = np.flatnonzero(va)
    lo = np.searchsorted(sgb, ga[ia], side="left")
    hi = np.searchsorted(sgb, ga[ia], side="right")
    cnt = hi - lo
    has = cnt > 0
    ia, lo, cnt = ia[has], lo[has], cnt[has]
    if len(ia) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    total = int(cnt.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    i = np.repeat(ia, cnt).astype(np.int64)
    j = order_b[np.repeat(lo, cnt) + offsets].astype(np.int64)
    order = np.lexsort((j, i))
    return i[order], j[order]


def runs(i: np.ndarray, j: np.ndarray, k: int) -> list[tuple[int, int, int, int]]:
    """Merge seeds that touch on one diagonal into runs ``(a0, a1, b0, b1)`` of matched words."""
    if len(i) == 0:
        return []
    diag = j - i
    order = np.lexsort((i, diag))
    d, ii = diag[order], i[order]
    brk = np.flatnonzero((np.diff(d) != 0) | (np.diff(ii) != 1)) + 1
    first = np.concatenate([[0], brk])
    last = np.concatenate([brk - 1, [len(ii) - 1]])
    a0 = ii[first]
    a1 = ii[last] + k
    b0 = a0 + d[first]
    out = list(zip(a0.tolist(), a1.tolist(), b0.tolist(), (b0 + (a1 - a0)).tolist(), strict=True))
    out.sort()
    return out


def chain(rs: list[tuple[int, int, int, int]], gap: int) -> list[list[int]]:
    """Chain runs into passages ``[a0, a1, b0, b1, matched]`` (runs sorted by a0)."""
    chains: list[list[int]] = []
    for a0, a1, b0, b1 in rs:
        best = None
        best_cost = None
        for c in chains:
            ga, gb = a0 - c[1], b0 - c[3]
            if not (-gap < ga <= gap and -gap < gb <= gap and a1 > c[1] and b1 > c[3]):
                continue
            if a0 < c[0] or b0 < c[2]:
                continue
            cost = abs(ga - gb) + max(ga, gb, 0)
            if best_cost is None or cost < best_cost:
                best, best_cost = c, cost
        if best is None:
            chains.append([a0, a1, b0, b1, a1 - a0])
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
    for c in cs:
        for o in out:
            if c[0] < o[1] and o[0] < c[1] and c[2] < o[3] and o[2] < c[3]:
                o[4] += max(0, c[1] - o[1]) if c[1] > o[1] else 0
                o[1], o[3] = max(o[1], c[1]), max(o[3], c[3])
                o[0], o[2] = min(o[0], c[0]), min(o[2], c[2])
                break
        else:
            out.append(list(c))
    return out


def _align(a: Unit, b: Unit, p: AlignParams) -> list[Passage]:
    i, j = seeds(grams(a.hashes, p.seed), grams(b.hashes, p.seed), p.max_repeat)
    cs = chain(runs(i, j, p.seed), p.gap)
    for c in cs:
        _extend(c, a.hashes, b.hashes)
    out: list[Passage] = []
    for a0, a1, b0, b1, matched in _merge(cs):
        span = max(a1 - a0, b1 - b0)
        score = matched / span
        if matched < p.min_words or score < p.min_density:
            continue
        out.append(
            Passage(
                a0, a1, b0, b1,
                int(a.starts[a0]), int(a.ends[a1 - 1]), int(b.starts[b0]), int(b.ends[b1 - 1]),
                round(min(1.0, score), 4), matched,
            )
        )
    return out


def align_units(a: Unit, b: Unit, params: AlignParams = AlignParams(), a_first: bool | None = None) -> list[Passage]:
    """Passages shared by two units, sides as given.

    ``a_first`` says whether ``a`` is the canonical first side; by default units are ordered by
    their content, which is what makes the result independent of argument order.
    """
    if a_first is None:
        a_first = (len(a), a.hashes.tobytes()) <= (len(b), b.hashes.tobytes())
    if a_first:
        return _align(a, b, params)
    return [p.swapped() for p in _align(b, a, params)]
