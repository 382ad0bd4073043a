"""One JSON record to an Article: the field rules of khabar's JSONL input."""

from __future__ import annotations

from typing import Any

from khabar.article import Article
from khabar.readers.html import ExtractionError, extract
from khabar.readers.mojibake import mojibake

KNOWN = ("id", "text", "html", "title", "source", "url", "published")


class RecordInvalid(ValueError):
    pass


def _opt_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    raise RecordInvalid(f"field '{key}' must be a string, not {type(value).__name__}")


def record_to_article(obj: Any, origin: str, default_id: str) -> Article:
    """Validate one decoded JSON value and build the Article (HTML is extracted here)."""
    if not isinstance(obj, dict):
        raise RecordInvalid(f"expected a JSON object, got {type(obj).__name__}")
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
    if text is None or not text.strip():
        if html is not None and html.strip():
            try:
                text, html_title = extract(html, url)
            except ExtractionError as e:
                raise RecordInvalid(str(e)) from None
            title = title or html_title
        else:
            raise RecordInvalid("empty text")
    broken = mojibake(text) or (mojibake(title) if title else None)
    if broken:
        raise RecordInvalid(broken)
    extra = {k: v for k, v in obj.items() if k not in KNOWN}
    return Article(
        id=article_id,
        text=text,
        title=title,
        source=_opt_str(obj, "source"),
        url=url,
        published=_opt_str(obj, "published"),
        extra=extra,
        origin=origin,
    )
