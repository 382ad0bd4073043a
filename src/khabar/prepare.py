"""The per-article work of a scan, spread over ``--jobs`` processes.

Two passes over the articles:

1. template keys: what per-outlet template learning needs of each article (its line keys);
2. once the templates are learned (in the parent, in input order): each article's segments, its
   reuse units (word hashes with offsets), its story units (stem vectors), time and wire credits.

Both passes call the same functions a single-process run does, so the result does not depend on
the number of jobs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import numpy as np

from khabar import _text_kernel
from khabar.article import Article, Segment
from khabar.clean.lines import split_lines
from khabar.clean.segment import classify_to_segments
from khabar.clean.templates import KeyRows, TemplateLearner, key_rows, learned_lines
from khabar.fingerprint import FINGERPRINT_N, Unit, article_units, unit_words
from khabar.normalize import normalize
from khabar.parallel import Background, iter_ranges, map_ranges
from khabar.stories.features import StoryUnit, TermVector, story_units_of, warm
from khabar.stories.wires import may_credit, wire_credits
from khabar.times import article_time

RANGE = 128  # articles per task of a worker (a batch of prepare_many)


@dataclass(slots=True)
class Prepared:
    """Everything the later stages need of one article."""

    segments: list[Segment]
    units: list[Unit]  # reuse units
    story_units: list[StoryUnit]
    wires: dict[str, list[str]]  # unit key → credited agencies
    time: tuple[datetime | None, str | None]  # (time, where it came from)


def _keys(shared: dict[str, Any], lo: int, hi: int) -> KeyRows:
    items: list[tuple[str, list[int], list[int], list[str | None]] | None] = []
    for a in shared["articles"][lo:hi]:
        if a.source:
            # its lines' keys, words and content in one compiled pass: no word hashes, no Line objects
            items.append((a.text, *learned_lines(a.text, a.view.norm if a.view is not None else normalize(a.text))))
        else:
            items.append(None)  # an article without an outlet has no templates
    return key_rows(items)  # arrays: cheap to send, counted in the parent without a Python step per line


def prepare_one(article: Article, k: int, templates: frozenset[int]) -> Prepared:
    """Clean one article (``templates``: its outlet's) and compute its units, features and credits."""
    return prepare_many([(article, k, templates)])[0]


def prepare_many(
    items: Sequence[tuple[Article, int, frozenset[int]]], keys: Sequence[list[int] | None] | None = None
) -> list[Prepared]:
    """:func:`prepare_one` of each ``(article, index, templates)``, with the story features of all
    of them computed together (vectorized over the batch); ``keys``: each article's line keys, if
    template learning computed them (else None)."""
    keep_view = [a.view is not None for a, _, _ in items]
    try:
        out = []
        word_idx = []
        for n, (article, k, templates) in enumerate(items):
            v = article.text_view()
            lines = split_lines(article.text, v)
            known = keys[n] if keys is not None and templates else None
            article.segments = classify_to_segments(lines, templates, len(article.text), known)
            word_idx.append(unit_words(article))
            out.append(
                Prepared(
                    article.segments,
                    article_units(article, k, word_idx[-1]),
                    [],
                    {key: wire_credits(article, segs, lines) for key, segs in article.units().items()}
                    if may_credit(article.text, v.norm.text)
                    else {key: [] for key in article.units()},
                    article_time(article),
                )
            )
        batch = [(article, k, p.time[0]) for (article, k, _), p in zip(items, out, strict=True)]
        for p, units in zip(out, story_units_of(batch, word_idx), strict=True):
            p.story_units = units
        return out
    finally:
        for (article, _, _), keep in zip(items, keep_view, strict=True):
            if not keep:
                article.view = None  # views are large: never keep one per article


def prepare_range(shared: dict[str, Any], lo: int, hi: int) -> list[Prepared]:
    """The prepared articles ``lo`` to ``hi`` of ``shared["articles"]`` (``shared["templates"]``: by outlet),
    as a :class:`PreparedBatch` (it crosses from a worker to the parent packed)."""
    articles, templates, keys = shared["articles"], shared["templates"], shared.get("line_keys")
    empty: frozenset[int] = frozenset()
    return PreparedBatch(
        prepare_many(
            [(articles[k], k, templates.get(articles[k].source or "", empty)) for k in range(lo, hi)],
            None if keys is None else [None if x is None else x.tolist() for x in keys[lo:hi]],
        )
    )


class PreparedBatch(list[Prepared]):
    """Prepared articles that pickle packed: the words and weights of all their units as a few long
    arrays instead of eight small ones per article, so the parent unpickling every worker's results
    (the serial part of a parallel scan) does not pay per array.  Unpickled, each unit's arrays are
    views into the long ones: the same values, dtypes and memory."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unpack, _pack(self))


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def _pack(batch: Sequence[Prepared]) -> tuple[Any, ...]:
    heads = [
        ([(s.start, s.end, s.kind) for s in p.segments], p.wires, p.time, len(p.units), len(p.story_units))
        for p in batch
    ]
    units = [u for p in batch for u in p.units]
    unit_meta = [(u.article, u.key, len(u.hashes), -1 if u.ngrams is None else len(u.ngrams)) for u in units]
    words = (  # the n-grams are not sent: the parent computes them again from the words, faster
        _cat([u.hashes for u in units], np.uint64),
        _cat([u.starts for u in units], np.int32),
        _cat([u.ends for u in units], np.int32),
    )
    stories = [s for p in batch for s in p.story_units]
    story_meta = [
        (
            s.article,
            s.article_id,
            s.key,
            s.segments,
            s.title,
            s.time,
            s.source,
            len(s.weights.ids),
            -1 if s.title_weights is None else len(s.title_weights.ids),
        )
        for s in stories
    ]
    titled = [s.title_weights for s in stories if s.title_weights is not None]
    weights = (
        _cat([s.weights.ids for s in stories], np.int64),
        _cat([s.weights.values for s in stories], np.float64),
        _cat([t.ids for t in titled], np.int64),
        _cat([t.values for t in titled], np.float64),
    )
    return heads, unit_meta, words, story_meta, weights


def _unpack(
    heads: list[Any],
    unit_meta: list[Any],
    words: tuple[np.ndarray, ...],
    story_meta: list[Any],
    weights: tuple[np.ndarray, ...],
) -> PreparedBatch:
    hashes, starts, ends = words
    bounds = np.zeros(len(unit_meta) + 1, np.int64)
    np.cumsum([n for _, _, n, _ in unit_meta], out=bounds[1:])
    grams, gram_bounds = _text_kernel.grams_runs(hashes, bounds, FINGERPRINT_N)
    units: list[Unit] = []
    for k, (article, key, n, m) in enumerate(unit_meta):
        w, g = int(bounds[k]), int(gram_bounds[k])
        units.append(
            Unit(
                article, key, hashes[w : w + n], starts[w : w + n], ends[w : w + n], None if m < 0 else grams[g : g + m]
            )
        )
    ids, values, title_ids, title_values = weights
    stories: list[StoryUnit] = []
    w = t = 0
    for article, article_id, key, segments, title, time, source, n, m in story_meta:
        title_weights = None if m < 0 else TermVector(title_ids[t : t + m], title_values[t : t + m])
        stories.append(
            StoryUnit(
                article,
                article_id,
                key,
                segments,
                title,
                time,
                TermVector(ids[w : w + n], values[w : w + n]),
                source,
                title_weights,
            )
        )
        w += n
        t += max(m, 0)
    out = PreparedBatch()
    u = s = 0
    for segments, wires, time, n_units, n_stories in heads:
        out.append(
            Prepared([Segment(*x) for x in segments], units[u : u + n_units], stories[s : s + n_stories], wires, time)
        )
        u += n_units
        s += n_stories
    return out


LineKeys = list[np.ndarray | None]  # each article's line keys (uint64), None for one without an outlet


class KeysAhead:
    """Template learning's line keys of the first articles, computed by forked children while the
    parent reads the rest (a core is otherwise idle then): called with the articles read so far
    after each one, it starts a child for every :attr:`chunk` new articles (the first ones for
    fewer: :attr:`first`, then as many as were read before them)."""

    def __init__(self, chunk: int = 8192, first: int = 2048) -> None:
        self.chunk = chunk
        self.first = min(first, chunk)  # the first children take fewer: the idle core starts sooner
        self.started: list[tuple[int, int, Background[KeyRows]]] = []  # (lo, hi, its child)
        self._next = 0

    def __call__(self, articles: list[Article]) -> None:
        if len(articles) - self._next >= min(self.chunk, max(self.first, self._next)):
            lo, hi = self._next, len(articles)
            self.started.append((lo, hi, Background(partial(_keys, {"articles": articles}, lo, hi))))
            self._next = hi

    def cancel(self) -> None:
        """Stop the children whose keys are not wanted (templates from a checkpoint, a failed scan)."""
        for _, _, child in self.started:
            child.cancel()


def learn_templates(
    articles: Sequence[Article],
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
    line_keys: LineKeys | None = None,
    ahead: KeysAhead | None = None,
) -> TemplateLearner:
    """Each outlet's template lines, learned from ``articles`` (in input order).  Each article's
    line keys (None for one without an outlet) are appended to ``line_keys`` if given: cleaning
    need not compute them again.  ``ahead``: the keys of the first articles, being computed while
    they were read (the workers do the others meanwhile)."""
    learner = TemplateLearner()
    lo = 0

    def count(rows: KeyRows) -> None:
        nonlocal lo
        hi = lo + len(rows.digests)
        learner.add_rows([a.source for a in articles[lo:hi]], rows)
        if line_keys is not None:
            line_keys.extend(rows.line_keys())
        lo = hi

    first = [] if ahead is None else ahead.started
    start = first[-1][1] if first else 0
    if [a for a, _, _ in first] != [0, *(b for _, b, _ in first)][: len(first)] or start > len(articles):
        raise ValueError("the keys computed ahead are not those of the first articles")
    waiting = list(first)  # counted once the workers are busy with the rest

    def count_first() -> None:
        for a, b, child in waiting:
            count(child.result())
            if progress:
                progress(b - a)
        waiting.clear()

    # counted a run of articles at a time as they come, while the workers go on
    rest = {"articles": articles[start:]}
    for rows in iter_ranges(_keys, len(articles) - start, jobs, rest, chunk=RANGE, progress=progress):
        count_first()
        count(rows)
    count_first()
    if lo != len(articles):
        raise RuntimeError(f"template learning saw {lo} of {len(articles)} articles")
    return learner


def prepare_articles(
    articles: Sequence[Article],
    jobs: int = 1,
    learn: bool = True,
    progress: Callable[[int], None] | None = None,
    ahead: KeysAhead | None = None,
) -> list[Prepared]:
    """Clean every article in place (its ``segments``) and prepare it for reuse and stories
    (``ahead``: template keys computed while the articles were read, see :class:`KeysAhead`)."""
    keys: LineKeys = []
    if not learn and ahead is not None:
        ahead.cancel()
    templates = learn_templates(articles, jobs, progress, keys, ahead).templates() if learn else {}
    warm()  # before the workers fork
    shared = {"articles": articles, "templates": templates, "line_keys": keys if learn else None}
    prepared: list[Prepared] = map_ranges(prepare_range, len(articles), jobs, shared, RANGE, progress)
    for a, p in zip(articles, prepared, strict=True):
        a.segments = p.segments
    return prepared
