"""Checkpoints of a scan, so a run that was killed can go on where it stopped (``--resume``).

A scan writes what its expensive stages computed under ``OUT/.khabar-resume/``:

* ``templates.pkl`` — the per-outlet template lines (the first cleaning pass);
* ``prepare-<lo>-<hi>.pkl`` — the prepared articles ``lo`` to ``hi`` (segments, reuse units, story
  units, times, wire credits), one file per :data:`CHUNK` articles, written by the worker that
  prepared them and read back memory-mapped (see :func:`write_batch`);
* ``reuse.pkl`` — the reuse pairs and unit sizes;
* ``stories.pkl`` — the stories.

``manifest.json`` holds the key they belong to: a hash of khabar's and the normalizer's versions,
of khabar's code as installed (:func:`code_digest`), the options that change results, and every
article read (id, text and the other fields), so a checkpoint is only reused for exactly the same
articles, options and code.  Reading is redone on every
run (it is cheap, and it is how the key is known).  ``--resume`` reuses what is valid and computes
the rest; a checkpoint of other articles or options is removed.  A run without ``--resume`` starts
over.  Every file is written atomically (a temporary file renamed into place), so a kill leaves
whole checkpoints only; after a successful run the directory is removed.  The prepared articles'
files are not synced to disk (a killed process loses nothing of them; after a power failure one that
did not reach the disk fails its checksum and is recomputed).  Checkpoints are Python pickles: only
resume from an output directory you trust.

Every stage is a pure function of the articles and options (and never of ``--jobs``), so a resumed
run writes byte for byte what an uninterrupted one does.
"""

from __future__ import annotations

import functools
import hashlib
import json
import mmap
import os
import pickle
import shutil
import signal
import struct
import sys
import zlib
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import IO, Any, TypeVar

from khabar import __version__
from khabar.article import Article
from khabar.digest import texts_digest
from khabar.normalize import VERSION as NORMALIZER_VERSION
from khabar.parallel import map_tasks, pool
from khabar.prepare import RANGE, KeysAhead, LineKeys, Prepared, learn_templates, prepare_range
from khabar.stories.features import warm
from khabar.writers import atomic_file

DIRNAME = ".khabar-resume"
LAYOUT = 4  # of the checkpoint files: a change makes older checkpoints stale (recomputed, never misread)
CHUNK = int(os.environ.get("KHABAR_RESUME_CHUNK", str(RANGE)))  # articles per prepare checkpoint (a worker task)
#: Testing hook: ``KHABAR_CRASH_AFTER=<checkpoint name>`` (``templates``, ``prepare-<lo>-<hi>``,
#: ``reuse``, ``stories``, ``written``) kills the process with SIGKILL right after that point.
CRASH_ENV = "KHABAR_CRASH_AFTER"

T = TypeVar("T")
_CAN_FORK = hasattr(os, "fork")


CODE_SUFFIXES = frozenset({".py", ".pyx", ".pxd", ".h", ".so", ".pyd", ".gz", ".tsv"})


@functools.cache
def code_digest() -> str:
    """A hash of khabar's code and data as installed here (its Python modules, Cython sources and
    compiled kernels, the IDF table): checkpoints written by other code are stale even under the same
    version number (a rule changed by an upgrade or a local edit changes what a stage computes)."""
    root = Path(__file__).resolve().parent
    h = hashlib.blake2b(digest_size=16)
    for path in sorted(root.rglob("*")):
        if path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts and path.is_file():
            h.update(path.relative_to(root).as_posix().encode() + b"\0")
            h.update(hashlib.blake2b(path.read_bytes(), digest_size=16).digest())
    return h.hexdigest()


def run_key(articles: Sequence[Article], options: Sequence[Any]) -> str:
    """A hash of the versions, khabar's code, the options and every article (what a checkpoint is
    valid for)."""
    values: list[str | None] = [__version__, NORMALIZER_VERSION, f"layout {LAYOUT}", code_digest()]
    values.extend(repr(option) for option in options)
    values.append(str(len(articles)))
    for a in articles:
        values += (a.id, a.text, a.title, a.source, a.url, a.published)
        values.append(json.dumps(a.extra, sort_keys=True, ensure_ascii=False, default=str) if a.extra else None)
    return texts_digest(values, 20).hex()


def _crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


class Checkpoints:
    """The checkpoint directory of one scan (see the module docstring)."""

    def __init__(self, out: str | Path, key: str | Callable[[], str], resume: bool, background: bool = True) -> None:
        """``key``: the run's :func:`run_key`, or a function giving it: a run that does not resume
        needs it only for its first checkpoint's manifest, so it may still be computing.
        ``background``: write checkpoints while the scan goes on (else in line, as with one job)."""
        self.dir = Path(out) / DIRNAME
        self.background = background and _CAN_FORK
        self.reused: list[str] = []
        self.stale = False
        self._children: list[int] = []  # forked children writing checkpoints
        self._key: str | Callable[[], str] = key() if resume and callable(key) else key
        manifest = self._manifest()
        if manifest is not None and not (resume and manifest.get("key") == self._key):
            self.stale = resume  # a resume that found checkpoints of other articles or options
            shutil.rmtree(self.dir, ignore_errors=True)
            manifest = None
        elif manifest is None and self.dir.exists():
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        for tmp in self.dir.glob(".*.tmp"):  # left by a kill in the middle of a write
            tmp.unlink(missing_ok=True)
        self._has_manifest = manifest is not None

    @property
    def key(self) -> str:
        if callable(self._key):
            self._key = self._key()
        return self._key

    def _ensure_manifest(self) -> None:
        """The manifest, written before the first checkpoint (checkpoints without one are never used)."""
        if not self._has_manifest:
            manifest = {"key": self.key, "khabar_version": __version__, "normalizer_version": NORMALIZER_VERSION}
            self._write("manifest.json", json.dumps(manifest, indent=2).encode())
            self._has_manifest = True

    def _manifest(self) -> dict[str, Any] | None:
        try:
            found = json.loads((self.dir / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return found if isinstance(found, dict) else None

    def _write(self, name: str, data: bytes | Callable[[Any], None], sync: bool = True) -> None:
        """Write the file ``name`` atomically: ``data``, or what ``data(file)`` writes (``sync``: and
        wait until it is on disk)."""
        with atomic_file(self.dir / name, private=True) as (fd, _), os.fdopen(fd, "wb") as fh:
            if callable(data):
                data(fh)
            else:
                fh.write(data)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())

    def load(self, name: str, read: Callable[[Path], Any] | None = None) -> Any | None:
        """The checkpoint ``name`` (None if there is none or it cannot be read); ``read``: how to read
        its file (default: unpickle it)."""
        path = self.dir / f"{name}.pkl"
        if not path.exists():
            return None
        try:
            value = _unpickle(path) if read is None else read(path)
        except Exception:  # noqa: BLE001 - an unreadable checkpoint is recomputed, never trusted
            path.unlink(missing_ok=True)
            return None
        self.reused.append(name)
        return value

    def save(self, name: str, value: Any) -> None:
        """Write ``value`` as the checkpoint ``name``, in the background: a forked child pickles and
        writes it while the scan goes on (pickling a stage's result is a second or more of one core
        on a large corpus); without ``background``, or where processes cannot fork, here.  A
        checkpoint that cannot be written is reported and lost, not an error of the scan (the next
        run computes it again)."""
        self._ensure_manifest()
        if not self.background:
            self._save_here(name, value)
        else:
            pid = os.fork()
            if pid == 0:  # the child: write, and leave without running the parent's exit handlers
                os._exit(0 if self._save_here(name, value) else 1)
            self._children.append(pid)
        self._crash_point(name)

    def _save_here(self, name: str, value: Any) -> bool:
        try:
            self._write(f"{name}.pkl", lambda fh: pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL))
            return True
        except OSError as e:
            self._not_written(name, str(e.strerror or e))
            return False

    def _not_written(self, name: str, reason: str) -> None:
        print(f"khabar: {self.dir / name}.pkl: checkpoint not written: {reason}", file=sys.stderr)

    def wait_writes(self) -> None:
        """Wait until the checkpoints being written are on disk."""
        for pid in self._children:
            os.waitpid(pid, 0)
        self._children.clear()

    def _crash_point(self, name: str) -> None:
        if os.environ.get(CRASH_ENV) == name:
            self.wait_writes()
            _crash_point(name)

    def has(self, name: str) -> bool:
        """Whether the checkpoint ``name`` exists (it may still turn out unreadable)."""
        return (self.dir / f"{name}.pkl").exists()

    def stage(self, name: str, compute: Callable[[], T]) -> T:
        """The checkpoint ``name``, or ``compute()`` saved as it."""
        found = self.load(name)
        if found is not None:
            return found
        value = compute()
        self.save(name, value)
        return value

    def prepare(
        self,
        articles: Sequence[Article],
        jobs: int,
        progress: Callable[[int], None] | None = None,
        ahead: KeysAhead | None = None,
    ) -> list[Prepared]:
        """:func:`khabar.prepare.prepare_articles` in checkpointed tasks of :data:`CHUNK` articles."""
        templates = self.load("templates")
        keys: LineKeys | None = None  # the lines' template keys, if learned in this run
        if templates is None:
            keys = []
            templates = learn_templates(articles, jobs, progress, keys, ahead).templates()
            self.save("templates", templates)
        else:
            if ahead is not None:
                ahead.cancel()
            if progress:
                progress(len(articles))
        tasks = [(lo, min(len(articles), lo + CHUNK)) for lo in range(0, len(articles), CHUNK)]
        # a file of an earlier run, which may not have reached the disk whole: its CRC checked
        done = {(lo, hi): self.load(f"prepare-{lo}-{hi}", partial(read_batch, verify=True)) for lo, hi in tasks}
        todo = [task for task, batch in done.items() if batch is None]
        prepared: list[Prepared] = []
        # one pool and one stream of tasks: workers keep their caches (stems, term ids) warm.  A worker
        # writes its task's prepared articles as their checkpoint and this process maps that file:
        # nothing large crosses a pipe or is copied here (see write_batch)
        self._ensure_manifest()
        warm()  # the story features' tables, loaded once before the workers fork
        shared = {"articles": articles, "templates": templates, "line_keys": keys, "checkpoints": self}
        with pool(jobs if len(todo) > 1 else 1, shared) as workers:
            results = map_tasks(workers, _prepare_to_file, todo)
            for lo, hi in tasks:
                batch = done[(lo, hi)]
                if batch is None:
                    name = f"prepare-{lo}-{hi}"
                    path, data, error = next(results)
                    if error is not None:
                        self._not_written(name, error)
                    batch = read_batch(path) if path is not None else pickle.loads(data)
                    self._crash_point(name)
                if progress:
                    progress(hi - lo)
                prepared.extend(batch)
        for a, p in zip(articles, prepared, strict=True):
            a.segments = p.segments
        return prepared

    def written(self) -> None:
        """The output files are written (a crash point for tests)."""
        self._crash_point("written")

    def finish(self) -> None:
        """The scan is complete: the checkpoints are no longer needed."""
        self.wait_writes()
        shutil.rmtree(self.dir, ignore_errors=True)


def _unpickle(path: Path) -> Any:
    with open(path, "rb") as fh:
        return pickle.load(fh)


def _prepare_to_file(shared: dict[str, Any], lo: int, hi: int) -> tuple[str | None, bytes | None, str | None]:
    """:func:`khabar.prepare.prepare_range`, written by the worker as the checkpoint ``prepare-<lo>-<hi>``
    (see :meth:`Checkpoints.prepare`): ``(path, None, None)``; if it cannot be written, the prepared
    articles pickled and why: ``(None, data, error)``."""
    batch = prepare_range(shared, lo, hi)
    checkpoints: Checkpoints = shared["checkpoints"]
    name = f"prepare-{lo}-{hi}.pkl"
    try:
        checkpoints._write(name, lambda fh: write_batch(fh, batch), sync=False)
    except OSError as e:
        return None, pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL), str(e.strerror or e)
    return str(checkpoints.dir / name), None, None


_MAGIC = b"khabar-batch\x00\x00\x00\x02"  # 16 bytes
_HEAD = struct.Struct("<QQQ")  # the pickle's length, the number of arrays, the CRC-32
_ALIGN = 64


def write_batch(fh: IO[bytes], value: Any) -> None:
    """Pickle ``value`` to ``fh`` with its large arrays out of band, each at an aligned offset, so
    :func:`read_batch` maps them instead of copying: the magic, the pickle's length, the number of
    arrays and a CRC-32 of all that follows the table, then ``(offset, length)`` of each array, the
    pickle and the arrays."""
    buffers: list[pickle.PickleBuffer] = []
    header = pickle.dumps(value, protocol=5, buffer_callback=buffers.append)
    views = [b.raw() for b in buffers]
    table_size = len(_MAGIC) + _HEAD.size + 16 * len(views)
    offsets, at = [], table_size + len(header)
    for v in views:
        at += -at % _ALIGN
        offsets.append(at)
        at += v.nbytes
    crc = zlib.crc32(header)
    pads, end = [], table_size + len(header)
    for off, v in zip(offsets, views, strict=True):
        pads.append(b"\x00" * (off - end))
        crc = zlib.crc32(v, zlib.crc32(pads[-1], crc))
        end = off + v.nbytes
    spans = [x for off, v in zip(offsets, views, strict=True) for x in (off, v.nbytes)]
    fh.write(_MAGIC + _HEAD.pack(len(header), len(views), crc) + struct.pack(f"<{len(spans)}Q", *spans) + header)
    for pad, v in zip(pads, views, strict=True):
        fh.write(pad)
        fh.write(v)


def read_batch(path: str | Path, verify: bool = False) -> Any:
    """What :func:`write_batch` wrote to ``path``, its arrays mapped from the file (copy-on-write:
    writable, and no copy unless written).  ``verify``: check the file's CRC first (a file of an
    earlier run, which may not have reached the disk whole)."""
    with open(path, "rb") as fh:
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY)
    view = memoryview(mm)
    start = len(_MAGIC) + _HEAD.size  # of the arrays' (offset, length) table
    if len(view) < start or bytes(view[: len(_MAGIC)]) != _MAGIC:
        raise ValueError(f"{path}: not a prepared batch")
    header_len, n, crc = _HEAD.unpack_from(view, len(_MAGIC))
    table_size = start + 16 * n
    if table_size + header_len > len(view):
        raise ValueError(f"{path}: truncated")
    spans = struct.unpack_from(f"<{2 * n}Q", view, start)
    ends = [spans[2 * k] + spans[2 * k + 1] for k in range(n)]
    if (ends and max(ends) != len(view)) or (not ends and table_size + header_len != len(view)):
        raise ValueError(f"{path}: truncated")
    if verify and zlib.crc32(view[table_size:]) != crc:
        raise ValueError(f"{path}: checksum mismatch")
    buffers = [view[spans[2 * k] : ends[k]] for k in range(n)]
    return pickle.loads(view[table_size : table_size + header_len], buffers=buffers)
