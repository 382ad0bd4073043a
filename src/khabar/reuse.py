"""Find every reuse pair among cleaned articles: fingerprint → candidates → align → relate."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from khabar.align import AlignParams, align_units
from khabar.align_many import align_many
from khabar.article import Article
from khabar.candidates import CandidateParams, DocumentFrequency, candidate_pairs
from khabar.fingerprint import Unit, article_units
from khabar.parallel import map_tasks, pool
from khabar.relate import UnitPassage, pair_record, same_words


@dataclass(frozen=True, slots=True)
class ReuseParams:
    candidates: CandidateParams = field(default_factory=CandidateParams)
    align: AlignParams = field(default_factory=AlignParams)


def units_of(articles: Sequence[Article]) -> list[Unit]:
    units: list[Unit] = []
    for k, article in enumerate(articles):
        units.extend(article_units(article, k))
    return units


def _sizes(units: Sequence[Unit]) -> dict[int, dict[str, int]]:
    sizes: dict[int, dict[str, int]] = defaultdict(dict)
    for u in units:
        sizes[u.article][u.key] = len(u)
    return sizes


def _records(
    articles: Sequence[Article],
    units: Sequence[Unit],
    found: dict[tuple[int, int], list[UnitPassage]],
) -> list[dict[str, Any]]:
    """The pairs.jsonl records of ``found``, in order of article pair."""
    shared = _record_context(articles, units)
    return [_record(shared, ia, ib, passages) for (ia, ib), passages in sorted(found.items())]


def _record_context(articles: Sequence[Article], units: Sequence[Unit]) -> dict[str, Any]:
    """What :func:`_record` needs: the articles, each one's unit sizes and body words."""
    return {
        "articles": articles,
        "sizes": _sizes(units),
        "bodies": {u.article: u.hashes for u in units if u.key == "body"},
    }


def _record(shared: dict[str, Any], ia: int, ib: int, passages: list[UnitPassage]) -> dict[str, Any]:
    articles, sizes, bodies = shared["articles"], shared["sizes"], shared["bodies"]
    dup = same_words(bodies.get(ia), bodies.get(ib))
    return pair_record(articles[ia].id, articles[ib].id, sizes[ia], sizes[ib], passages, dup)


@dataclass
class ReuseResult:
    pairs: list[dict[str, Any]]  # pairs.jsonl records
    sizes: dict[tuple[int, str], int]  # words in each unit: (article index, unit key) → count
    candidates: int = 0


ALIGN_TASK = 4096  # candidate pairs per task sent to a worker (one compiled call; seed tables built once a task)


def _align_chunk(shared: dict[str, Any], lo: np.ndarray, hi: np.ndarray) -> list[tuple[int, int, list[UnitPassage]]]:
    """Align candidate unit pairs ``(lo[k], hi[k])``; returns ``(unit i, unit j, passages)`` for those
    sharing a passage, the earlier article's unit first."""
    units: Sequence[Unit] = shared["units"]
    params: ReuseParams = shared["params"]
    stats: list[DocumentFrequency] = shared["stats"]
    lo, hi = np.asarray(lo, np.int64), np.asarray(hi, np.int64)
    article = np.array([units[k].article for k in lo.tolist()] + [units[k].article for k in hi.tolist()], np.int64)
    swap = article[: len(lo)] > article[len(lo) :]  # the earlier article's unit first
    xs, ys = np.where(swap, hi, lo), np.where(swap, lo, hi)
    found = align_many(units, xs, ys, params.align, stats[0] if stats else None)
    out = []
    for i, j, passages in zip(xs.tolist(), ys.tolist(), found, strict=True):
        if passages:
            out.append((i, j, [UnitPassage(units[i].key, units[j].key, p) for p in passages]))
    return out


def _align_records(shared: dict[str, Any], lo: np.ndarray, hi: np.ndarray) -> list[dict[str, Any]]:
    """The pair records of the candidates ``(lo[k], hi[k])``, which hold every candidate of each of
    their article pairs (:func:`_article_cuts`), in order of article pair."""
    units: Sequence[Unit] = shared["units"]
    found: dict[tuple[int, int], list[UnitPassage]] = {}
    for i, j, passages in _align_chunk(shared, lo, hi):
        found.setdefault((units[i].article, units[j].article), []).extend(passages)
    return [_record(shared, ia, ib, passages) for (ia, ib), passages in sorted(found.items())]


def _article_cuts(first: np.ndarray, size: int) -> list[int]:
    """Where to cut candidates whose first units belong to the (ascending) articles ``first`` into
    tasks of about ``size``: never between two candidates of the same first article, so each task
    holds all the candidates, and makes the whole record, of its article pairs."""
    n = len(first)
    changes = np.flatnonzero(first[1:] != first[:-1]) + 1
    cuts = [0]
    while cuts[-1] < n:
        k = int(np.searchsorted(changes, cuts[-1] + size, side="left"))
        cuts.append(int(changes[k]) if k < len(changes) else n)
    return cuts


def find_pairs(
    articles: Sequence[Article],
    params: ReuseParams = ReuseParams(),
    progress: Callable[[int], None] | None = None,
    units: Sequence[Unit] | None = None,
    jobs: int = 1,
) -> ReuseResult:
    """All article pairs sharing at least one passage, as pairs.jsonl records, and unit sizes.

    ``units``: the articles' reuse units if already computed (else from their segments); ``jobs``:
    worker processes for the alignment.
    """
    units = units_of(articles) if units is None else units
    article = np.array([u.article for u in units], dtype=np.int64)
    if np.any(article[1:] < article[:-1]):
        raise ValueError("reuse units must be in article order")
    records: list[dict[str, Any]] = []
    n_candidates = 0
    stats: list[DocumentFrequency] = []
    batches = candidate_pairs(units, params.candidates, stats, keep_df_above=params.align.rare_df)
    first = next(batches, None)  # the n-gram statistics exist from here on
    if first is not None:
        shared = {"units": units, "params": params, "stats": stats, **_record_context(articles, units)}
        with pool(jobs, shared) as workers:
            for lo, hi, _shared in itertools.chain([first], batches):
                # a batch holds every candidate of its first units' articles (candidate_pairs)
                n_candidates += len(lo)
                cuts = _article_cuts(article[lo], ALIGN_TASK)
                tasks = [(lo[a:b], hi[a:b]) for a, b in itertools.pairwise(cuts)]
                for (task_lo, _), part in zip(tasks, map_tasks(workers, _align_records, tasks), strict=True):
                    records.extend(part)
                    if progress:
                        progress(len(task_lo))
    sizes = {(u.article, u.key): len(u) for u in units}
    return ReuseResult(records, sizes, n_candidates)


def compare_articles(a: Article, b: Article, params: ReuseParams = ReuseParams()) -> dict[str, Any]:
    """Align every unit of ``a`` with every unit of ``b`` (no candidate filter)."""
    ua, ub = article_units(a, 0), article_units(b, 1)
    found: dict[tuple[int, int], list[UnitPassage]] = defaultdict(list)
    for x in ua:
        for y in ub:
            for p in align_units(x, y, params.align):
                found[(0, 1)].append(UnitPassage(x.key, y.key, p))
    if not found:
        found[(0, 1)] = []
    return _records([a, b], [*ua, *ub], found)[0]
