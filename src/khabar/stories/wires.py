"""Wire credits: the agency or outlet an article says it took its text from.

Looked for in the first and last lines of the article («واس»، «رويترز»، «أ ف ب»، «د ب أ»، «الأناضول»،
«وكالات»، «المصدر: …»، «نقلاً عن …», a dateline like «القاهرة - (رويترز) -»).
"""

from __future__ import annotations

import re

from khabar.article import Article
from khabar.clean.lines import split_lines
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
_CREDIT_LINE = re.compile(r"^[\s(*\[-]*(?:المصدر|المصادر|نقلا عن|نقلاً عن|source)\s*[:：]?\s*(.{2,60}?)\s*$")
EDGE_LINES = 3
MAX_WORDS = 12


def _compile() -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for name, spellings in AGENCIES.items():
        alts = "|".join(re.escape(normalize_text(s)) for s in sorted(spellings, key=len, reverse=True))
        out.append((name, re.compile(rf"(?<![^\W_])(?:{alts})(?![^\W_])")))
    return out


_AGENCIES = _compile()


def wire_credits(article: Article, segments: list[int] | None = None) -> list[str]:
    """Agencies and sources credited at the start or end of the article, or of the unit made of
    ``segments`` (indices into ``article.segments``), in order of first mention, without repeats."""
    lines = [ln for ln in split_lines(article.text, article.text_view()) if not ln.blank]
    if segments is not None:
        spans = [(article.segments[k].start, article.segments[k].end) for k in segments]
        lines = [ln for ln in lines if any(s <= ln.start < e for s, e in spans)]
    found: list[str] = []
    edge = lines[:EDGE_LINES] + lines[-EDGE_LINES:] if len(lines) > 2 * EDGE_LINES else lines
    for ln in edge:
        head = ln.norm[:80]
        short = ln.n_words <= MAX_WORDS
        for name, pattern in _AGENCIES:
            m = pattern.search(head if not short else ln.norm)
            # in a long line only a dateline credit counts: «القاهرة - (رويترز) -» near its start
            if m and (short or m.start() < 40) and name not in found:
                found.append(name)
        m = _CREDIT_LINE.match(article.text[ln.start : ln.end].strip()) if short else None
        if m and not any(p.search(normalize_text(m.group(1))) for _, p in _AGENCIES):
            credit = m.group(1).strip(" *:.")
            if credit and credit not in found:
                found.append(credit)
    return found
