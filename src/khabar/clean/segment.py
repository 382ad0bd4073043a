"""Turn a text into segments (body / appended / boilerplate) that tile it exactly."""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

from khabar.article import Segment
from khabar.clean import appended, boilerplate, teasers
from khabar.clean._classify_kernel import Classifier
from khabar.clean.appended import mark_appended
from khabar.clean.boilerplate import apply_context, classify_line
from khabar.clean.lexicon import lexicon
from khabar.clean.lines import Line, split_lines, template_key
from khabar.words import TextView


def classify(text: str, templates: Collection[int] = (), v: TextView | None = None) -> list[Line]:
    """Every line of ``text`` with its kind and the rule that decided it."""
    return classify_lines(split_lines(text, v), templates)


@lru_cache(maxsize=1)
def _classifier() -> Classifier:
    """The compiled classifier, bound to the rules and thresholds of :mod:`boilerplate` and :mod:`appended`."""
    return Classifier(
        lexicon(),
        template_key,
        boilerplate.URL.match,
        boilerplate.menu_like,
        boilerplate.DATE_WORDS,
        boilerplate.MENU_SEP_CHARS,
        appended.HEADLINE_STOPS,
        boilerplate.LEXICON_MAX_WORDS,
        boilerplate.SUBSTANTIAL_WORDS,
        boilerplate.SHORT_WORDS,
        boilerplate.SANDWICH_WORDS,
        boilerplate.TICKER_ITEM_WORDS,
        appended.HEADLINE_MAX_WORDS,
        appended.inline_link,
        appended.continues_host,
        appended.QUOTE,
        teasers.lead_key,
        teasers.TEASER_WORDS,
        boilerplate.LIST_INTRO,
        boilerplate.FULL_STOP,
    )


def classify_lines(lines: list[Line], templates: Collection[int] = ()) -> list[Line]:
    """Give each line (fresh from :func:`split_lines`) its kind: compiled (``_classify_kernel``),
    the same kinds and rules as :func:`classify_lines_reference`."""
    return _classifier().classify(lines, templates)


def classify_to_segments(
    lines: list[Line], templates: Collection[int], length: int, keys: list[int] | None = None
) -> list[Segment]:
    """``to_segments(classify_lines(lines, templates), length)`` in one compiled call (``keys``: each
    line's template key if already computed, see :func:`khabar.clean.templates.line_keys`)."""
    return _classifier().classify(lines, templates, length, Segment, keys)


def classify_lines_reference(lines: list[Line], templates: Collection[int] = ()) -> list[Line]:
    """:func:`classify_lines` in Python: each line's own rules, the context rules, appended articles."""
    seen: set[str] = set()
    for line in lines:
        if not line.blank:
            classify_line(line, templates, seen)
    apply_context(lines)
    mark_appended(lines)
    apply_context(lines)  # the footer after an appended article
    teasers.mark_teasers(lines, teasers.leads_of(templates))
    return lines


def to_segments(lines: list[Line], length: int) -> list[Segment]:
    """Merge line kinds into maximal segments; blank lines join the segment before them."""
    kinds: list[str] = []
    prev = next((ln.kind for ln in lines if not ln.blank), "body")
    for ln in lines:
        if not ln.blank:
            prev = ln.kind
        kinds.append(prev)
    segments: list[Segment] = []
    for ln, kind in zip(lines, kinds, strict=True):
        if segments and segments[-1].kind == kind:
            last = segments[-1]
            segments[-1] = Segment(last.start, ln.end, kind)
        else:
            segments.append(Segment(ln.start, ln.end, kind))
    if not segments and length:
        segments.append(Segment(0, length, "body"))
    return segments


def segment(text: str, templates: Collection[int] = (), v: TextView | None = None) -> list[Segment]:
    """Segments tiling ``text``; ``templates`` are the outlet's learned template line keys."""
    return classify_to_segments(split_lines(text, v), templates, len(text))
