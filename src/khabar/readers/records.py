"""One JSON record to an Article: the field rules of khabar's JSONL input."""

from __future__ import annotations

from typing import Any

from khabar.article import Article
from khabar.readers.html import ExtractionError, cap_html, extract
from khabar.readers.mojibake import mojibake
from khabar.readers.sanity import binary_junk, lone_surrogate

KNOWN = ("id", "text", "html", "title", "source", "url", "published")
#: The longest article text khabar keeps, in characters (about 1 MB of UTF-8 Arabic is 500,000): a
#: longer text (a whole site dumped into one record, a runaway scrape) is cut to its first
#: ``MAX_CHARS`` characters, at the last line break of the second half if there is one.
MAX_CHARS = 2_000_000


def cut(text: str, limit: int | None = None) -> str:
    """``text``, or its first ``limit`` (default :data:`MAX_CHARS`) characters, ending at a line
    break when there is one in the second half of them."""
    limit = MAX_CHARS if limit is None else limit
    if len(text) <= limit:
        return text
    br = text.rfind("\n", limit // 2, limit)
    return text[: br + 1] if br >= 0 else text[:limit]


def limit(text: str, html_note: str | None = None) -> tuple[str, str | None]:
    """``text`` :func:`cut` to the maximum size, and the note of every cut made (``html_note``: the
    cut of the page it was extracted from, see :func:`khabar.readers.html.cap_html`), if any."""
    kept = cut(text)
    notes = [html_note] if html_note else []
    if len(kept) < len(text):
        notes.append(
            f"article of {len(text):,} characters cut to its first {len(kept):,} (the maximum is {MAX_CHARS:,})"
        )
    return kept, "; ".join(notes) or None


class RecordInvalid(ValueError):
    pass


def _opt_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    raise RecordInvalid(f"field '{key}' must be a string, not {type(value).__name__}")


def record_to_article(obj: Any, origin: str, default_id: str, may_hold_surrogates: bool = True) -> Article:
    """Validate one decoded JSON value and build the Article (HTML is extracted here).

    ``may_hold_surrogates=False`` skips the search for lone surrogates, for a value decoded from
    strict UTF-8 JSON without a ``\\uD800``–``\\uDFFF`` escape (it cannot hold one)."""
    if not isinstance(obj, dict):
        raise RecordInvalid(f"expected a JSON object, got {type(obj).__name__}")
    surrogate = lone_surrogate(obj) if may_hold_surrogates else None
    if surrogate:
        raise RecordInvalid(f"{surrogate} (not Unicode text; fix the producer)")
    raw_id = obj.get("id", default_id)
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        raise RecordInvalid(f"field 'id' must be a string, not {type(raw_id).__name__}")
    article_id = str(raw_id)
    if not article_id:
        raise RecordInvalid("field 'id' is empty")
    text = _opt_str(obj, "text")
    html = _opt_str(obj, "html")
    title = _opt_str(obj, "title")
    url = _opt_str(obj, "url")
    if text is None and html is None:
        raise RecordInvalid("no 'text' or 'html' field")
    html_note = None
    if text is None or not text.strip():
        if html is not None and html.strip():
            junk = binary_junk(html)
            if junk:
                raise RecordInvalid(f"field 'html': {junk}")
            html, html_note = cap_html(html)
            try:
                text, html_title = extract(html, url)
            except ExtractionError as e:
                raise RecordInvalid(str(e)) from None
            title = title or html_title
        else:
            raise RecordInvalid("empty text")
    junk = binary_junk(text)
    if junk:
        raise RecordInvalid(f"field 'text': {junk}")
    broken = mojibake(text) or (mojibake(title) if title else None)
    if broken:
        raise RecordInvalid(broken)
    extra = {k: v for k, v in obj.items() if k not in KNOWN}
    kept, note = limit(text, html_note)
    return Article(
        id=article_id,
        text=kept,
        cut=note,
        title=title,
        source=_opt_str(obj, "source"),
        url=url,
        published=_opt_str(obj, "published"),
        extra=extra,
        origin=origin,
    )
