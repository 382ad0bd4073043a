"""Output files, written atomically: a file is complete under its final name or not there at all."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import orjson


def temp_beside(path: Path, private: bool = False) -> tuple[int, str]:
    """A temporary file in ``path``'s folder (created if need be), with the permissions a plain
    ``open`` would give it (``mkstemp`` makes it private to its owner; ``private``: left so)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    if not private:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
    return fd, tmp


_UNFINISHED: dict[str, int] = {}  # temporary files being written → the process writing each


@contextmanager
def unfinished(tmp: str) -> Iterator[None]:
    """While the temporary file ``tmp`` is being written: should this process be ended by SIGTERM (a
    background child cancelled, ``parallel.Background.cancel``; a pool worker terminated because
    another failed), :func:`removing_unfinished` removes it first.  Where SIGTERM had its default
    (pool workers, a plain scan) that handler is installed for the time of the write and the default
    put back after it: the write never blocks on a lock, so the handler always gets to run."""
    _UNFINISHED[tmp] = os.getpid()
    guarded = threading.current_thread() is threading.main_thread() and (
        signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    )
    if guarded:
        signal.signal(signal.SIGTERM, removing_unfinished)
    try:
        yield
    finally:
        _UNFINISHED.pop(tmp, None)
        if guarded:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def remove_unfinished() -> None:
    """Remove the temporary files this process is writing (not the ones its parent was writing when
    it forked)."""
    me = os.getpid()
    for tmp, pid in list(_UNFINISHED.items()):
        if pid == me:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def removing_unfinished(signum: int, frame: Any) -> None:
    """A SIGTERM handler: remove the temporary files being written (:func:`remove_unfinished`), then
    end at once, with the status SIGTERM gives (unwinding instead could wait forever on a worker
    pool whose workers died holding its queue's lock)."""
    remove_unfinished()
    os._exit(128 + signum)


@contextmanager
def atomic_file(path: str | Path, private: bool = False) -> Iterator[tuple[int, str]]:
    """``(fd, name)`` of a temporary file beside ``path`` (:func:`temp_beside`) for the block to
    write and close; when the block ends it replaces ``path`` in one rename, or is removed if the
    block fails (or, :func:`unfinished`, if this process is cancelled meanwhile)."""
    path = Path(path)
    fd, tmp = temp_beside(path, private)
    try:
        with unfinished(tmp):
            yield fd, tmp
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_open(path: str | Path) -> Iterator[IO[str]]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one rename."""
    with atomic_file(path) as (fd, _), os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


#: Characters that some line readers (Python's ``str.splitlines``, JavaScript) take for line breaks:
#: escaped in JSONL output, so one record is always one line whatever a text holds.
_LINE_BREAKS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}
_LINE_BREAK_BYTES = tuple((ch.encode("utf-8"), escaped.encode("ascii")) for ch, escaped in _LINE_BREAKS.items())


def dumps(obj: Any) -> str:
    """One JSON line: UTF-8 text as is, except the Unicode line separators, which are escaped."""
    return dumps_bytes(obj).decode("utf-8")


def dumps_bytes(obj: Any) -> bytes:
    """:func:`dumps` encoded as UTF-8, by orjson (compact, keys in order; a float in the shortest
    form that reads back the same, NaN and infinities as ``null``).  What orjson does not encode
    (integers beyond 64 bits, keys that are not strings) is spelled the same way (:func:`_dumps_wide`)."""
    try:
        line = orjson.dumps(obj)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        line = _dumps_wide(obj)
    # the three start e2 80 or c2 85: a one-byte search (memchr) rules most lines out, and the two-byte
    # one (a slower scan) runs only where the lead byte is
    if (b"\xe2" in line and b"\xe2\x80" in line) or (b"\xc2" in line and b"\xc2\x85" in line):
        for raw, escaped in _LINE_BREAK_BYTES:
            line = line.replace(raw, escaped)
    return line


_WIDE = f"\x00khabar-int-{os.urandom(8).hex()}-"  # what stands for a wide integer while orjson encodes


def _dumps_wide(obj: Any) -> bytes:
    """orjson's line of what it rejects by default: keys that are not strings (as the standard
    library spells them: ``1``, ``true``, ``null``), and integers beyond its 64 bits, which stand in
    as strings of their own while it encodes and are then put back as their digits.  So a record
    with one wide integer keeps every float's spelling, and NaN as ``null``; what orjson still
    cannot encode goes through :func:`dumps_reference`."""
    wide: list[int] = []

    def narrow(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: narrow(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [narrow(v) for v in x]
        if isinstance(x, int) and not isinstance(x, bool) and not -(2**63) <= x < 2**64:
            wide.append(x)
            return f"{_WIDE}{len(wide) - 1}"
        return x

    try:
        line = orjson.dumps(narrow(obj), option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return dumps_reference(obj).encode("utf-8")
    stand_in = orjson.dumps(_WIDE)[1:-1]  # as orjson escapes it
    for k, x in enumerate(wide):
        line = line.replace(b'"' + stand_in + str(k).encode() + b'"', str(x).encode())
    return line


def dumps_reference(obj: Any) -> str:
    """:func:`dumps` with the standard library's encoder (the same text, but for floats' spelling)."""
    line = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    for ch, escaped in _LINE_BREAKS.items():
        if ch in line:
            line = line.replace(ch, escaped)
    return line


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    with atomic_open(path) as fh:
        return write_lines(fh.buffer, records)


def write_lines(fh: IO[bytes], records: Iterable[dict[str, Any]]) -> int:
    """Write each record as one JSON line (:func:`dumps_bytes`) to a binary file; how many."""
    return write_encoded(fh, (dumps_bytes(rec) for rec in records))


def write_encoded(fh: IO[bytes], lines: Iterable[bytes]) -> int:
    """Write lines encoded already (without their line breaks) to a binary file; how many."""
    n = 0
    batch: list[bytes] = []
    for line in lines:
        batch.append(line)
        n += 1
        if len(batch) == 256:  # a few hundred lines to a write
            fh.write(b"\n".join(batch))
            fh.write(b"\n")
            batch.clear()
    if batch:
        fh.write(b"\n".join(batch))
        fh.write(b"\n")
    return n


def write_json(path: str | Path, obj: Any) -> None:
    with atomic_open(path) as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
