"""Cleaning: mark each line of an article as body, appended article, or boilerplate."""

from __future__ import annotations

from collections.abc import Sequence

from khabar.article import Article
from khabar.clean.segment import classify, segment
from khabar.clean.templates import TemplateLearner

__all__ = ["TemplateLearner", "classify", "segment", "clean_articles"]


def clean_articles(articles: Sequence[Article], learn_templates: bool = True) -> TemplateLearner:
    """Learn each outlet's templates from ``articles``, then set every article's segments."""
    learner = TemplateLearner()
    if learn_templates:
        learner.add_all((a.source, a.text) for a in articles)
    templates = learner.templates()
    for a in articles:
        a.segments = segment(a.text, templates.get(a.source or "", frozenset()))
    return learner
