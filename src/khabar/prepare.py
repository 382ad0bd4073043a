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
from typing import Any

from khabar.article import Article, Segment
from khabar.clean.lines import Line, lines_of, split_lines
from khabar.clean.segment import classify_lines, to_segments
from khabar.clean.templates import ArticleKeys, TemplateLearner, article_keys
from khabar.fingerprint import Unit, article_units, unit_words
from khabar.normalize import normalize
from khabar.parallel import map_ranges
from khabar.stories.features import StoryUnit, story_units_of
from khabar.stories.wires import wire_credits
from khabar.times import article_time
from khabar.words import word_bounds

RANGE = 128  # articles per task of a worker (a batch of prepare_many)


@dataclass(slots=True)
class Prepared:
    """Everything the later stages need of one article."""

    segments: list[Segment]
    units: list[Unit]  # reuse units
    story_units: list[StoryUnit]
    wires: dict[str, list[str]]  # unit key → credited agencies
    time: tuple[datetime | None, str | None]  # (time, where it came from)


def _keys(shared: dict[str, Any], lo: int, hi: int) -> list[ArticleKeys | None]:
    out: list[ArticleKeys | None] = []
    for a in shared["articles"][lo:hi]:
        out.append(article_keys(a.text, _lines(a)) if a.source else None)
    return out


def _lines(a: Article) -> list[Line]:
    """The article's lines, for template learning: its words need not be hashed for that."""
    if a.view is not None:
        return split_lines(a.text, a.view)
    norm = normalize(a.text)
    return lines_of(a.text, norm, word_bounds(norm)[0])


def prepare_one(article: Article, k: int, templates: frozenset[int]) -> Prepared:
    """Clean one article (``templates``: its outlet's) and compute its units, features and credits."""
    return prepare_many([(article, k, templates)])[0]


def prepare_many(items: Sequence[tuple[Article, int, frozenset[int]]]) -> list[Prepared]:
    """:func:`prepare_one` of each ``(article, index, templates)``, with the story features of all
    of them computed together (vectorized over the batch)."""
    keep_view = [a.view is not None for a, _, _ in items]
    try:
        out = []
        word_idx = []
        for article, k, templates in items:
            v = article.text_view()
            lines = split_lines(article.text, v)
            article.segments = to_segments(classify_lines(lines, templates), len(article.text))
            word_idx.append(unit_words(article))
            out.append(
                Prepared(
                    article.segments,
                    article_units(article, k, word_idx[-1]),
                    [],
                    {key: wire_credits(article, segs, lines) for key, segs in article.units().items()},
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
    """The prepared articles ``lo`` to ``hi`` of ``shared["articles"]`` (``shared["templates"]``: by outlet)."""
    articles, templates = shared["articles"], shared["templates"]
    empty: frozenset[int] = frozenset()
    return prepare_many([(articles[k], k, templates.get(articles[k].source or "", empty)) for k in range(lo, hi)])


def learn_templates(
    articles: Sequence[Article], jobs: int = 1, progress: Callable[[int], None] | None = None
) -> TemplateLearner:
    """Each outlet's template lines, learned from ``articles`` (in input order)."""
    learner = TemplateLearner()
    keys = map_ranges(_keys, len(articles), jobs, {"articles": articles}, chunk=RANGE, progress=progress)
    for a, k in zip(articles, keys, strict=True):
        if k is not None:
            learner.add_keys(a.source, k)
    return learner


def prepare_articles(
    articles: Sequence[Article],
    jobs: int = 1,
    learn: bool = True,
    progress: Callable[[int], None] | None = None,
) -> list[Prepared]:
    """Clean every article in place (its ``segments``) and prepare it for reuse and stories."""
    templates = learn_templates(articles, jobs, progress).templates() if learn else {}
    prepared: list[Prepared] = map_ranges(
        prepare_range, len(articles), jobs, {"articles": articles, "templates": templates}, RANGE, progress
    )
    for a, p in zip(articles, prepared, strict=True):
        a.segments = p.segments
    return prepared
