"""Which units are the same story: pairwise links from lexical similarity, time and reuse.

Two units link when

* the cosine of their tf-idf stem vectors (headline terms counted twice; names, places and numbers
  weigh most because they are rare) reaches a threshold that rises with the time between them, up to
  ``max_days`` apart, or
* one reuses a large share of the other (``reuse_coverage`` of its words, from the core's passages)
  within the same time window.

Every link depends only on the two units, so the links among a set of articles do not depend on
the order they arrive in: the basis of incremental clustering.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from khabar.article import Article
from khabar.fingerprint import article_units
from khabar.stories.features import StoryUnit, story_units
from khabar.times import article_time

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class LinkParams:
    threshold: float = 0.30  # cosine needed between units published within a day of each other
    per_day: float = 0.03  # ... plus this much for every further day apart
    max_days: float = 7.0  # stories live days, not months
    untimed: float = 0.10  # extra cosine needed when a unit has no time
    reuse_coverage: float = 0.5  # share of a unit's words copied from the other: a link by itself
    block: int = 2048  # units per block of the sparse similarity product


def needed(dt_days: float | None, p: LinkParams) -> float:
    """The cosine two units need, given the days between them (None: a time is unknown)."""
    if dt_days is None:
        return p.threshold + p.untimed
    if dt_days > p.max_days:
        return float("inf")
    return p.threshold + p.per_day * max(0.0, dt_days - 1.0)


def cosine(a: StoryUnit, b: StoryUnit) -> float:
    if len(a.weights) > len(b.weights):
        a, b = b, a
    return sum(w * b.weights.get(t, 0.0) for t, w in a.weights.items())


def days_apart(a: StoryUnit, b: StoryUnit) -> float | None:
    if a.time is None or b.time is None:
        return None
    return abs((a.time - b.time).total_seconds()) / DAY


def linked(a: StoryUnit, b: StoryUnit, coverage: float, p: LinkParams) -> tuple[bool, float]:
    """Whether two units are one story, and their story similarity (0–1)."""
    dt = days_apart(a, b)
    sim = cosine(a, b)
    if dt is not None and dt > p.max_days:
        return False, sim
    return sim >= needed(dt, p) or coverage >= p.reuse_coverage, sim


def _matrix(units: Sequence[StoryUnit]) -> sparse.csr_matrix:
    vocab: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for i, u in enumerate(units):
        for t, w in u.weights.items():
            rows.append(i)
            cols.append(vocab.setdefault(t, len(vocab)))
            vals.append(w)
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(units), max(1, len(vocab))), dtype=np.float64)


def lexical_links(units: Sequence[StoryUnit], p: LinkParams, new_from: int = 0) -> Iterable[tuple[int, int, float]]:
    """``(i, j, cosine)`` with ``i < j`` for every linked pair of units where ``j >= new_from``.

    Rows are the new units, in blocks sorted by time; columns are the units within ``max_days`` of
    the block (all units, for untimed rows and against untimed columns).
    """
    n = len(units)
    if n < 2 or new_from >= n:
        return
    x = _matrix(units)
    ts = np.array([u.timestamp if u.time else np.nan for u in units], dtype=np.float64)
    has_time = ~np.isnan(ts)
    timed = np.flatnonzero(has_time)
    untimed = np.flatnonzero(~has_time)
    by_time = timed[np.argsort(ts[timed], kind="stable")]
    sorted_ts = ts[by_time]
    new = np.arange(new_from, n)
    new_timed = new[has_time[new]]
    new_timed = new_timed[np.argsort(ts[new_timed], kind="stable")]
    for lo in range(0, len(new_timed), p.block):
        rows = new_timed[lo : lo + p.block]
        left = np.searchsorted(sorted_ts, ts[rows[0]] - p.max_days * DAY, side="left")
        right = np.searchsorted(sorted_ts, ts[rows[-1]] + p.max_days * DAY, side="right")
        cols = np.concatenate([by_time[left:right], untimed])
        yield from _block_links(x, ts, rows, cols, new_from, p)
    new_untimed = new[~has_time[new]]
    for lo in range(0, len(new_untimed), p.block):
        yield from _block_links(x, ts, new_untimed[lo : lo + p.block], np.arange(n), new_from, p)


def _block_links(
    x: sparse.csr_matrix, ts: np.ndarray, rows: np.ndarray, cols: np.ndarray, new_from: int, p: LinkParams
) -> Iterable[tuple[int, int, float]]:
    sims = (x[rows] @ x[cols].T).tocoo()
    keep = sims.data >= p.threshold  # nothing links below the base threshold
    r, c, s = rows[sims.row[keep]], cols[sims.col[keep]], sims.data[keep]
    dt = np.abs(ts[r] - ts[c]) / DAY
    need = np.where(np.isnan(dt), p.threshold + p.untimed, p.threshold + p.per_day * np.maximum(0.0, dt - 1.0))
    need = np.where(dt > p.max_days, np.inf, need)
    ok = (s >= need - 1e-9) & (r != c)
    for i, j, v in zip(r[ok].tolist(), c[ok].tolist(), s[ok].tolist(), strict=True):
        lo, hi = min(i, j), max(i, j)
        # each pair once: from the row of its later-indexed unit if both are new, else from the new one
        if i == hi or lo < new_from:
            yield lo, hi, v


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
    return {"same_story": bool(same), "story_similarity": round(min(1.0, sim), 4)}
