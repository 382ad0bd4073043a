"""Candidate unit pairs from an inverted index of word n-gram fingerprints (numpy, no Python loops
over postings).

Every distinct word ``n``-gram of every unit is a posting.  Postings are sorted by hash; a hash
held by more than ``max_df`` units is a stock phrase and is skipped; every other hash links all its
units pairwise, and a pair of units of different articles sharing at least ``min_shared`` distinct
n-grams is a candidate.  Pairs are counted in passes over ranges of first units (compiled: a
counting sort by first unit, four bytes per pair met), so memory stays bounded however large the
corpus.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from khabar._sort_kernel import count_pairs, run_starts, sort_postings
from khabar.fingerprint import FINGERPRINT_N, Unit


@dataclass(frozen=True, slots=True)
class CandidateParams:
    n: int = FINGERPRINT_N  # words per fingerprint n-gram
    min_shared: int = 3  # distinct shared n-grams for a pair to be verified (7 words copied verbatim)
    max_df: int = 500  # n-grams in more units than this are stock phrases
    chunk_postings: int = 4_000_000  # pairs per batch when expanding n-gram groups (the numpy reference pass)
    max_pairs: int = 50_000_000  # unit pairs (with repeats) counted in one pass: bounds the memory


def postings(units: Sequence[Unit], n: int) -> tuple[np.ndarray, np.ndarray]:
    """All (hash, unit index) postings, one per distinct n-gram per unit, sorted by hash (then unit)."""
    h, u = _unsorted_postings(units, n)
    return sort_postings(h, u)  # by hash, and by unit within a hash (units are in order); compiled


def _unsorted_postings(units: Sequence[Unit], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every n-gram hash of every unit and the unit's index (ascending), in unit order."""
    grams = [unit.grams(n) for unit in units]
    if not grams:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    h = np.concatenate(grams).astype(np.uint64, copy=False)
    return h, np.repeat(np.arange(len(units), dtype=np.int64), [len(g) for g in grams])


def postings_reference(units: Sequence[Unit], n: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`postings` with numpy's stable argsort and masks."""
    h, u = _unsorted_postings(units, n)
    order = np.argsort(h, kind="stable")
    h, u = h[order], u[order]
    first = np.ones(len(h), dtype=bool)  # an n-gram's first posting in its unit
    first[1:] = (h[1:] != h[:-1]) | (u[1:] != u[:-1])
    return h[first], u[first]


def _runs(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal hashes of the sorted ``h`` starts, and its length (compiled)."""
    starts = run_starts(np.ascontiguousarray(h, np.uint64))
    return starts, np.diff(starts, append=len(h))


def _group_pairs(unit_ids: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """All within-group unit pairs as ``lo << 32 | hi`` keys, grouped by group size."""
    out: list[np.ndarray] = []
    for s in np.unique(sizes).tolist():
        sel = starts[sizes == s]
        members = unit_ids[sel[:, None] + np.arange(s)[None, :]]  # (groups, s)
        iu, ju = np.triu_indices(s, k=1)
        a = members[:, iu].ravel()
        b = members[:, ju].ravel()
        lo = np.minimum(a, b)
        hi = np.maximum(a, b)
        out.append((lo << 32) | hi)
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def _sum_by_key(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    first = np.concatenate([[0], np.flatnonzero(np.diff(keys)) + 1]) if len(keys) else np.zeros(0, np.int64)
    return keys[first], np.add.reduceat(counts, first) if len(keys) else counts


@dataclass(frozen=True, slots=True)
class DocumentFrequency:
    """In how many units each n-gram occurs."""

    n: int
    hashes: np.ndarray  # sorted distinct n-gram hashes
    counts: np.ndarray  # units holding each

    @classmethod
    def from_postings(cls, h: np.ndarray, n: int, keep_above: int = 0) -> DocumentFrequency:
        """From sorted postings; only n-grams in more than ``keep_above`` units are kept (``of``
        gives 0 for the others: enough to ask whether an n-gram is rare, in a fraction of the memory)."""
        return cls.from_runs(h, *_runs(h), n, keep_above)

    @classmethod
    def from_runs(
        cls, h: np.ndarray, starts: np.ndarray, sizes: np.ndarray, n: int, keep_above: int = 0
    ) -> DocumentFrequency:
        """:meth:`from_postings` given where each hash's run of postings starts and its length."""
        keep = sizes > keep_above
        return cls(n, h[starts[keep]], sizes[keep])

    def of(self, g: np.ndarray) -> np.ndarray:
        """Document frequency of each hash in ``g`` (0 for hashes never indexed)."""
        if len(self.hashes) == 0:
            return np.zeros(len(g), np.int64)
        pos = np.minimum(np.searchsorted(self.hashes, g), len(self.hashes) - 1)
        return np.where(self.hashes[pos] == g, self.counts[pos], 0)


def candidate_pairs(
    units: Sequence[Unit],
    params: CandidateParams = CandidateParams(),
    stats: list[DocumentFrequency] | None = None,
    keep_df_above: int = 0,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield batches of candidate pairs ``(unit_i, unit_j, shared_ngrams)`` with ``i < j``.

    If ``stats`` is a list, the document frequencies of n-grams in more than ``keep_df_above``
    units are appended to it.
    """
    h, u = postings(units, params.n)
    starts, sizes = _runs(h)  # the n-gram groups
    if stats is not None:
        stats.append(DocumentFrequency.from_runs(h, starts, sizes, params.n, keep_df_above))
    if len(h) == 0:
        return
    article = np.array([unit.article for unit in units], dtype=np.int64)
    keep = (sizes >= 2) & (sizes <= params.max_df)
    starts, sizes = starts[keep], sizes[keep]
    weight = sizes * (sizes - 1) // 2
    cum = np.cumsum(weight)
    # Bounded memory: the pairs are counted one range of first units at a time, each pass expanding
    # the n-gram groups again but keeping only its own pairs.
    passes = max(1, -(-int(cum[-1] if len(cum) else 0) // params.max_pairs))
    even = np.linspace(0, len(units), passes + 1).astype(np.int64)[1:-1]
    # each pass starts at an article's first unit (units are in article order), so it holds every
    # pair of the articles it starts
    bounds = np.unique(np.concatenate([[0], np.searchsorted(article, article[even]), [len(units)]]))
    for first_unit, end_unit in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        # compiled: a counting sort of the pass's pairs by first unit (``pass_pairs_reference``)
        lo, hi, shared = count_pairs(u, starts, sizes, article, first_unit, end_unit, params.min_shared)
        if len(lo):
            yield lo, hi, shared


def pass_pairs_reference(
    u: np.ndarray,
    starts: np.ndarray,
    sizes: np.ndarray,
    article: np.ndarray,
    first_unit: int,
    end_unit: int,
    params: CandidateParams,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One pass of :func:`candidate_pairs` in numpy: what ``_sort_kernel.count_pairs`` computes."""
    cum = np.cumsum(sizes * (sizes - 1) // 2)
    batch = _count_pairs(u, starts, sizes, cum, params.chunk_postings, first_unit, end_unit)
    if batch is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys, shared = batch
    good = shared >= params.min_shared
    keys, shared = keys[good], shared[good]
    lo, hi = keys >> 32, keys & 0xFFFFFFFF
    other = article[lo] != article[hi]
    lo, hi, shared = lo[other], hi[other], shared[other]
    order = np.lexsort((hi, lo))
    return lo[order], hi[order], shared[order]


def _count_pairs(
    u: np.ndarray,
    starts: np.ndarray,
    sizes: np.ndarray,
    cum: np.ndarray,
    chunk: int,
    first_unit: int,
    end_unit: int,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Distinct unit pairs (as ``lo << 32 | hi``) whose first unit is in ``[first_unit, end_unit)``,
    with the number of n-gram groups they share; groups are expanded ``chunk`` pairs at a time."""
    parts_k: list[np.ndarray] = []
    parts_c: list[np.ndarray] = []
    cut = 0
    while cut < len(starts):
        limit = (cum[cut - 1] if cut else 0) + chunk
        nxt = max(cut + 1, int(np.searchsorted(cum, limit, side="right")))
        keys = _group_pairs(u, starts[cut:nxt], sizes[cut:nxt])
        lo = keys >> 32
        keys = keys[(lo >= first_unit) & (lo < end_unit)]
        k, c = np.unique(keys, return_counts=True)
        parts_k.append(k)
        parts_c.append(c)
        cut = nxt
    if not parts_k:
        return None
    return _sum_by_key(np.concatenate(parts_k), np.concatenate(parts_c))
