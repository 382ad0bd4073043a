"""Read the inputs in worker processes (``--jobs``): the files cut into parts, the records of each
part read by one worker, and every record given back in input order.

A part is a run of small files (pages, texts: :data:`FILES_PER_PART` to a part), one file of another
kind (a gzipped JSONL, a WARC or Parquet file), or a byte range of a plain JSONL file, cut at line
breaks (:data:`PART_BYTES` to a part).  Cutting only seeks: a byte range's lines are numbered from 1
by the worker that reads it, and renumbered here as the parts come back in order (:class:`Numbered`),
so a file is read once.  The records are those :func:`khabar.readers.files.read_file` gives, in the
same order and with the same line numbers, so the scan does not depend on how the inputs were cut.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from khabar.article import Article
from khabar.errors import RecordError
from khabar.parallel import map_tasks, pool
from khabar.readers.files import READ_ERRORS, jsonl_lines, jsonl_record, kind_of, open_input, read_file
from khabar.readers.warc import Skipped

PART_BYTES = 8 << 20  # a plain JSONL file is read in parts of about this many bytes
FILES_PER_PART = 32  # small files (pages, texts) read this many to a part
PARALLEL_BYTES = 1 << 20  # fewer bytes of pages to extract than this are read here: forking would cost more

Record = Article | RecordError | Skipped


@dataclass(frozen=True, slots=True)
class Part:
    """Files to read whole, or bytes ``[start, end)`` of one JSONL file (its lines numbered within
    the part, and renumbered by :func:`in_order`)."""

    files: tuple[str, ...]
    start: int = 0
    end: int = -1  # -1: the files whole (from ``start`` 0)


@dataclass(slots=True)
class Numbered:
    """The records of a byte range of a JSONL file with its lines numbered from 1: how many lines it
    spans, and which articles took their line's place as their id (a record without one)."""

    records: list[Record]
    lines: int
    defaulted: list[bool]  # per record

    def renumbered(self, before: int) -> list[Record]:
        """The records as if numbered in the whole file, where ``before`` lines precede the range."""
        if not before:
            return self.records
        out: list[Record] = []
        for rec, own_id in zip(self.records, self.defaulted, strict=True):
            if isinstance(rec, RecordError):
                out.append(replace(rec, line=rec.line + before) if rec.line else rec)
            elif isinstance(rec, Article):
                path, line = rec.origin.rsplit(":", 1)
                rec.origin = f"{path}:{int(line) + before}"
                if own_id:
                    rec.id = rec.origin
                out.append(rec)
            else:
                out.append(rec)
        return out


def _plain_jsonl(path: str) -> bool:
    return kind_of(path) == "jsonl" and not path.lower().endswith(".gz")


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0  # read_file reports it


def jsonl_cuts(path: str, part_bytes: int | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` of the parts of a plain JSONL file: each about ``part_bytes`` (default
    :data:`PART_BYTES`) long and starting at the beginning of a line.  Only seeks: the file is not
    read but for a line at each cut."""
    part_bytes = part_bytes or PART_BYTES
    size = _size(path)
    if size <= part_bytes:
        return [(0, -1)]
    starts = [0]
    with open(path, "rb") as fh:
        for offset in range(part_bytes, size, part_bytes):
            if offset <= starts[-1]:
                continue
            fh.seek(offset - 1)
            fh.readline()  # to just after the line break at or after offset - 1
            if fh.tell() < size and fh.tell() > starts[-1]:
                starts.append(fh.tell())
    return list(zip(starts, [*starts[1:], -1], strict=True))


def parts_of(files: Sequence[str], part_bytes: int | None = None) -> list[Part]:
    """The parts to read ``files`` in, in order."""
    out: list[Part] = []
    small: list[str] = []
    for path in files:
        kind = kind_of(path)
        if kind in ("html", "text"):
            small.append(path)
            if len(small) == FILES_PER_PART:
                out.append(Part(tuple(small)))
                small = []
            continue
        if small:
            out.append(Part(tuple(small)))
            small = []
        if _plain_jsonl(path):
            out.extend(Part((path,), s, e) for s, e in jsonl_cuts(path, part_bytes))
        else:
            out.append(Part((path,)))
    if small:
        out.append(Part(tuple(small)))
    return out


def read_part(part: Part) -> list[Record] | Numbered:
    """Every record of one part, in order (a byte range of a file: numbered within it)."""
    if part.end < 0 and part.start == 0:
        return [rec for path in part.files for rec in read_file(path)]
    (path,) = part.files
    records: list[Record] = []
    defaulted: list[bool] = []
    lines = 0
    for item in jsonl_lines(path, part.start, part.end):
        if isinstance(item, RecordError):
            records.append(item)
            defaulted.append(False)
            continue
        lines, raw = item
        if raw.strip():
            records.append(jsonl_record(path, lines, raw, part.start == 0 and lines == 1, defaulted))
            if len(defaulted) < len(records):  # not a JSON value: it has no id of its own either
                defaulted.append(False)
    return Numbered(records, lines, defaulted)


def in_order(parts: Sequence[Part], results: Iterable[list[Record] | Numbered]) -> Iterator[Record]:
    """The records of ``parts`` (read in order as ``results``), numbered as in their whole files."""
    before = 0  # lines of the current file in the parts before this one
    for part, got in zip(parts, results, strict=True):
        if isinstance(got, Numbered):
            if part.start == 0:
                before = 0
            yield from got.renumbered(before)
            before += got.lines
        else:
            yield from got


def _read_task(shared: dict[str, Any], k: int) -> list[Record] | Numbered:
    return read_part(shared["parts"][k])


def _extracts_html(path: str) -> bool:
    """Whether reading ``path`` means extracting pages (the costly part of reading, worth workers):
    HTML and WARC files, and JSONL whose first record holds an ``html`` field.  Plain text and JSON
    records cost less to parse than to send back from a worker."""
    kind = kind_of(path)
    if kind in ("html", "warc"):
        return True
    if kind != "jsonl":
        return False
    try:
        with open_input(path) as fh:
            first = fh.readline(1 << 20)
    except READ_ERRORS:
        return False
    return b'"html"' in first


def reads_in_workers(files: Sequence[str], jobs: int = 1) -> bool:
    """Whether :func:`read_records` reads ``files`` with worker processes (pages to extract, and
    enough of them for more than one part)."""
    return jobs > 1 and sum(_size(f) for f in files if _extracts_html(f)) >= PARALLEL_BYTES and len(parts_of(files)) > 1


def read_records(files: Sequence[str], jobs: int = 1, in_workers: bool | None = None) -> Iterator[Record]:
    """Every record of ``files`` in order (:func:`read_file` of each), read by ``jobs`` workers when
    there are pages to extract and enough of them (``in_workers``: :func:`reads_in_workers`, if the
    caller knows it already)."""
    if not (reads_in_workers(files, jobs) if in_workers is None else in_workers):
        for path in files:
            yield from read_file(path)
        return
    parts = parts_of(files)
    with pool(min(jobs, len(parts)), {"parts": parts}) as workers:
        yield from in_order(parts, map_tasks(workers, _read_task, [(k,) for k in range(len(parts))]))
