"""Main-content extraction from HTML pages with trafilatura."""

from __future__ import annotations

import logging

# trafilatura logs every page it cannot parse; khabar reports those itself
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)


#: libxml2 (under lxml and trafilatura) drops whatever is nested deeper than this
MAX_DEPTH = 255
#: The longest HTML page extracted, in characters: extraction takes about a second per million
#: characters, so a longer page (a 50 MB dump) is cut to this before extraction.
MAX_HTML_CHARS = 5_000_000


def cap_html(html: str) -> tuple[str, str | None]:
    """``html``, or its first :data:`MAX_HTML_CHARS` characters (ending after a tag when one ends in
    the second half of them) and a one-line note saying so."""
    if len(html) <= MAX_HTML_CHARS:
        return html, None
    end = html.rfind(">", MAX_HTML_CHARS // 2, MAX_HTML_CHARS)
    kept = html[: end + 1] if end >= 0 else html[:MAX_HTML_CHARS]
    return kept, (
        f"HTML of {len(html):,} characters cut to its first {len(kept):,} before extraction "
        f"(the maximum is {MAX_HTML_CHARS:,})"
    )


class ExtractionError(ValueError):
    pass


def nesting_depth(html: str) -> int:
    """How deep the parsed page's elements nest (the parser stops at :data:`MAX_DEPTH`)."""
    import lxml.html

    try:
        root = lxml.html.fromstring(html)
    except Exception:  # noqa: BLE001 - an unparsable page has no depth to report
        return 0
    depth = {root: 0}
    deepest = 0
    for el in root.iterdescendants():
        d = depth[el.getparent()] + 1
        depth[el] = d
        deepest = max(deepest, d)
    return deepest


def extract(html: str, url: str | None = None) -> tuple[str, str | None]:
    """The article's main text (paragraphs on their own lines) and its title (see :func:`extract_page`)."""
    text, title, _ = extract_page(html, url)
    return text, title


def extract_page(html: str, url: str | None = None) -> tuple[str, str | None, str | None]:
    """The article's main text (paragraphs on their own lines), title and publication date (ISO).

    Comments are left out; tables stay (Arabic sites lay out results and figures in them).
    Recall is favoured because khabar's own boilerplate marking runs on the extracted lines.
    """
    import trafilatura  # here, not at the top: a scan of JSONL or text never pays for importing it

    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            include_comments=False,
            include_tables=True,
            favor_recall=True,
            with_metadata=True,
            deduplicate=False,
            # the page's own date only (its markup, metadata, URL): htmldate's search of the text took
            # «في عام 2009» for 2009-01-01; and no cap at the day of the run, so any day reads the same
            date_extraction_params={"original_date": True, "extensive_search": False, "max_date": "2999-12-31"},
        )
    except RecursionError:
        raise ExtractionError("cannot parse the HTML: nested too deeply") from None
    except Exception as e:  # noqa: BLE001 - lxml and trafilatura fail on hostile pages with arbitrary errors
        raise ExtractionError(f"cannot parse the HTML ({type(e).__name__}: {str(e)[:120]})") from None
    if doc is None or not getattr(doc, "text", None):
        depth = nesting_depth(html)
        if depth >= MAX_DEPTH:
            raise ExtractionError(
                f"no article text found in the HTML: its elements nest deeper than the {MAX_DEPTH} levels parsed"
            )
        raise ExtractionError("no article text found in the HTML")
    return doc.text, getattr(doc, "title", None) or None, getattr(doc, "date", None) or None
