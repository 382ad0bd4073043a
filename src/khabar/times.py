"""When an article was published: its ``published`` field, else a date line in its text.

Dates in text are parsed with dateparser (Arabic and English month names, day-first numeric dates);
a time found this way is reported as inferred (``time_source: "text"``).  A ``published`` value that
is not ISO 8601 («16/02/2018», «الجمعة 16 فبراير 2018») is read the same way.  Only whole dates
count: a relative one («منذ 3 ساعات», "yesterday") or one missing its day, month or year would be
completed from the day khabar runs, so the same articles would get other times on another day.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from datetime import UTC, datetime
from functools import lru_cache

from khabar.article import Article
from khabar.clean.lines import split_lines

_LABEL = re.compile(
    r"^(?:تاريخ النشر|تاريخ الاضافه|تاريخ التحديث|نشر في|نشر بتاريخ|نشر يوم|تم النشر|اخر تحديث|بتاريخ|published|updated"
    r"|posted|date)\s*[:：]?\s*(.+)$"
)
_DATEISH = re.compile(r"\d")
HEAD_LINES = 8
MAX_WORDS = 12


def parse_iso(value: str | None) -> datetime | None:
    """An ISO 8601 time (a naive one is taken as UTC) that is a time in UTC too, or None."""
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        t = t if t.tzinfo else t.replace(tzinfo=UTC)
        t.astimezone(UTC)  # a time whose UTC falls outside years 1 to 9999 is no time (0001-01-01T00:00+01:00)
    except (ValueError, OverflowError):
        return None
    return t


#: a day-first numeric date, perhaps with a time («16/02/2018», «16-02-2018 - 10:30», «16.02.2018 10:30:05»)
_NUMERIC = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:(?:\s*[-–,]\s*|\s+|T)(\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def parse_date(text: str) -> datetime | None:
    """A whole, absolute date in ``text`` (see the module's note), or None: day-first numeric dates
    directly (a published value in millions of records would take a millisecond each through
    dateparser), anything else through dateparser (:func:`parse_free`, which reads those the same)."""
    m = _NUMERIC.fullmatch(text)
    if m:
        day, _, month, year, hour, minute, second = m.groups()
        try:
            return datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=UTC
            )
        except ValueError:
            pass  # not a day of the calendar: as dateparser decides
    return parse_free(text)


@lru_cache(maxsize=4096)
def parse_free(text: str) -> datetime | None:
    import dateparser  # imported on first use: it is slow to load

    with warnings.catch_warnings(), contextlib.suppress(OverflowError, ValueError):  # a date beyond year 9999 …
        warnings.simplefilter("ignore")
        return dateparser.parse(
            text,
            languages=["ar", "en"],
            settings={
                "DATE_ORDER": "DMY",
                "RETURN_AS_TIMEZONE_AWARE": True,
                "TIMEZONE": "UTC",
                "PREFER_DATES_FROM": "past",
                "STRICT_PARSING": False,
                # absolute dates only, and whole: nothing taken from the day of the run
                "PARSERS": ["timestamp", "custom-formats", "absolute-time"],
                "REQUIRE_PARTS": ["day", "month", "year"],
            },
        )
    return None


def date_in_text(article: Article) -> datetime | None:
    """A publication date stated in the first lines of the text («تاريخ النشر: 5th, January 2025 GMT»)."""
    lines = [ln for ln in split_lines(article.text, article.text_view()) if not ln.blank][:HEAD_LINES]
    for ln in lines:
        if ln.n_words > MAX_WORDS or not _DATEISH.search(ln.norm):
            continue
        m = _LABEL.match(ln.norm)
        if m:
            raw = article.text[ln.start : ln.end].strip()
            value = raw.split(":", 1)[1] if ":" in raw else m.group(1)
            t = parse_date(value.strip())
            if t is not None:
                return t
    return None


def article_time(article: Article) -> tuple[datetime | None, str | None]:
    """``(time, source)`` with source ``"published"``, ``"text"`` or None."""
    t = parse_iso(article.published)
    if t is None and article.published and _DATEISH.search(article.published):
        t = parse_date(article.published.strip()[:200])  # a date, but not ISO 8601
    if t is not None:
        return t, "published"
    t = date_in_text(article)
    if t is not None:
        return t, "text"
    return None, None


SHOWN_UNREADABLE = 10  # articles named on stderr whose published could not be read; the rest are counted


def unreadable_notices(first: list[tuple[str, str]], count: int) -> list[str]:
    """The stderr lines of a scan for the ``count`` articles whose ``published`` is not a date it can
    read: one naming the record of each of ``first`` (``(origin, published)``, in input order), at most
    :data:`SHOWN_UNREADABLE`, then one counting the rest."""
    lines = [
        f"khabar: {origin}: published {published[:80]!r} is not a date khabar can read (time from the text, if any)"
        for origin, published in first[:SHOWN_UNREADABLE]
    ]
    if count > len(lines):
        lines.append(
            f"khabar: {count - len(lines)} more articles whose published is not a date"
            " (summary.json: published_unreadable)"
        )
    return lines
