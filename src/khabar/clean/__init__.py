"""Cleaning: mark each line of an article as body, appended article, or boilerplate."""

from __future__ import annotations

from collections.abc import Sequence

from khabar.article import Article
from khabar.clean.lines import split_lines
from khabar.clean.segment import classify, classify_to_segments, segment
from khabar.clean.templates import TemplateLearner

__all__ = ["TemplateLearner", "classify", "segment", "clean_articles"]


def clean_articles(articles: Sequence[Article], learn_templates: bool = True) -> TemplateLearner:
    """Learn each outlet's templates from ``articles``, then set every article's segments."""
    learner = TemplateLearner()
    all_lines = [split_lines(a.text, a.text_view()) for a in articles]
    if learn_templates:
        for a, lines in zip(articles, all_lines, strict=True):
            learner.add(a.source, a.text, lines)
    templates = learner.templates()
    for a, lines in zip(articles, all_lines, strict=True):
        a.segments = classify_to_segments(lines, templates.get(a.source or "", frozenset()), len(a.text))
    return learner
