"""Which units are the same story: weighted links from lexical similarity, headlines, time and reuse.

The link weight of two units is

    (1 - title_share) · cosine(text) + title_share · cosine(headline) − time penalty

over tf-idf stem vectors (headline terms counted twice in the text vector; names, places and numbers
weigh most because they are rare).  The time penalty is ``per_day`` for every day apart beyond a grace
of ``grace_days`` (``untimed`` when a time is unknown), and units more than ``max_days`` apart never
link.  A unit that reuses a large share of the other (``reuse_coverage`` of its words, from the core's
passages) adds ``reuse_weight``.  Clustering (:mod:`khabar.stories.cluster`) joins stories whose
average link weight reaches ``join``.

Every link depends only on the two units, so the links among a set of articles do not depend on
the order they arrive in: the basis of incremental clustering.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from khabar._sort_kernel import argsort_stable, distinct_index
from khabar.article import Article
from khabar.fingerprint import article_units
from khabar.parallel import map_tasks, pool
from khabar.stories import _features_kernel
from khabar.stories.features import StoryUnit, TermVector, story_units
from khabar.times import article_time

if TYPE_CHECKING:
    from scipy import sparse

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class LinkParams:
    """Tuned on the hand-labelled set in ``bench/stories`` (see its README section)."""

    join: float = 0.08  # average link weight at which two stories become one
    floor: float = 0.08  # text cosine below which two units are not linked at all
    title_share: float = 0.2  # weight of the headline cosine in a link
    grace_days: float = 0.25  # no time penalty within this
    per_day: float = 0.2  # penalty for every further day apart
    max_days: float = 3.0  # stories live days, not months
    untimed: float = 0.10  # penalty when a unit has no time
    reuse_coverage: float = 0.5  # share of a unit's words copied from the other: a strong link ...
    reuse_weight: float = 0.5  # ... worth this much
    block: int = 256  # units per block of the sparse similarity product


def penalty(dt_days: float | None, p: LinkParams) -> float:
    """What the days between two units take off their link (None: a time is unknown)."""
    if dt_days is None:
        return p.untimed
    if dt_days > p.max_days:
        return float("inf")
    return p.per_day * max(0.0, dt_days - p.grace_days)


def _dot(a: TermVector | None, b: TermVector | None) -> float:
    return a.dot(b) if a is not None and b is not None else 0.0


def cosine(a: StoryUnit, b: StoryUnit) -> float:
    return _dot(a.weights, b.weights)


def similarity(a: StoryUnit, b: StoryUnit, p: LinkParams) -> float:
    """Text and headline similarity of two units, before time (0–1)."""
    return (1 - p.title_share) * cosine(a, b) + p.title_share * _dot(a.title_weights, b.title_weights)


def days_apart(a: StoryUnit, b: StoryUnit) -> float | None:
    if a.time is None or b.time is None:
        return None
    return abs((a.time - b.time).total_seconds()) / DAY


def link_weight(a: StoryUnit, b: StoryUnit, coverage: float, p: LinkParams) -> tuple[float, float]:
    """The link weight of two units (−inf: never linked) and their similarity before time."""
    dt = days_apart(a, b)
    sim = similarity(a, b, p)
    if dt is not None and dt > p.max_days:
        return float("-inf"), sim
    weight = sim - penalty(dt, p) if cosine(a, b) >= p.floor else 0.0
    if coverage >= p.reuse_coverage:
        weight += p.reuse_weight
    return weight, sim


def linked(a: StoryUnit, b: StoryUnit, coverage: float, p: LinkParams) -> tuple[bool, float]:
    """Whether two units alone are one story, and their story similarity (0–1)."""
    weight, sim = link_weight(a, b, coverage, p)
    return weight >= p.join, sim


@dataclass(frozen=True, slots=True)
class Rows:
    """Sparse vectors as the rows of a CSR matrix (``indptr``, ``indices``, ``data``; ``n_terms``
    columns): the one layout the compiled products read.  Row ``k``'s terms are
    ``indices[indptr[k]:indptr[k + 1]]``, strictly increasing."""

    indptr: np.ndarray  # int64, n + 1
    indices: np.ndarray  # int64, a term's column
    data: np.ndarray  # float64
    n_terms: int

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def to_scipy(self) -> sparse.csr_matrix:
        """The same matrix in scipy (for the references; scipy is not needed otherwise)."""
        from scipy import sparse

        return sparse.csr_matrix((self.data, self.indices, self.indptr), shape=(len(self), max(1, self.n_terms)))


def _matrix(vectors: Sequence[TermVector | None]) -> Rows:
    """Rows: the vectors; columns: their terms (numbered in order of term id)."""
    empty = np.zeros(0, np.int64)
    ids = [v.ids if v is not None else empty for v in vectors]
    vals = [v.values if v is not None else np.zeros(0) for v in vectors]
    indptr = np.zeros(len(vectors) + 1, dtype=np.int64)
    np.cumsum([len(x) for x in ids], out=indptr[1:])
    if indptr[-1] == 0:
        return Rows(indptr, empty, np.zeros(0), 0)
    n_terms, cols = _ranks(np.concatenate(ids))
    data = np.ascontiguousarray(np.concatenate(vals), np.float64)
    return Rows(indptr, np.ascontiguousarray(cols, np.int64), data, n_terms)


def _ranks(ids: np.ndarray) -> tuple[int, np.ndarray]:
    """How many distinct term ids there are, and each id's rank among them: ``np.unique(ids,
    return_inverse=True)``, with a compiled hash table (millions of ids of a few tens of thousands
    of terms) and only the distinct ids sorted (:func:`_ranks_reference` sorts them all)."""
    distinct, index = distinct_index(np.ascontiguousarray(ids).view(np.uint64))
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[np.argsort(distinct.view(np.int64), kind="stable")] = np.arange(len(distinct))
    return len(distinct), rank[index]


def _ranks_reference(ids: np.ndarray) -> tuple[int, np.ndarray]:
    """:func:`_ranks` with the compiled radix sort of every id (term ids are non-negative)."""
    order = argsort_stable(np.ascontiguousarray(ids).view(np.uint64))
    ordered = ids[order]
    new = np.empty(len(ids), dtype=np.int64)
    new[:1] = 0
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:], casting="unsafe")
    ranks = np.empty(len(ids), dtype=np.int64)
    ranks[order] = np.cumsum(new)
    return int(ranks[order[-1]]) + 1 if len(ids) else 0, ranks


LinkBlock = tuple[np.ndarray, np.ndarray, np.ndarray]  # (i, j, weight) of a block's links


def lexical_link_arrays(
    units: Sequence[StoryUnit], p: LinkParams, new_from: int = 0, jobs: int = 1
) -> Iterable[LinkBlock]:
    """``(i, j, weight)`` with ``i < j`` for every lexically linked pair of units where ``j >= new_from``,
    a block at a time as arrays, in block order (blocks computed by ``jobs`` worker processes).

    Rows are the new units, in blocks sorted by time.  Each pair is computed once (or twice within
    one block): a block of timed rows meets the new timed units from the start of its time window up
    to itself, every old unit of its window and the old untimed ones; a block of untimed rows meets
    every old unit, every new timed one and the new untimed ones up to itself.  A pair's weight does
    not depend on which of its units is the row: the sparse products add the same terms in the same
    (term) order, so it is bit for bit what computing both directions would give.
    """
    n = len(units)
    if n < 2 or new_from >= n:
        return
    x = _matrix([u.weights for u in units])
    titles = _matrix([u.title_weights for u in units])
    ts = np.array([u.timestamp if u.time else np.nan for u in units], dtype=np.float64)
    has_time = ~np.isnan(ts)
    timed = np.flatnonzero(has_time)
    untimed = np.flatnonzero(~has_time)
    by_time = timed[np.argsort(ts[timed], kind="stable")]
    old_timed = by_time[by_time < new_from]  # by time
    new_timed = by_time[by_time >= new_from]  # by time (stable: equal times in index order)
    old_ts, new_ts = ts[old_timed], ts[new_timed]
    old_untimed, new_untimed = untimed[untimed < new_from], untimed[untimed >= new_from]
    window = p.max_days * DAY
    blocks: list[tuple[np.ndarray, np.ndarray]] = []
    for lo in range(0, len(new_timed), p.block):
        rows = new_timed[lo : lo + p.block]
        first, last = ts[rows[0]] - window, ts[rows[-1]] + window
        old_cols = old_timed[np.searchsorted(old_ts, first, side="left") : np.searchsorted(old_ts, last, side="right")]
        new_cols = new_timed[np.searchsorted(new_ts, first, side="left") : lo + len(rows)]
        blocks.append((rows, np.concatenate([old_cols, new_cols, old_untimed])))
    everything_old = np.arange(new_from)
    for lo in range(0, len(new_untimed), p.block):
        rows = new_untimed[lo : lo + p.block]
        blocks.append((rows, np.concatenate([everything_old, new_timed, new_untimed[: lo + len(rows)]])))
    shared = {"x": x, "titles": titles, "ts": ts, "new_from": new_from, "p": p}
    with pool(jobs if len(blocks) > 1 else 1, shared) as workers:
        yield from map_tasks(workers, _block_task, blocks)


def _block_task(shared: dict[str, Any], rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, ...]:
    return _block_link_arrays(
        shared["x"], shared["titles"], shared["ts"], rows, cols, shared["new_from"], shared["p"], rows_only_twice=True
    )


def block_similarities(x: Rows, rows: np.ndarray, cols: np.ndarray, floor: float) -> tuple[np.ndarray, ...]:
    """``(i, j, x[rows[i]] · x[cols[j]])`` for every pair whose dot product reaches ``floor``, compiled
    (``_features_kernel.block_similarities``): bit for bit the pairs scipy's sparse product
    :func:`block_similarities_reference` filters, without holding those below the floor; by row, a
    row's columns in the order its terms first reach them."""
    return _features_kernel.block_similarities(
        x.indptr, x.indices, x.data, _index(rows), _index(cols), x.n_terms, float(floor)
    )


def block_similarities_reference(x: Rows, rows: np.ndarray, cols: np.ndarray, floor: float) -> tuple[np.ndarray, ...]:
    """:func:`block_similarities` with scipy's sparse product (in its row-major order)."""
    m = x.to_scipy()
    sims = (m[rows] @ m[cols].T).tocoo()
    keep = sims.data >= floor
    return sims.row[keep].astype(np.int64), sims.col[keep].astype(np.int64), sims.data[keep]


def pair_dots(x: Rows, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``x[a[p]] · x[b[p]]`` for each ``p``, exactly as scipy sums ``x[a].multiply(x[b]).sum(axis=1)``
    (:func:`pair_dots_reference`): the products of the common terms in term order
    (``_features_kernel.pair_products``), added by ``np.add.reduceat`` over each non-empty row."""
    products, bounds = _features_kernel.pair_products(x.indptr, x.indices, x.data, _index(a), _index(b))
    out = np.zeros(len(a), dtype=np.float64)
    full = np.flatnonzero(np.diff(bounds))
    if full.size:
        out[full] = np.add.reduceat(products, bounds[full])
    return out


def pair_dots_reference(x: Rows, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`pair_dots` with scipy."""
    m = x.to_scipy()
    return np.asarray(m[a].multiply(m[b]).sum(axis=1)).ravel()


def _index(idx: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(idx, dtype=np.int64)


def _block_link_arrays(
    x: Rows,
    titles: Rows,
    ts: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    new_from: int,
    p: LinkParams,
    rows_only_twice: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The links of one block of rows against its columns: ``(lo, hi, weight)`` with ``lo < hi``.

    Each pair once: by default the columns are everything the rows may link to, so a pair of two new
    units is kept from the row of its later-indexed unit; with ``rows_only_twice`` the columns hold
    a pair's other unit only when no other block computes the pair, so only pairs of two of the
    block's rows (met in both directions) are thinned."""
    ri, ci, s = block_similarities(x, rows, cols, p.floor)  # nothing links below the floor
    r, c = rows[ri], cols[ci]
    dt = np.abs(ts[r] - ts[c]) / DAY
    ok = ~(dt > p.max_days) & (r != c)
    r, c, s, dt = r[ok], c[ok], s[ok], dt[ok]
    t = pair_dots(titles, r, c)
    pen = np.where(np.isnan(dt), p.untimed, p.per_day * np.maximum(0.0, dt - p.grace_days))
    w = (1 - p.title_share) * s + p.title_share * t - pen
    lo, hi = np.minimum(r, c), np.maximum(r, c)
    if rows_only_twice:
        in_block = np.zeros(len(ts), dtype=bool)
        in_block[rows] = True
        once = (r == hi) | ~in_block[c]
    else:  # from the row of its later-indexed unit if both are new, else from the new one
        once = (r == hi) | (lo < new_from)
    return lo[once], hi[once], w[once]


def story_relation(a: Article, b: Article, pair: dict[str, Any], p: LinkParams = LinkParams()) -> dict[str, Any]:
    """``same_story`` and ``story_similarity`` of two cleaned articles' bodies (``pair``: their reuse pair)."""

    ua = next((u for u in story_units(a, 0, article_time(a)[0]) if u.key == "body"), None)
    ub = next((u for u in story_units(b, 1, article_time(b)[0]) if u.key == "body"), None)
    if ua is None or ub is None:
        return {"same_story": False, "story_similarity": 0.0}
    words_a = sum(x["words"] for x in pair["passages"] if x["a_unit"] == "body" and x["b_unit"] == "body")
    sizes = {(k, u.key): len(u) for k, art in enumerate((a, b)) for u in article_units(art, k)}
    size_a, size_b = max(1, sizes.get((0, "body"), 0)), max(1, sizes.get((1, "body"), 0))
    coverage = max(words_a / size_a, words_a / size_b)
    same, sim = linked(ua, ub, coverage, p)
    return {"same_story": bool(same), "story_similarity": round(min(1.0, max(0.0, sim)), 4)}
