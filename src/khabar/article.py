"""The one record type that flows through every stage: an article and its segments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from khabar.words import TextView
from khabar.words import view as make_view

SegmentKind = Literal["body", "appended", "boilerplate"]
KINDS: tuple[str, ...] = ("body", "appended", "boilerplate")


@dataclass(slots=True, frozen=True)
class Segment:
    """A half-open character range ``[start, end)`` of an article's ``text`` and what it is."""

    start: int
    end: int
    kind: str

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "kind": self.kind}


@dataclass(slots=True)
class Article:
    """One news article.

    ``text`` is the article text exactly as read (or as extracted from HTML); every offset khabar
    reports is a Python string index into it.  ``segments`` tile ``text`` once cleaning ran.
    """

    id: str
    text: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    segments: list[Segment] = field(default_factory=list)
    origin: str = ""  # "file:line" the record came from, for error messages
    cut: str | None = None  # how the input was cut to the maximum size, if it was (a warning: readers.records.limit)
    view: TextView | None = field(default=None, repr=False, compare=False)  # cached normalized view

    def text_view(self) -> TextView:
        """The normalized text and its words (computed on first use, then cached)."""
        if self.view is None:
            self.view = make_view(self.text)
        return self.view

    def units(self) -> dict[str, list[int]]:
        """Reuse units: ``"body"`` (all body segments together) and one per appended segment.

        Maps ``"body"`` and ``"appended:<segment index>"`` to segment indices.  Boilerplate is in no unit.
        """
        out: dict[str, list[int]] = {}
        for k, seg in enumerate(self.segments):
            if seg.kind == "body":
                out.setdefault("body", []).append(k)
            elif seg.kind == "appended":
                out[f"appended:{k}"] = [k]
        return out

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = dict(self.extra)
        doc.update(
            {
                "id": self.id,
                "title": self.title,
                "source": self.source,
                "url": self.url,
                "published": self.published,
                "text": self.text,
                "segments": [s.to_json() for s in self.segments],
            }
        )
        return doc
