"""Other articles' leads listed after the body with no marker before them: an outlet's teasers.

CNN Arabic ends a page with the leads of other articles of the day, each on its own line, without
their datelines and without any «اقرأ أيضاً» before them.  On ANT, 579 of CNN's 3,498 pages do, and
those leads were in the host's body: the host seemed to copy a handful of unrelated articles, and
its story followed them.  Nothing in a page tells them apart from its own paragraphs; the other
articles do.  So, like templates, an outlet's leads are learned from the scan: each article's lead
is its first line of :data:`TEASER_WORDS` words or more, keyed as a template line is, after a
leading dateline («دبي، الإمارات العربية المتحدة (CNN)-- »).

Two body lines in a row (boilerplate between them aside) that are leads of other articles of the
outlet, after some prose of the host, start the teasers: from there to the end of the page, the
body lines are boilerplate (``teasers``; the lines after them are leads too, of articles the scan
does not hold).  One such line alone is not enough: an article's last paragraph often repeats an
earlier article's lead as background, and that is reuse.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from khabar.clean.boilerplate import SUBSTANTIAL_WORDS
from khabar.clean.lines import Line, template_key

TEASER_WORDS = 12  # a lead, and a line taken for one, has at least this many words
#: a dateline before a lead, in normalized text: a place, the outlet in parentheses, dashes
DATELINE = re.compile(r"^.{0,80}?\([^()]{1,30}\)\s*[-–—]+\s*")


def lead_key(norm: str) -> int:
    """The key of a lead line (normalized): its template key without a leading dateline."""
    return template_key(DATELINE.sub("", norm, count=1))


def lead_of(norms: Sequence[str | None], words: Sequence[int]) -> int:
    """The lead key of an article from its lines' normalized content (None: blank) and words: its
    first line of :data:`TEASER_WORDS` words or more (0 if it has none)."""
    for norm, n_words in zip(norms, words, strict=True):
        if norm is not None and n_words >= TEASER_WORDS:
            return lead_key(norm)
    return 0


def lead_of_lines(lines: Sequence[Line]) -> int:
    """:func:`lead_of` an article's lines (from :func:`khabar.clean.lines.split_lines`)."""
    return lead_of([None if ln.blank else ln.norm for ln in lines], [ln.n_words for ln in lines])


def mark_teasers(lines: list[Line], leads: Collection[int]) -> None:
    """Mark the teasers of classified ``lines`` (``leads``: the lead keys of the outlet's articles)."""
    if not leads:
        return
    own = lead_of_lines(lines)
    body = [ln for ln in lines if ln.kind == "body"]
    teaser = [ln.n_words >= TEASER_WORDS and (key := template_key(ln.norm)) in leads and key != own for ln in body]
    host = False
    for q, ln in enumerate(body):
        if teaser[q] and host and q + 1 < len(body) and teaser[q + 1]:
            for rest in body[q:]:
                rest.kind, rest.rule = "boilerplate", "teasers"
            return
        if not teaser[q] and ln.n_words >= SUBSTANTIAL_WORDS:
            host = True


class OutletLines(frozenset[int]):
    """An outlet's template line keys (the set itself, as templates always were), with the lead keys
    of its articles (:attr:`leads`) that tell its teasers."""

    leads: frozenset[int]

    def __new__(cls, templates: Collection[int] = (), leads: Collection[int] = ()) -> OutletLines:
        self = super().__new__(cls, templates)
        self.leads = frozenset(leads)
        return self

    def __reduce__(self) -> tuple[type[OutletLines], tuple[frozenset[int], frozenset[int]]]:
        return (OutletLines, (frozenset(self), self.leads))

    def __repr__(self) -> str:
        return f"OutletLines({set(self) or '{}'}, leads={len(self.leads)})"


def leads_of(templates: Collection[int]) -> frozenset[int]:
    """The lead keys an outlet's learned lines carry (none for a plain set of template keys)."""
    return getattr(templates, "leads", frozenset())
