"""Turn a text into segments (body / appended / boilerplate) that tile it exactly."""

from __future__ import annotations

from collections.abc import Collection

from khabar.article import Segment
from khabar.clean.appended import mark_appended
from khabar.clean.boilerplate import apply_context, classify_line
from khabar.clean.lines import Line, split_lines
from khabar.words import TextView


def classify(text: str, templates: Collection[int] = (), v: TextView | None = None) -> list[Line]:
    """Every line of ``text`` with its kind and the rule that decided it."""
    return classify_lines(split_lines(text, v), templates)


def classify_lines(lines: list[Line], templates: Collection[int] = ()) -> list[Line]:
    """Give each line (fresh from :func:`split_lines`) its kind."""
    seen: set[str] = set()
    for line in lines:
        if not line.blank:
            classify_line(line, templates, seen)
    apply_context(lines)
    mark_appended(lines)
    apply_context(lines)  # the footer after an appended article
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
    return to_segments(classify(text, templates, v), len(text))
