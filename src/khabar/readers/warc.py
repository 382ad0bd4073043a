"""WARC input (crawls): each HTML response becomes an article, every other record is accounted for.

Read with `warcio <https://github.com/webrecorder/warcio>`_ (plain or gzipped WARC).  An article's
id and url are the WARC-Target-URI, its source the URL's host (without ``www.``), its text the page's
main content (as for ``.html`` files, the HTTP charset then the page's own declaration respected),
and ``published`` the page's own date when its metadata has one, else the WARC-Date (kept as
``crawled`` either way); a response without a Content-Type is HTML when it starts as a page does
(``<!doctype html``, ``<html``, ``<head``).  Records that are not HTML responses with status 200
(requests, metadata, redirects, images …) are not articles: each is reported as a :class:`Skipped`
record, counted in ``summary.json``.  The "line" of a WARC record is its byte offset in the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from khabar.article import Article
from khabar.errors import RecordError
from khabar.readers.decode import DecodeError, decode, decode_declared
from khabar.readers.html import ExtractionError, cap_html, extract_page
from khabar.readers.records import limit

HTML_TYPES = ("text/html", "application/xhtml+xml")
#: what a page served without a Content-Type starts with (after a BOM and white space, any case)
#: for it to be taken for HTML, as browsers sniff it
_HTML_START = re.compile(rb"(?:\xef\xbb\xbf)?\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>])", re.I)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record that is not an article, and why (e.g. ``warc request``, ``warc response 404``)."""

    file: str
    line: int
    reason: str


def source_of(url: str) -> str | None:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None


def _decode(body: bytes, content_type: str) -> str:
    m = _CHARSET.search(content_type)
    if m:
        declared = decode_declared(body, m.group(1))
        if declared is not None:
            return declared[0]
    return decode(body, html=True)[0]


def read_warc(path: str) -> Iterator[Article | RecordError | Skipped]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    offset = end = 0
    try:
        with open(path, "rb") as fh:
            records = ArchiveIterator(fh)
            for record in records:
                body = record.content_stream().read() if record.rec_type == "response" else b""
                offset = records.get_record_offset()  # (reads the record to its end: body first)
                end = offset + records.get_record_length()
                missing = getattr(record.raw_stream, "limit", 0) if record.rec_type == "response" else 0
                # WARC-Type and Content-Length are required: without them the file ends inside the
                # record's headers (or holds junk)
                if record.rec_type is None or record.rec_headers.get_header("Content-Length") is None:
                    what = "WARC-Type" if record.rec_type is None else "Content-Length"
                    yield RecordError(path, offset, f"a malformed record: no {what} (the file may end inside it)")
                    continue
                if missing > 0:  # the file ends inside the record: warcio gives what there is as the body
                    length = record.length
                    yield RecordError(path, offset, f"a truncated record: {missing} of its {length} bytes are missing")
                    continue
                yield _record(path, offset, record, body)
            # warcio stops without a word where the file ends inside a record's headers
            fh.seek(end)
            tail = fh.read(1 << 16).strip()
            if tail:
                yield RecordError(path, end, "cannot read the rest of the WARC: it ends inside a record's headers")
    except (ArchiveLoadFailed, OSError, EOFError, ValueError) as e:  # at the end of the last whole record
        said = " ".join(str(e).split())[:200]  # warcio quotes the line it could not read, line break and all
        yield RecordError(path, max(offset, end), f"cannot read the rest of the WARC: {said}")
    except Exception as e:  # noqa: BLE001 - warcio fails on corrupt input with arbitrary errors
        # (a record without a WARC-Target-URI, say, makes warcio fail on None)
        yield RecordError(
            path, offset, f"cannot read the rest of the WARC: a malformed record (warcio: {type(e).__name__}: {e})"
        )


def _record(path: str, offset: int, record: object, body: bytes) -> Article | RecordError | Skipped:
    kind = record.rec_type  # type: ignore[attr-defined]
    if kind != "response":
        return Skipped(path, offset, f"warc {kind}")
    headers = record.rec_headers  # type: ignore[attr-defined]
    http = record.http_headers  # type: ignore[attr-defined]
    url = headers.get_header("WARC-Target-URI") or ""
    status = http.get_statuscode() if http else None
    content_type = (http.get_header("Content-Type") or "") if http else ""
    if status != "200":
        return Skipped(path, offset, f"warc response {status}")
    if not content_type.strip() and _HTML_START.match(body[:1024]):
        content_type = "text/html"  # served without a type: HTML by its first bytes, as a browser sniffs
    if not content_type.lower().startswith(HTML_TYPES):
        return Skipped(path, offset, f"warc response {content_type.split(';')[0].strip() or 'without type'}")
    try:
        html, html_note = cap_html(_decode(body, content_type))
        text, title, date = extract_page(html, url)
    except (DecodeError, ExtractionError) as e:
        return RecordError(path, offset, str(e), url or None)
    crawled = headers.get_header("WARC-Date")
    kept, note = limit(text, html_note)
    return Article(
        id=url or f"{path}@{offset}",
        text=kept,
        cut=note,
        title=title,
        source=source_of(url),
        url=url or None,
        published=date or crawled,
        extra={"crawled": crawled},
        origin=f"{path}:{offset}",
    )
