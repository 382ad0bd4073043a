"""Output files, written atomically: a file is complete under its final name or not there at all."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def temp_beside(path: Path) -> tuple[int, str]:
    """A temporary file in ``path``'s folder (created if need be), with the permissions a plain
    ``open`` would give it (``mkstemp`` makes it private to its owner)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    return fd, tmp


@contextmanager
def atomic_open(path: str | Path) -> Iterator[IO[str]]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one rename."""
    path = Path(path)
    fd, tmp = temp_beside(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: Characters that some line readers (Python's ``str.splitlines``, JavaScript) take for line breaks:
#: escaped in JSONL output, so one record is always one line whatever a text holds.
_LINE_BREAKS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}


def dumps(obj: Any) -> str:
    """One JSON line: UTF-8 text as is, except the Unicode line separators, which are escaped."""
    line = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    for ch, escaped in _LINE_BREAKS.items():
        if ch in line:
            line = line.replace(ch, escaped)
    return line


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    n = 0
    with atomic_open(path) as fh:
        for rec in records:
            fh.write(dumps(rec))
            fh.write("\n")
            n += 1
    return n


def write_json(path: str | Path, obj: Any) -> None:
    with atomic_open(path) as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
