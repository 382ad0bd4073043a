"""Wire credits: the agency or outlet an article says it took its text from.

Looked for in the first and last lines of the article («واس»، «رويترز»، «أ ف ب»، «د ب أ»، «الأناضول»،
«وكالات»، «المصدر: …»، «نقلاً عن …», a dateline like «القاهرة - (رويترز) -»).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable

from khabar._text_kernel import Substrings
from khabar.article import Article, Segment
from khabar.clean.lines import Line, split_lines
from khabar.normalize import normalize_text

#: canonical name → spellings (ordinary Arabic; matched on normalized text, as whole words)
AGENCIES: dict[str, tuple[str, ...]] = {
    "رويترز": ("رويترز", "reuters"),
    "أ ف ب": ("أ ف ب", "أ.ف.ب", "ا ف ب", "فرانس برس", "وكالة الصحافة الفرنسية", "afp"),
    "أ ب": ("أسوشيتد برس", "اسوشيتد برس", "أسوشييتد برس", "associated press"),
    "د ب أ": ("د ب أ", "د.ب.أ", "الوكالة الألمانية", "dpa"),
    "الأناضول": ("الأناضول", "وكالة الأناضول", "anadolu"),
    "واس": ("واس", "وكالة الأنباء السعودية"),
    "وام": ("وام", "وكالة أنباء الإمارات"),
    "قنا": ("قنا", "وكالة الأنباء القطرية"),
    "كونا": ("كونا", "وكالة الأنباء الكويتية"),
    "بترا": ("بترا", "وكالة الأنباء الأردنية"),
    "سانا": ("سانا", "الوكالة العربية السورية للأنباء"),
    "أ ش أ": ("أ ش أ", "وكالة أنباء الشرق الأوسط"),
    "شينخوا": ("شينخوا", "xinhua"),
    "سبوتنيك": ("سبوتنيك", "sputnik"),
    "تاس": ("تاس", "tass"),
    "إرنا": ("إرنا", "ارنا", "irna"),
    "وكالات": ("وكالات", "وكالات الأنباء"),
}
#: the words a credit line opens with («المصدر: …»، «نقلاً عن …»)
_CREDIT_WORDS = ("المصدر", "المصادر", "نقلا عن", "نقلاً عن", "source")
_CREDIT_LINE = re.compile(r"^[\s(*\[-]*(?:" + "|".join(map(re.escape, _CREDIT_WORDS)) + r")\s*[:：]?\s*(.{2,60}?)\s*$")
EDGE_LINES = 3
MAX_WORDS = 12


def _alternatives(spellings: tuple[str, ...]) -> str:
    return "|".join(re.escape(normalize_text(s)) for s in sorted(spellings, key=len, reverse=True))


def _compile() -> list[tuple[str, re.Pattern[str]]]:
    return [
        (name, re.compile(rf"(?<![^\W_])(?:{_alternatives(spellings)})(?![^\W_])"))
        for name, spellings in AGENCIES.items()
    ]


_AGENCIES = _compile()
#: any agency at all: most lines credit none, and one search rules them all out
_ANY_AGENCY = re.compile(
    r"(?<![^\W_])(?:" + "|".join(f"(?:{_alternatives(s)})" for s in AGENCIES.values()) + r")(?![^\W_])"
)


_SPELLINGS = Substrings(  # every spelling as a plain substring: one compiled pass rules most lines out
    [normalize_text(spelling) for spellings in AGENCIES.values() for spelling in spellings],
    [1] * sum(len(spellings) for spellings in AGENCIES.values()),
)


def mentions_agency(normalized: str) -> bool:
    """Whether an agency is named as a whole word: :data:`_ANY_AGENCY` searched only in text holding
    one of the spellings at all (the same answer; most lines hold none)."""
    return _SPELLINGS.mask(normalized) != 0 and _ANY_AGENCY.search(normalized) is not None


def may_credit(text: str, normalized: str) -> bool:
    """Whether :func:`wire_credits` can find anything in an article (``text``, and ``normalized``:
    its normalized text): an agency's spelling or a credit line's opening word is somewhere in it.
    Most articles hold neither; their units' credits are then known to be empty."""
    return _SPELLINGS.mask(normalized) != 0 or any(w in text for w in _CREDIT_WORDS)


def _unit_lines(lines: list[Line], segments: list[Segment] | None) -> list[Line]:
    """The non-blank ``lines`` that start in one of ``segments`` (all of them without segments): the
    reference :func:`_edge_lines` is tested against."""
    inside = _inside(segments)
    return [ln for ln in lines if ln.kind != "blank" and inside(ln.start)]


def _inside(segments: list[Segment] | None) -> Callable[[int], bool]:
    """Whether an offset is in one of ``segments`` (every offset is, without segments)."""
    if segments is None:
        return lambda at: True
    if len(segments) == 1:
        lo, hi = segments[0].start, segments[0].end
        return lambda at: lo <= at < hi
    segments = sorted(segments, key=lambda seg: seg.start)  # disjoint: they tile the text
    starts = [seg.start for seg in segments]

    def inside(at: int) -> bool:
        k = bisect_right(starts, at) - 1
        return k >= 0 and at < segments[k].end

    return inside


def _edge_lines(lines: list[Line], segments: list[Segment] | None) -> list[Line]:
    """The first and last :data:`EDGE_LINES` of :func:`_unit_lines` (all of them if there are no more
    than twice as many), looking only at the lines near either end."""
    inside = _inside(segments)
    head: list[Line] = []
    for ln in lines:
        if ln.kind != "blank" and inside(ln.start):
            head.append(ln)
            if len(head) > 2 * EDGE_LINES:
                break
    if len(head) <= 2 * EDGE_LINES:
        return head  # the unit has no more lines than that
    tail: list[Line] = []
    for ln in reversed(lines):
        if ln.kind != "blank" and inside(ln.start):
            tail.append(ln)
            if len(tail) == EDGE_LINES:
                break
    return head[:EDGE_LINES] + tail[::-1]


def wire_credits(article: Article, segments: list[int] | None = None, lines: list[Line] | None = None) -> list[str]:
    """Agencies and sources credited at the start or end of the article, or of the unit made of
    ``segments`` (indices into ``article.segments``), in order of first mention, without repeats.
    ``lines``: the article's lines (:func:`split_lines`), if already split."""
    if lines is None:
        lines = split_lines(article.text, article.text_view())
    found: list[str] = []
    for ln in _edge_lines(lines, None if segments is None else [article.segments[k] for k in segments]):
        short = ln.n_words <= MAX_WORDS
        where = ln.norm if short else ln.norm[:80]
        for name, pattern in _AGENCIES if mentions_agency(where) else ():
            m = pattern.search(where)
            # in a long line only a dateline credit counts: «القاهرة - (رويترز) -» near its start
            if m and (short or m.start() < 40) and name not in found:
                found.append(name)
        m = _CREDIT_LINE.match(article.text[ln.start : ln.end].strip()) if short else None
        if m and not any(p.search(normalize_text(m.group(1))) for _, p in _AGENCIES):
            credit = m.group(1).strip(" *:.")
            if credit and credit not in found:
                found.append(credit)
    return found
