"""Main-content extraction from HTML pages with trafilatura."""

from __future__ import annotations

import logging

import trafilatura

# trafilatura logs every page it cannot parse; khabar reports those itself
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)


class ExtractionError(ValueError):
    pass


def extract(html: str, url: str | None = None) -> tuple[str, str | None]:
    """The article's main text (paragraphs on their own lines) and its title (see :func:`extract_page`)."""
    text, title, _ = extract_page(html, url)
    return text, title


def extract_page(html: str, url: str | None = None) -> tuple[str, str | None, str | None]:
    """The article's main text (paragraphs on their own lines), title and publication date (ISO).

    Comments are left out; tables stay (Arabic sites lay out results and figures in them).
    Recall is favoured because khabar's own boilerplate marking runs on the extracted lines.
    """
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        include_comments=False,
        include_tables=True,
        favor_recall=True,
        with_metadata=True,
        deduplicate=False,
    )
    if doc is None or not getattr(doc, "text", None):
        raise ExtractionError("no article text found in the HTML")
    return doc.text, getattr(doc, "title", None) or None, getattr(doc, "date", None) or None
