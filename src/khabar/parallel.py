"""Run a function over ranges of items in worker processes (``--jobs``), results in input order.

Workers are forked, so they inherit the parent's data (articles, units) without copying it through
pipes; only index ranges go to them and compact results (segments, numpy arrays) come back.  Every
stage gives the same result with any number of jobs: the work per item never depends on which
process did it or on what else it did.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from khabar.writers import removing_unfinished

T = TypeVar("T")
Shared = dict[str, Any]
RangeFn = Callable[[Shared, int, int], list[Any]]

_SHARED: Shared = {}  # what forked workers inherit


def default_jobs() -> int:
    """Every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _call(task: tuple[RangeFn, int, int]) -> list[Any]:
    fn, lo, hi = task
    return fn(_SHARED, lo, hi)


def _call_args(task: tuple[Callable[..., Any], tuple[Any, ...]]) -> Any:
    fn, args = task
    return fn(_SHARED, *args)


@contextmanager
def pool(jobs: int, shared: Shared) -> Iterator[Any]:
    """A pool of ``jobs`` forked workers that see ``shared`` (None when one job is enough)."""
    if jobs <= 1 or "fork" not in mp.get_all_start_methods():
        _SHARED.clear()
        _SHARED.update(shared)
        try:
            yield None
        finally:
            _SHARED.clear()
        return
    _SHARED.clear()
    _SHARED.update(shared)
    try:
        with mp.get_context("fork").Pool(jobs, initializer=_default_sigterm) as workers:
            yield workers
    finally:
        _SHARED.clear()


def map_ranges(
    fn: RangeFn,
    n: int,
    jobs: int,
    shared: Shared,
    chunk: int = 128,
    progress: Callable[[int], None] | None = None,
) -> list[Any]:
    """``fn(shared, lo, hi)`` over ``range(n)`` in chunks, concatenated in order."""
    out: list[Any] = []
    for part in iter_ranges(fn, n, jobs, shared, chunk, progress):
        out.extend(part)
    return out


def iter_ranges(
    fn: RangeFn,
    n: int,
    jobs: int,
    shared: Shared,
    chunk: int = 128,
    progress: Callable[[int], None] | None = None,
) -> Iterator[list[Any]]:
    """:func:`map_ranges` a chunk at a time, in order, as the workers finish them (the caller can
    use one chunk while the workers compute the next)."""
    ranges = [(fn, lo, min(n, lo + chunk)) for lo in range(0, n, chunk)]
    with pool(jobs if n > chunk else 1, shared) as workers:
        parts = workers.imap(_call, ranges) if workers else map(_call, ranges)
        for (_, lo, hi), part in zip(ranges, parts, strict=True):
            yield part
            if progress:
                progress(hi - lo)


def map_tasks(
    workers: Any, fn: Callable[..., Any], tasks: Iterator[tuple[Any, ...]] | list[tuple[Any, ...]]
) -> Iterator[Any]:
    """``fn(shared, *args)`` for each task, in order, in ``workers`` (a :func:`pool`) or here."""
    items = ((fn, args) for args in tasks)
    return workers.imap(_call_args, items) if workers else map(_call_args, items)


def _default_sigterm() -> None:
    """In a pool's worker: SIGTERM ends it, as the pool expects when it terminates its workers (a
    Python handler inherited from a :class:`Background` child could miss the signal: one that comes
    just before the worker blocks on the task queue's lock runs only once the lock is taken, never)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _prctl() -> Any:
    """Linux's ``prctl``, or None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()
_PR_SET_PDEATHSIG = 1


def _end_with_parent(parent: int) -> None:
    """In a forked child of ``parent``: SIGTERM when the parent ends, however it ends (killed too:
    Linux's parent-death signal), so a scan that was killed leaves no computation running on, and
    writing, after it.  A parent that ended before the signal was armed is seen by its pid."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)


CANCEL_GRACE = 5.0  # seconds a cancelled child has to clean up before it is killed


def _ended(pid: int, seconds: float) -> bool:
    """Whether the child ``pid`` ended (and was reaped) within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)


class Background(Generic[T]):
    """``fn()`` computed by a forked child while this process goes on (where processes fork; else
    when first asked for).  :meth:`result` waits for it: the value comes back pickled through a
    pipe, and an exception in the child is raised here as a :class:`BackgroundError`."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn: Callable[[], T] | None = fn
        self._pid = 0
        self._fd = -1
        self._done: list[T] = []
        if "fork" not in mp.get_all_start_methods():
            return
        r, w = os.pipe()
        # the parent-death signal comes when the forking thread ends: armed only for the main thread's
        # children (another thread, a web server's worker, may end long before its process)
        parent = os.getpid() if threading.current_thread() is threading.main_thread() else 0
        pid = os.fork()
        if pid == 0:  # the child: compute, send, and leave without the parent's exit handlers
            os.close(r)
            os.setpgid(0, 0)  # its own process group, with the workers it may start: cancel stops all
            signal.signal(signal.SIGTERM, removing_unfinished)  # cancelled: files being written are removed
            if parent:
                _end_with_parent(parent)  # and so when the parent ends without cancelling it (killed)
            status = 0
            try:
                try:
                    data = pickle.dumps((True, fn()), protocol=pickle.HIGHEST_PROTOCOL)
                except BaseException:  # noqa: BLE001 - reported to the parent
                    data = pickle.dumps((False, traceback.format_exc()))
                with os.fdopen(w, "wb") as fh:
                    fh.write(data)
            except BaseException:  # noqa: BLE001 - the parent sees a broken pipe
                status = 1
            os._exit(status)
        os.close(w)
        self._pid, self._fd, self._fn = pid, r, None

    def cancel(self) -> None:
        """Stop the child, and any workers it started, if its result is no longer wanted (a scan
        that failed or was interrupted meanwhile)."""
        if self._pid and not self._done:
            with contextlib.suppress(OSError):
                os.killpg(self._pid, signal.SIGTERM)
            # its handler removes what it was writing; one that never runs (SIGTERM just before a
            # blocking call) must not hold this process up
            with contextlib.suppress(OSError):
                if not _ended(self._pid, CANCEL_GRACE):
                    os.killpg(self._pid, signal.SIGKILL)
                    os.waitpid(self._pid, 0)
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._pid = 0

    def result(self) -> T:
        if not self._done:
            if self._fn is not None:
                self._done.append(self._fn())
            else:
                with os.fdopen(self._fd, "rb") as fh:
                    data = fh.read()
                os.waitpid(self._pid, 0)
                if not data:
                    raise BackgroundError("a background computation's process ended without a result")
                ok, value = pickle.loads(data)
                if not ok:
                    raise BackgroundError(f"a background computation failed:\n{value}")
                self._done.append(value)
        return self._done[0]


class BackgroundError(RuntimeError):
    """A computation run by :class:`Background` failed in its process."""
