"""Incremental story clustering: average-linkage agglomeration over the sparse link graph.

Links (:mod:`khabar.stories.link`) depend only on the two units they join.  Stories are built by
average linkage: starting from single units, the two stories with the highest average link weight
(summed over all pairs of their members, a missing link counting 0) are merged while that average
reaches ``LinkParams.join``.  Unlike connected components, one stray link cannot chain two events
into one story.  Units are ranked canonically (time, then article id, then unit key) before
clustering, so the result is a function of the set of units: the same whatever order articles
arrive in and however they are batched.  :meth:`StoryIndex.add` keeps every link found so far and
only computes the links of the new units.

A story's id is derived from its founding unit: the earliest timed member (an untimed one only when
no member has a time), ties broken by article id.  An id stays valid as long as its founder is the
earliest member of its story.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from khabar.stories._linkage_kernel import average_linkage as _compiled_linkage
from khabar.stories.features import StoryUnit
from khabar.stories.link import LinkBlock, LinkParams, lexical_link_arrays


def founder_key(u: StoryUnit) -> tuple[bool, float, str, str]:
    return (u.time is None, u.timestamp or 0.0, u.article_id, u.key)


def story_id(u: StoryUnit) -> str:
    digest = hashlib.blake2b(f"{u.article_id}\x00{u.key}".encode(), digest_size=6).hexdigest()
    return f"story-{digest}"


def average_linkage(n: int, links: dict[tuple[int, int], float], join: float) -> list[int]:
    """Cluster ``n`` items (``links``: ``(i, j)`` with ``i < j`` → weight); returns each item's
    cluster representative.  Deterministic: ties go to the lowest item numbers."""
    m = len(links)
    lo = np.fromiter((i for i, _ in links), dtype=np.int64, count=m)
    hi = np.fromiter((j for _, j in links), dtype=np.int64, count=m)
    return average_linkage_arrays(n, lo, hi, np.fromiter(links.values(), dtype=np.float64, count=m), join)


def average_linkage_arrays(n: int, lo: np.ndarray, hi: np.ndarray, weight: np.ndarray, join: float) -> list[int]:
    """:func:`average_linkage` of links given as arrays (distinct pairs ``lo[k] < hi[k]``), compiled
    (``_linkage_kernel.pyx``; :func:`average_linkage_reference` is the same in Python)."""
    lo = np.ascontiguousarray(lo, np.int64)
    hi = np.ascontiguousarray(hi, np.int64)
    return _compiled_linkage(n, lo, hi, np.ascontiguousarray(weight, np.float64), float(join)).tolist()


def average_linkage_reference(n: int, lo: np.ndarray, hi: np.ndarray, weight: np.ndarray, join: float) -> list[int]:
    """:func:`average_linkage_arrays` in plain Python: the reference the compiled one is tested against."""
    order = np.lexsort((hi, lo))
    sums: list[dict[int, float]] = [{} for _ in range(n)]
    for i, j, w in zip(lo[order].tolist(), hi[order].tolist(), weight[order].tolist(), strict=True):
        sums[i][j] = 0.0 + w
        sums[j][i] = 0.0 + w
    size = [1] * n
    parent = list(range(n))
    strong = np.flatnonzero(weight >= join)
    heap = list(zip((-weight[strong]).tolist(), lo[strong].tolist(), hi[strong].tolist(), strict=True))
    heapq.heapify(heap)
    while heap:
        neg, a, b = heapq.heappop(heap)
        if parent[a] != a or parent[b] != b or sums[a].get(b, 0.0) / (size[a] * size[b]) != -neg:
            continue  # stale: a side was merged, or the average changed since this entry was pushed
        if (len(sums[a]), -a) < (len(sums[b]), -b):
            a, b = b, a  # fold the smaller neighbourhood into the larger
        parent[b] = a
        for c, w in sums[b].items():
            if c != a:
                sums[a][c] = sums[a].get(c, 0.0) + w
                sums[c][a] = sums[c].get(a, 0.0) + w
                del sums[c][b]
        sums[a].pop(b, None)
        sums[b] = {}
        size[a] += size[b]
        for c, w in sums[a].items():
            avg = w / (size[a] * size[c])
            if avg >= join:
                heapq.heappush(heap, (-avg, min(a, c), max(a, c)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    return [root(i) for i in range(n)]


@dataclass
class StoryIndex:
    """Units, their links, and the stories they form; grows with :meth:`add`."""

    params: LinkParams = field(default_factory=LinkParams)
    units: list[StoryUnit] = field(default_factory=list)
    # the links, as arrays: unit positions lo[k] < hi[k] (each pair once) and the summed weight
    _lo: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    _hi: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    _w: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))

    @property
    def links(self) -> dict[tuple[int, int], float]:
        """Unit positions ``(i, j)`` with ``i < j`` → link weight."""
        return dict(zip(zip(self._lo.tolist(), self._hi.tolist(), strict=True), self._w.tolist(), strict=True))

    def add(
        self,
        new: Sequence[StoryUnit],
        reuse_links: Iterable[tuple[StoryUnit, StoryUnit]] = (),
        jobs: int = 1,
        lexical: Callable[[], Iterable[LinkBlock]] | None = None,
    ) -> None:
        """Add units and link them to each other and to every unit already indexed; ``reuse_links``
        are pairs of units (new or old) that share a large part of their text (``jobs``: worker
        processes for the links).  ``lexical``: gives the lexical links of an empty index's new units
        if they were computed already (:func:`lexical_link_arrays` of them, e.g. in the background)."""
        start = len(self.units)
        if lexical is not None and start:
            raise ValueError("precomputed lexical links are those of an empty index's units")
        self.units.extend(new)
        los, his, ws = [self._lo], [self._hi], [self._w]
        blocks = iter(
            lexical_link_arrays(self.units, self.params, new_from=start, jobs=jobs) if lexical is None else lexical()
        )
        first = next(blocks, None)  # the workers go on with the other blocks while the reuse links are read
        position = {id(u): k for k, u in enumerate(self.units)}
        extra = [sorted((position[id(a)], position[id(b)])) for a, b in reuse_links]
        extra = [(i, j) for i, j in extra if i != j]
        for lo, hi, weights in itertools.chain([] if first is None else [first], blocks):
            los.append(lo.astype(np.int64, copy=False))
            his.append(hi.astype(np.int64, copy=False))
            ws.append(weights.astype(np.float64, copy=False))
        if extra:
            los.append(np.array([i for i, _ in extra], np.int64))
            his.append(np.array([j for _, j in extra], np.int64))
            ws.append(np.full(len(extra), self.params.reuse_weight, np.float64))
        self._lo, self._hi, self._w = _sum_links(np.concatenate(los), np.concatenate(his), np.concatenate(ws))

    def stories(self) -> dict[str, list[StoryUnit]]:
        """Story id → member units (in index order)."""
        order = sorted(range(len(self.units)), key=lambda k: founder_key(self.units[k]))
        rank = np.zeros(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        ri, rj = rank[self._lo], rank[self._hi]
        roots = average_linkage_arrays(len(order), np.minimum(ri, rj), np.maximum(ri, rj), self._w, self.params.join)
        groups: dict[int, list[int]] = defaultdict(list)
        for k in range(len(self.units)):
            groups[roots[rank[k]]].append(k)
        out: dict[str, list[StoryUnit]] = {}
        for members in groups.values():
            founder = min((self.units[k] for k in members), key=founder_key)
            out[story_id(founder)] = [self.units[k] for k in members]
        return out


def _sum_links(lo: np.ndarray, hi: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One entry per pair ``(lo, hi)``, in order of first appearance, its weights summed left to right
    (``0.0 + w1 + w2 + ...``, as accumulating them in a dict would)."""
    if len(lo) == 0:
        return lo, hi, w
    key = lo * (int(max(lo.max(), hi.max())) + 1) + hi
    order = np.argsort(key, kind="stable")
    sk = key[order]
    starts = np.flatnonzero(np.concatenate([[True], sk[1:] != sk[:-1]]))
    sizes = np.diff(np.concatenate([starts, [len(sk)]]))
    firsts = order[starts]
    total = 0.0 + w[firsts]
    for g in np.flatnonzero(sizes > 1).tolist():  # pairs linked more than once (a reuse bonus): few
        acc = 0.0
        for x in w[order[starts[g] : starts[g] + sizes[g]]].tolist():
            acc = acc + x
        total[g] = acc
    keep = np.argsort(firsts, kind="stable")  # back to order of first appearance
    return lo[firsts[keep]], hi[firsts[keep]], total[keep]
