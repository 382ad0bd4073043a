"""Find input files and read them into Articles: .txt, .html/.htm, .jsonl(.gz), .warc(.gz), .parquet,
directories.

Every record comes out as an :class:`~khabar.article.Article`, a :class:`~khabar.errors.RecordError`
naming the file and line, or (a WARC record that is not a page) a
:class:`~khabar.readers.warc.Skipped`; nothing is dropped silently.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from khabar.article import Article
from khabar.errors import KhabarError, RecordError
from khabar.readers.decode import DecodeError, decode
from khabar.readers.html import ExtractionError, cap_html, extract
from khabar.readers.mojibake import mojibake
from khabar.readers.parquet import read_parquet
from khabar.readers.records import RecordInvalid, limit, record_to_article
from khabar.readers.sanity import NOT_FAST, JSONInvalid, binary_junk, loads, loads_fast
from khabar.readers.warc import Skipped, read_warc
from khabar.results import read_summary

try:  # ISA-L's gzip (the standard library's API): decompresses ANT four times faster than gzip's
    from isal import igzip as _gzip
    from isal.isal_zlib import decompressobj as _decompressobj
    from isal.isal_zlib import error as _inflate_error
except ImportError:  # no isal wheel for this platform
    _gzip = gzip  # type: ignore[no-redef]
    _decompressobj = zlib.decompressobj  # type: ignore[assignment]
    _inflate_error = zlib.error  # type: ignore[assignment,misc]

# what reading a (gzipped) file may raise: unreadable, truncated, corrupt
READ_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error, _inflate_error)

TEXT_SUFFIXES = (".txt", ".text", ".txt.gz", ".text.gz")
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz", ".xhtml.gz")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
WARC_SUFFIXES = (".warc", ".warc.gz")
PARQUET_SUFFIXES = (".parquet",)
ALL_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES + WARC_SUFFIXES + PARQUET_SUFFIXES


def kind_of(path: str) -> str | None:
    name = path.lower()
    for kind, suffixes in (
        ("jsonl", JSONL_SUFFIXES),
        ("warc", WARC_SUFFIXES),
        ("parquet", PARQUET_SUFFIXES),
        ("html", HTML_SUFFIXES),
        ("text", TEXT_SUFFIXES),
    ):
        if name.endswith(suffixes):
            return kind
    return None


def is_scan_output(directory: str) -> bool:
    """Whether ``directory`` is the ``--out`` directory of a khabar scan: its ``summary.json`` was
    written by khabar, or it holds a scan's checkpoints (a scan that has not finished)."""
    if os.path.isdir(os.path.join(directory, ".khabar-resume")):
        return True
    return "khabar_version" in (read_summary(directory) or {})


def skipped_outputs(skipped: Iterable[str]) -> list[str]:
    """The notices (one line each) for the directories :func:`discover` did not read: scan outputs,
    and directories reached again through a symbolic link."""
    return [
        f"khabar: {s}: a scan's output directory, not read (name it as an input to read it)"
        if is_scan_output(s)
        else f"khabar: {s}: a directory already read (a symbolic link leads to it again), not read twice"
        for s in skipped
        if s.endswith(os.sep)
    ]


def discover(paths: Iterable[str]) -> tuple[list[str], list[str]]:
    """Expand directories (recursively, sorted); returns ``(files to read, files skipped)``.  A scan's
    output directory met inside a directory (``data/out/`` of ``khabar scan data --out data/out``) is
    not read: its outputs are not articles to find again; it is listed among the skipped, with a
    trailing slash.  Named as an input itself, it is read.  Symbolic links to directories are
    followed, each directory read once (one reached again is skipped, with a trailing slash); a
    FIFO, socket or device is skipped (reading a FIFO would wait for ever)."""
    files: list[str] = []
    skipped: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            found: list[str] = []
            seen = {os.path.realpath(p)}  # directories linked twice (or into themselves) are walked once
            for root, dirs, names in os.walk(p, followlinks=True):
                dirs.sort()
                outputs = [d for d in dirs if not d.startswith(".") and is_scan_output(os.path.join(root, d))]
                skipped.extend(os.path.join(root, d) + os.sep for d in outputs)
                walk = []
                for d in dirs:
                    real = os.path.realpath(os.path.join(root, d))
                    if d.startswith(".") or d in outputs:
                        continue
                    if real in seen:
                        skipped.append(os.path.join(root, d) + os.sep)
                    else:
                        seen.add(real)
                        walk.append(d)
                dirs[:] = walk
                found.extend(os.path.join(root, n) for n in names if not n.startswith("."))
            for full in sorted(found, key=lambda f: Path(f).parts):
                # a FIFO, socket or device is no file to read (reading a FIFO would wait for ever)
                readable = kind_of(full) and (os.path.isfile(full) or not os.path.exists(full))
                (files if readable else skipped).append(full)
        elif os.path.isfile(p):
            if kind_of(p) is None:
                raise KhabarError(f"{p}: unknown input type (expected {', '.join(ALL_SUFFIXES)})")
            files.append(p)
        elif os.path.exists(p):
            raise KhabarError(f"{p}: not a regular file or a directory")
        else:
            raise KhabarError(f"{p}: no such file or directory")
    return files, skipped


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def open_input(path: str) -> IO[bytes]:
    """An input file opened for reading bytes, decompressed if it is gzipped (with ISA-L where
    :mod:`isal` is installed, else :mod:`gzip`: the same bytes; either one's errors are in
    :data:`READ_ERRORS`)."""
    return _gzip.open(path, "rb") if path.lower().endswith(".gz") else open(path, "rb")


def read_jsonl(path: str) -> Iterator[Article | RecordError]:
    """The records of a JSONL file."""
    for item in jsonl_lines(path):
        if isinstance(item, RecordError):
            yield item
        elif item[1].strip():
            lineno, raw = item
            yield jsonl_record(path, lineno, raw, first=lineno == 1)


def jsonl_lines(path: str, start: int = 0, end: int = -1) -> Iterator[tuple[int, bytes] | RecordError]:
    """Every line (blank ones too) of a JSONL file, or of bytes ``[start, end)`` of a plain one
    (``end`` -1: to the end; ``start`` at the beginning of a line), with its number counted from 1
    there; a :class:`RecordError` if the rest cannot be read."""
    lineno = 0
    try:
        if path.lower().endswith(".gz"):
            for lineno, raw in enumerate(gzip_lines(path), start=1):  # noqa: B007 - counted for the error
                yield lineno, raw
            return
        with open(path, "rb") as fh:
            if start:
                fh.seek(start)
            at = start
            for lineno, raw in enumerate(fh, start=1):  # noqa: B007
                if 0 <= end <= at:
                    break
                at += len(raw)
                yield lineno, raw
    except READ_ERRORS as e:  # unreadable file, truncated or corrupt gzip
        yield RecordError(path, 0, f"cannot read the rest of the file after line {lineno}: {e}")


GZIP_CHUNK = 1 << 14  # compressed bytes inflated at a time: what a corrupt one loses of the lines before it


def gzip_lines(path: str) -> Iterator[bytes]:
    """The lines of a gzipped file (each with its line break; members one after the other): those of
    a truncated stream, or of one followed by junk, to its last whole line, then the error; of a
    corrupt one, those inflated before the chunk (:data:`GZIP_CHUNK`) the damage is found in (a gzip
    file object loses every line it has decompressed but not yet returned: a small file's all)."""
    pending: list[bytes] = []  # the line being read, in pieces (a long one is not copied again per chunk)

    def lines(out: bytes) -> Iterator[bytes]:
        cut = out.rfind(b"\n") + 1
        if cut:
            yield from io.BytesIO(b"".join([*pending, out[:cut]]))  # its whole lines, split in C
            pending.clear()
        pending.append(out[cut:])

    with open(path, "rb") as fh:
        inflate, fed, members = _decompressobj(wbits=31), False, 0
        while chunk := fh.read(GZIP_CHUNK):
            while chunk:
                if not fed and len(chunk) >= 2 and chunk[:2] != b"\x1f\x8b":  # a member starts with the magic
                    raise OSError("junk after the gzip data" if members else "not a gzip file")
                if not fed:
                    members += 1
                fed = True
                yield from lines(inflate.decompress(chunk))
                chunk = b""
                if inflate.eof:  # a member ends: another may follow
                    chunk, inflate, fed = inflate.unused_data, _decompressobj(wbits=31), False
        if fed:  # the stream stops inside a member: what it holds of it, then the error
            with contextlib.suppress(*READ_ERRORS):
                yield from lines(inflate.flush())
            raise EOFError("compressed file ended before the end-of-stream marker was reached")
        if any(pending):
            yield b"".join(pending)


def jsonl_record(
    path: str, lineno: int, raw: bytes, first: bool = False, defaulted: list[bool] | None = None
) -> Article | RecordError:
    """The record of one line (number ``lineno``; ``first``: the file's first line, which may start
    with a BOM).  ``defaulted``: told whether the article's id is its line's (the record has none)."""
    obj = loads_fast(raw)  # most lines: valid UTF-8 and JSON, no lone surrogate
    maybe = False
    if obj is NOT_FAST:
        try:
            line = raw.decode("utf-8-sig" if first else "utf-8")
        except UnicodeDecodeError as e:
            return RecordError(path, lineno, f"invalid UTF-8 ({e.reason} at byte {e.start})")
        try:
            obj = loads(line)
        except JSONInvalid as e:
            return RecordError(path, lineno, f"invalid JSON: {e}")
        # strict UTF-8 holds no surrogate: only a \\uD800–\\uDFFF escape can make one
        maybe = _SURROGATE_ESCAPE.search(raw) is not None
    rid = obj.get("id") if isinstance(obj, dict) else None
    if defaulted is not None:
        defaulted.append(isinstance(obj, dict) and "id" not in obj)
    try:
        return record_to_article(obj, f"{path}:{lineno}", f"{path}:{lineno}", may_hold_surrogates=maybe)
    except RecordInvalid as e:
        return RecordError(path, lineno, str(e), str(rid) if rid is not None else None)


def read_file(path: str) -> Iterator[Article | RecordError | Skipped]:
    kind = kind_of(path)
    if kind == "jsonl":
        yield from read_jsonl(path)
        return
    if kind == "warc":
        yield from read_warc(path)
        return
    if kind == "parquet":
        yield from read_parquet(path)
        return
    try:
        with open_input(path) as fh:
            data = fh.read()
    except OSError as e:
        yield RecordError(path, 0, f"cannot read: {e.strerror or e}")
        return
    except READ_ERRORS as e:
        yield RecordError(path, 0, f"cannot read: not a whole gzip stream ({e or type(e).__name__})")
        return
    try:
        text, _ = decode(data, html=kind == "html")
    except DecodeError as e:
        yield RecordError(path, 0, str(e), path)
        return
    junk = binary_junk(text)
    if junk:
        yield RecordError(path, 0, junk, path)
        return
    title = None
    html_note = None
    if kind == "html":
        text, html_note = cap_html(text)
        try:
            text, title = extract(text)
        except ExtractionError as e:
            yield RecordError(path, 0, str(e), path)
            return
    if not text.strip():
        yield RecordError(path, 0, "empty text", path)
        return
    broken = mojibake(text)
    if broken:
        yield RecordError(path, 0, broken, path)
        return
    kept, note = limit(text, html_note)
    yield Article(id=path, text=kept, title=title, origin=path, cut=note)


def read_paths(paths: Iterable[str]) -> Iterator[Article | RecordError | Skipped]:
    """Every record of every input, in order."""
    files, _ = discover(paths)
    for f in files:
        yield from read_file(f)
