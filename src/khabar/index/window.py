"""The story-link window of the index, kept in memory: indexed units' term vectors, by day.

A new story unit is linked against the units published within ``max_days`` of it (and the untimed
ones).  Reading those rows and their vector blobs from SQLite for every new unit costs time in
proportion to how many articles the index holds per day; here they are loaded once per day of
publication (``units_time`` index), kept as growing sparse-row buffers over one vocabulary, and
appended to as units are stored, so a window is a few sparse matrix-vector products.

A link's cosine is a sum over the row's terms in term-id order (terms missing from the new unit add
exact zeros), one row at a time, so it does not depend on which rows share a buffer: the same units
give the same link weights however the cache was filled.
"""

from __future__ import annotations

import math
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from khabar.stories.features import TermVector
from khabar.stories.link import DAY

MAX_DAYS_CACHED = 400  # days of units kept in memory (least recently used ones are dropped)
COLUMNS = "uid, k, key, terms, weights, title_terms, title_weights, time, story"


class _Rows:
    """Growing CSR buffers of term vectors (columns: the shared vocabulary)."""

    __slots__ = ("data", "indices", "indptr", "n", "nnz")

    def __init__(self) -> None:
        self.data = np.zeros(64, np.float64)
        self.indices = np.zeros(64, np.int32)
        self.indptr = [0]
        self.n = 0
        self.nnz = 0

    def append(self, cols: np.ndarray, vals: np.ndarray) -> None:
        end = self.nnz + len(cols)
        if end > len(self.data):
            size = max(end, 2 * len(self.data))
            self.data = np.resize(self.data, size)
            self.indices = np.resize(self.indices, size)
        self.data[self.nnz : end] = vals
        self.indices[self.nnz : end] = cols
        self.nnz = end
        self.indptr.append(end)
        self.n += 1

    def tail(self, n: int) -> _Rows:
        """The last ``n`` rows."""
        out = _Rows()
        first = self.indptr[max(0, self.n - n)]
        out.data = self.data[first : self.nnz].copy()
        out.indices = self.indices[first : self.nnz].copy()
        out.indptr = [x - first for x in self.indptr[max(0, self.n - n) :]]
        out.n = len(out.indptr) - 1
        out.nnz = self.nnz - first
        return out

    def products(self, query: np.ndarray) -> np.ndarray:
        """Each row's dot product with the dense ``query`` (its length: more than any column)."""
        if self.n == 0:
            return np.zeros(0)
        indptr = np.asarray(self.indptr, dtype=np.int64)
        prod = np.append(self.data[: self.nnz] * query[self.indices[: self.nnz]], 0.0)
        out = np.add.reduceat(prod, indptr[:-1])
        out[indptr[:-1] == indptr[1:]] = 0.0  # empty rows
        return out


@dataclass
class Window:
    """The candidate rows of one new unit: metadata and link cosines."""

    uid: np.ndarray
    k: np.ndarray
    key: list[str]
    time: np.ndarray  # float, NaN when untimed
    story: list[str | None]
    cos: np.ndarray
    tcos: np.ndarray


class _Day:
    __slots__ = ("uid", "k", "key", "time", "story", "text", "title")

    def __init__(self) -> None:
        self.uid: list[int] = []
        self.k: list[int] = []
        self.key: list[str] = []
        self.time: list[float] = []
        self.story: list[str | None] = []
        self.text = _Rows()
        self.title = _Rows()


class StoryWindows:
    """Indexed story units by day of publication (``None``: untimed), loaded lazily from ``units``."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.vocab: dict[int, int] = {}
        self.days: OrderedDict[int | None, _Day] = OrderedDict()
        self.recent: _Day | None = None  # the most recently stored units, whatever their time

    def clear(self) -> None:
        self.vocab.clear()
        self.days.clear()
        self.recent = None

    def _cols(self, ids: np.ndarray) -> np.ndarray:
        vocab = self.vocab
        return np.fromiter((vocab.setdefault(t, len(vocab)) for t in ids.tolist()), np.int32, len(ids))

    def _add(self, day: _Day, uid: int, k: int, key: str, t: float | None, story: str | None,
             text: TermVector, title: TermVector | None) -> None:  # fmt: skip
        day.uid.append(uid)
        day.k.append(k)
        day.key.append(key)
        day.time.append(math.nan if t is None else t)
        day.story.append(story)
        day.text.append(self._cols(text.ids), text.values)
        if title is None:
            day.title.append(np.zeros(0, np.int32), np.zeros(0))
        else:
            day.title.append(self._cols(title.ids), title.values)

    def _day(self, d: int | None) -> _Day:
        day = self.days.get(d)
        if day is not None:
            self.days.move_to_end(d)
            return day
        day = _Day()
        if d is None:
            q = f"SELECT {COLUMNS} FROM units WHERE terms IS NOT NULL AND time IS NULL ORDER BY uid"  # noqa: S608
            rows = self.db.execute(q)
        else:
            q = f"SELECT {COLUMNS} FROM units WHERE terms IS NOT NULL AND time >= ? AND time < ? ORDER BY uid"  # noqa: S608
            rows = self.db.execute(q, (d * DAY, (d + 1) * DAY))
        for r in rows:
            self._add(day, int(r["uid"]), int(r["k"]), r["key"], r["time"], r["story"], *_vectors(r))
        self.days[d] = day
        while len(self.days) > MAX_DAYS_CACHED:
            self.days.popitem(last=False)
        return day

    def newest_days(self) -> list[int]:
        """The days of the indexed units, newest first, as many as are kept in memory."""
        q = "SELECT DISTINCT CAST(time / ? AS INTEGER) FROM units WHERE time IS NOT NULL"
        days: set[int] = set()
        for (d,) in self.db.execute(q, (DAY,)):
            days.update((d, d - 1) if d <= 0 else (d,))  # CAST truncates: before 1970, floor may be d - 1
        return sorted(days, reverse=True)[:MAX_DAYS_CACHED]

    def warm(self, day: int | None) -> None:
        """Load a day (``None``: the untimed units) if it is not loaded."""
        if day not in self.days:
            self._day(day)

    def stored(self, uid: int, k: int, key: str, t: float | None, story: str | None,
               text: TermVector, title: TermVector | None) -> None:  # fmt: skip
        """A unit was written to ``units``: add it to its day, if that day is loaded."""
        d = None if t is None else math.floor(t / DAY)
        day = self.days.get(d)
        if day is not None:
            self._add(day, uid, k, key, t, story, text, title)
        if self.recent is not None:
            self._add(self.recent, uid, k, key, t, story, text, title)

    def latest(self, n: int, text: TermVector, title: TermVector | None) -> Window:
        """The ``n`` units stored last (by ``uid``), oldest first."""
        if self.recent is None:
            q = f"SELECT {COLUMNS} FROM units WHERE terms IS NOT NULL ORDER BY uid DESC LIMIT ?"  # noqa: S608
            rows = list(self.db.execute(q, (n,)))
            self.recent = _Day()
            for r in reversed(rows):
                self._add(self.recent, int(r["uid"]), int(r["k"]), r["key"], r["time"], r["story"], *_vectors(r))
        elif len(self.recent.uid) > 2 * n:
            self.recent = _tail(self.recent, n)
        m = len(self.recent.uid)
        return self._gather([(self.recent, np.arange(max(0, m - n), m))], text, title)

    def window(self, t: float, span: float, text: TermVector, title: TermVector | None) -> Window:
        """Rows published within ``span`` seconds of ``t``, then the untimed ones."""
        parts = []
        for d in [*range(math.floor((t - span) / DAY), math.floor((t + span) / DAY) + 1), None]:
            day = self._day(d)
            if not day.uid:
                continue
            times = np.asarray(day.time, dtype=np.float64)
            keep = None if d is None else np.flatnonzero((times >= t - span) & (times <= t + span))
            parts.append((day, keep))
        return self._gather(parts, text, title)

    def _query(self, v: TermVector | None) -> np.ndarray:
        q = np.zeros(len(self.vocab) + 1)
        if v is not None and len(v.ids):
            vocab = self.vocab
            ids = v.ids.tolist()
            known = [n for n, t in enumerate(ids) if t in vocab]
            q[[vocab[ids[n]] for n in known]] = v.values[known]
        return q

    def _gather(
        self, parts: list[tuple[_Day, np.ndarray | None]], text: TermVector, title: TermVector | None
    ) -> Window:
        q, tq = self._query(text), self._query(title)
        uid, k, time, cos, tcos = [], [], [], [], []
        key: list[str] = []
        story: list[str | None] = []
        for day, keep in parts:
            if keep is not None and len(keep) == 0:
                continue
            sel = (lambda xs: xs) if keep is None else (lambda xs, keep=keep: [xs[i] for i in keep.tolist()])  # noqa: E731
            uid.append(np.asarray(sel(day.uid), np.int64))
            k.append(np.asarray(sel(day.k), np.int64))
            time.append(np.asarray(sel(day.time), np.float64))
            key.extend(sel(day.key))
            story.extend(sel(day.story))
            cos.append(day.text.products(q) if keep is None else day.text.products(q)[keep])
            tcos.append(day.title.products(tq) if keep is None else day.title.products(tq)[keep])
        if not uid:
            e = np.zeros(0)
            return Window(e.astype(np.int64), e.astype(np.int64), [], e, [], e, e)
        cat = np.concatenate
        return Window(cat(uid), cat(k), key, cat(time), story, cat(cos), cat(tcos))


def _tail(day: _Day, n: int) -> _Day:
    out = _Day()
    out.uid, out.k, out.key = day.uid[-n:], day.k[-n:], day.key[-n:]
    out.time, out.story = day.time[-n:], day.story[-n:]
    out.text, out.title = day.text.tail(n), day.title.tail(n)
    return out


def _vectors(r: sqlite3.Row) -> tuple[TermVector, TermVector | None]:
    text = TermVector(np.frombuffer(r["terms"] or b"", np.int64), np.frombuffer(r["weights"] or b"", np.float64))
    if r["title_terms"] is None:
        return text, None
    return text, TermVector(np.frombuffer(r["title_terms"], np.int64), np.frombuffer(r["title_weights"], np.float64))
