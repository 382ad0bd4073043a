"""Add articles to the persistent index one at a time, in milliseconds, with the batch pipeline's steps.

For each article: its outlet's templates as learned so far clean it (and it teaches them); its reuse
units are fingerprinted, candidates come from the 5-gram postings table, and candidates are aligned
with the same aligner as ``khabar scan``; its story units are linked to the units published within
``max_days`` (the same link weights) and join the story with the highest average link weight, if
that reaches ``join``, else found a new story.

Differences from a batch scan, by design of an online index: an article is cleaned with the templates
known when it arrives (earlier articles are not re-cleaned), its teasers are told by the leads of
the outlet's articles indexed before it (a batch scan knows every lead of the scan: a teaser of an
article indexed later stays body), and stories are never merged or split after the fact (a batch
scan re-clusters everything).

What keeps an ingest's cost from growing with the index: the postings of an n-gram stop at
``max_df`` units (beyond that it is a stock phrase, which candidate search skips anyway, so each
lookup reads at most ``max_df`` rows per n-gram, one statement per unit); only the new unit's
n-grams' counts are looked up (the aligner's stock-phrase test only asks about n-grams both sides
share); the story-link window's vectors and story sizes are kept in memory (``window.py``); and
concurrent requests share one synced commit (group commit).  A batch is the bulk path: one
transaction for all its articles, giving the same index as ingesting them one at a time.

One difference the postings cap makes: when deletions bring an n-gram that reached ``max_df`` units
back below it, the postings not stored are not restored, so it stays a stock phrase for the index.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
import time as clock
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from khabar.align import SeedIndex, align_indexed, seed_index
from khabar.article import Article
from khabar.clean.lines import split_lines
from khabar.clean.teasers import OutletLines, lead_of_lines
from khabar.clean.templates import article_keys, support_needed
from khabar.fingerprint import Unit, grams
from khabar.index.store import connect, ids_of
from khabar.index.window import StoryWindows, Window
from khabar.outputs import article_record
from khabar.prepare import prepare_one
from khabar.readers.records import RecordInvalid, record_to_article
from khabar.relate import UnitPassage, pair_record, same_words
from khabar.reuse import ReuseParams
from khabar.stories.build import StoryResult
from khabar.stories.cluster import story_id
from khabar.stories.features import StoryUnit
from khabar.stories.link import DAY, LinkParams
from khabar.words import view as make_view

RECENT_UNTIMED = 5000  # an untimed unit is linked against this many most recent units
CHECKPOINT_EVERY = 0.2  # seconds between background WAL checkpoints
WAL_CHECKPOINT_PAGES = 20_000  # with background checkpoints, the writer checkpoints past this WAL size
MAX_VARIABLES = 900  # '?' per statement (SQLite's lowest default limit is 999)


class Conflict(ValueError):
    """An article with this id is already indexed."""


@dataclass
class IngestResult:
    id: str
    story: str | None
    shares_with: list[str] = field(default_factory=list)
    stories: dict[str, str] = field(default_factory=dict)  # unit key → story

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "story": self.story, "shares_with": self.shares_with, "units": self.stories}


def _blob(a: np.ndarray) -> bytes:
    return a.tobytes()


def _arr(b: bytes | None, dtype: Any) -> np.ndarray:
    return np.frombuffer(b or b"", dtype=dtype)


class _Request:
    __slots__ = ("records", "results", "error", "done")

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.results: list[IngestResult] = []
        self.error: BaseException | None = None
        self.done = False


class Index:
    """A story index in one SQLite file; safe to share between threads (writes are serialized).

    Requests of concurrent threads that wait for the writer are written together in one transaction
    (each in its own savepoint, so one failing request does not take the others with it) and are
    acknowledged once that transaction is committed: group commit, one synced commit for many
    articles.  Hot state (the story-link window, story sizes, outlets' article counts) is cached in
    memory; the cache is dropped when another connection has written to the file, or a write failed.

    With ``background_checkpoints`` (the service), WAL checkpoints run in a thread of their own, so a
    request does not wait for pages to be copied into the database file (the writer still checkpoints
    itself should the WAL pass ``WAL_CHECKPOINT_PAGES``).
    """

    def __init__(
        self,
        path: str | Path,
        params: ReuseParams = ReuseParams(),
        link: LinkParams = LinkParams(),
        background_checkpoints: bool = False,
    ):
        self.path = str(path)
        self.db = connect(path)
        self._stop = threading.Event()
        self.warmed = threading.Event()
        self._checkpointer: threading.Thread | None = None
        if background_checkpoints:
            self.db.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            self._checkpointer = threading.Thread(target=self._checkpoints, name="khabar-checkpoint", daemon=True)
            self._checkpointer.start()
        self.params = params
        self.link = link
        self.lock = threading.Lock()  # the writer
        self._queue: list[_Request] = []
        self._queue_lock = threading.Lock()
        self.windows = StoryWindows(self.db)
        self._story_sizes: dict[str, int] = {}
        self._source_texts: dict[str, int] = {}
        self._source_leads: dict[str, set[int]] = {}
        self._version: int | None = None

    def warm(self) -> None:
        """Load the story-link window of the newest days into memory (the service does this in a thread
        at start), one day at a time so that writes are not held up; ``warmed`` is set when done."""
        with self.lock:
            days: list[int | None] = [None, *self.windows.newest_days()]
        for day in days:
            if self._stop.is_set():
                return
            with self.lock:
                self._check_version()
                self.windows.warm(day)
        self.warmed.set()

    def close(self) -> None:
        self._stop.set()
        if self._checkpointer is not None:
            self._checkpointer.join()
        self.db.close()

    def _checkpoints(self) -> None:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA synchronous=FULL")  # a checkpoint syncs the database file
            while not self._stop.wait(CHECKPOINT_EVERY):
                with contextlib.suppress(sqlite3.Error):  # busy: the next round (or the writer) checkpoints
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")  # never blocks the writer or readers
        finally:
            db.close()

    # ------------------------------------------------------------------ writes

    def ingest(self, records: list[dict[str, Any]]) -> list[IngestResult]:
        """Index a batch of JSONL-shaped records atomically (all or none), in order.  A big batch
        is the bulk path: one transaction, one synced commit."""
        req = _Request(records)
        with self._queue_lock:
            self._queue.append(req)
        while not req.done:
            with self.lock:
                if req.done:
                    break
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._write(group)
        if req.error is not None:
            raise req.error
        return req.results

    def _write(self, group: list[_Request]) -> None:
        """Write queued requests in one transaction; each is all or none."""
        db = self.db
        try:
            db.execute("BEGIN IMMEDIATE")
        except BaseException as e:
            for req in group:
                req.error, req.done = e, True
            raise
        self._check_version()
        ok: list[_Request] = []
        try:
            for req in group:
                db.execute("SAVEPOINT request")
                try:
                    req.results = self._ingest_batch(req.records)
                except Exception as e:  # noqa: BLE001 - handed to the request's caller
                    db.execute("ROLLBACK TO request")
                    req.error = e
                    if getattr(e, "wrote", True):
                        self.forget()
                else:
                    ok.append(req)
                db.execute("RELEASE request")
            db.execute("COMMIT")
        except BaseException as e:
            if db.in_transaction:
                db.execute("ROLLBACK")
            self.forget()
            for req in group:  # nothing of this group was written
                if req in ok or req.error is None:
                    req.results, req.error = [], e
            raise
        finally:
            self._version = self._data_version()
            for req in group:
                req.done = True

    def forget(self) -> None:
        """Drop the in-memory caches (they are reloaded from the file as needed)."""
        self.windows.clear()
        self._story_sizes.clear()
        self._source_texts.clear()
        self._source_leads.clear()

    def _data_version(self) -> int:
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    def _check_version(self) -> None:
        version = self._data_version()
        if version != self._version:  # another connection wrote (or first write): caches may be stale
            self.forget()
            self._version = version

    def delete(self, article_id: str) -> bool:
        """Remove an article (see :func:`khabar.index.query.delete`)."""
        from khabar.index.query import delete

        with self.lock:
            try:
                return delete(self.db, article_id)
            finally:
                self.forget()
                self._version = self._data_version()

    def _ingest_batch(self, records: list[dict[str, Any]]) -> list[IngestResult]:
        articles = []
        seen: set[str] = set()
        for n, rec in enumerate(records):  # every record is checked before anything is written
            try:
                article = record_to_article(rec, f"request:{n}", f"request-{n}")
            except RecordInvalid as e:
                raise _unwritten(RecordInvalid(f"article {n}: {e}")) from None
            if "id" not in rec:
                raise _unwritten(RecordInvalid(f"article {n}: field 'id' is required"))
            if article.id in seen or self.db.execute("SELECT 1 FROM articles WHERE id = ?", (article.id,)).fetchone():
                raise _unwritten(Conflict(f"article {article.id!r} is already indexed"))
            seen.add(article.id)
            articles.append(article)
        return [self._ingest_one(article) for article in articles]

    def _ingest_one(self, article: Article) -> IngestResult:
        db = self.db
        k = int(db.execute("SELECT COALESCE(MAX(k), -1) + 1 FROM articles").fetchone()[0])
        templates = self._learn(article)
        prepared = prepare_one(article, k, templates)
        found, dfs = self._reuse(k, article.id, prepared.units)
        unit_story = self._stories(prepared.story_units, found, {u.key: len(u) for u in prepared.units})
        result = StoryResult(
            [],
            unit_story={(k, key): sid for key, sid in unit_story.items()},
            times={k: prepared.time},  # type: ignore[arg-type]
            wires={(k, key): w for key, w in prepared.wires.items()},
        )
        record = article_record(article, k, result)
        t = prepared.time[0]
        db.execute(
            "INSERT INTO articles (k, id, source, title, time, record) VALUES (?, ?, ?, ?, ?, ?)",
            (k, article.id, article.source, article.title, t.timestamp() if t else None, json.dumps(record)),
        )
        self._store_units(k, prepared.units, prepared.story_units, unit_story, dfs)
        shares = ids_of(db, {a for a, _ in found})
        for other, pair in found.items():
            db.execute("INSERT INTO pairs (a, b, record) VALUES (?, ?, ?)", (other[0], k, json.dumps(pair)))
        return IngestResult(article.id, unit_story.get("body"), sorted(shares[a] for a, _ in found), dict(unit_story))

    def _learn(self, article: Article) -> frozenset[int]:
        """The outlet's templates so far, with the lead keys of its articles so far and this one's
        (:class:`OutletLines`: what tells its teasers); then count this article's lines."""
        if not article.source:
            return frozenset()
        db = self.db
        source = article.source
        n_articles = self._source_texts.get(source)
        if n_articles is None:
            n_articles = db.execute("SELECT COUNT(*) FROM template_texts WHERE source = ?", (source,)).fetchone()[0]
        least = support_needed(n_articles, False, False)  # the lowest support any line needs
        rows = db.execute("SELECT key, n, prose, long FROM template_lines WHERE source = ? AND n >= ?", (source, least))
        keys = frozenset(
            _unsigned(int(r["key"]))
            for r in rows
            if r["n"] >= support_needed(n_articles, bool(r["prose"]), bool(r["long"]))
        )
        lines = split_lines(article.text, make_view(article.text))
        leads = self._leads(source, lead_of_lines(lines))
        digest, found, prose, longs = article_keys(article.text, lines)
        if db.execute("SELECT 1 FROM template_texts WHERE source = ? AND digest = ?", (source, digest)).fetchone():
            self._source_texts[source] = n_articles
            return OutletLines(keys, leads)
        db.execute("INSERT INTO template_texts (source, digest) VALUES (?, ?)", (source, digest))
        self._source_texts[source] = n_articles + 1
        db.executemany(
            "INSERT INTO template_lines (source, key, n, prose, long) VALUES (?, ?, 1, ?, ?) "
            "ON CONFLICT (source, key) DO UPDATE SET n = n + 1, prose = MAX(prose, excluded.prose), "
            "long = MAX(long, excluded.long)",
            [(source, _signed(key), key in prose, key in longs) for key in found],
        )
        return OutletLines(keys, leads)

    def _leads(self, source: str, lead: int) -> set[int]:
        """The lead keys of the outlet's articles, with ``lead`` (this article's; 0: none) added."""
        leads = self._source_leads.get(source)
        if leads is None:
            rows = self.db.execute("SELECT key FROM template_leads WHERE source = ?", (source,))
            leads = self._source_leads[source] = {_unsigned(int(r[0])) for r in rows}
        if lead and lead not in leads:
            self.db.execute("INSERT INTO template_leads (source, key) VALUES (?, ?)", (source, _signed(lead)))
            leads.add(lead)
        return leads

    # ------------------------------------------------------------------ reuse

    def _df(self, grams_: list[int]) -> dict[int, int]:
        """Postings per n-gram (signed), at most ``max_df``: all a decision needs (see ``_store_units``)."""
        out: dict[int, int] = {}
        for lo in range(0, len(grams_), MAX_VARIABLES):
            chunk = grams_[lo : lo + MAX_VARIABLES]
            marks = ",".join("?" * len(chunk))
            q = f"SELECT gram, COUNT(*) FROM grams WHERE gram IN ({marks}) GROUP BY gram"  # noqa: S608 - only '?'
            out.update(self.db.execute(q, chunk).fetchall())
        return out

    def _load_units(self, uids: list[int]) -> dict[int, Unit]:
        out: dict[int, Unit] = {}
        for lo in range(0, len(uids), 500):
            chunk = uids[lo : lo + 500]
            marks = ",".join("?" * len(chunk))
            q = f"SELECT uid, k, key, hashes, starts, ends FROM units WHERE uid IN ({marks})"  # noqa: S608
            for r in self.db.execute(q, chunk):
                out[int(r["uid"])] = Unit(
                    int(r["k"]),
                    r["key"],
                    _arr(r["hashes"], np.uint64),
                    _arr(r["starts"], np.int32),
                    _arr(r["ends"], np.int32),
                )
        return out

    def _seed(self, unit: Unit, known: np.ndarray, counts: np.ndarray) -> SeedIndex:
        """The unit's seeds, with the postings counts of its n-grams found in ``known`` (sorted
        signed n-grams with their ``counts``), 0 for the others."""
        n = self.params.candidates.n
        seeds = seed_index(unit, self.params.align, np.zeros(max(0, len(unit.hashes) - n + 1), np.int64), n)
        g = seeds.ngrams.view(np.int64)  # type: ignore[union-attr]
        at = np.minimum(np.searchsorted(known, g), max(0, len(known) - 1))
        df = np.where(known[at] == g, counts[at], 0) if len(known) else np.zeros(len(g), np.int64)
        return replace(seeds, rare=df <= self.params.align.rare_df)  # as seed_index(unit, ..., df, n)

    def _reuse(
        self, k: int, article_id: str, units: list[Unit]
    ) -> tuple[dict[tuple[int, int], dict[str, Any]], dict[str, dict[int, int]]]:
        """Pair records of the new article (``k``) with every indexed article it shares passages with,
        keyed by (other article, k); and the postings count of each unit's n-grams."""
        cp = self.params.candidates
        found: dict[int, list[UnitPassage]] = defaultdict(list)
        dfs: dict[str, dict[int, int]] = {}
        for unit in units:
            mine_arr = np.unique(grams(unit.hashes, cp.n).view(np.int64))
            mine = mine_arr.tolist()
            df = self._df(mine)
            dfs[unit.key] = df
            if not mine:
                continue
            usable = [g for g in mine if 1 <= df.get(g, 0) <= cp.max_df - 1]
            shared: dict[int, int] = defaultdict(int)
            for lo in range(0, len(usable), MAX_VARIABLES):
                chunk = usable[lo : lo + MAX_VARIABLES]
                marks = ",".join("?" * len(chunk))
                q = f"SELECT uid, COUNT(*) AS c FROM grams WHERE gram IN ({marks}) GROUP BY uid"  # noqa: S608
                for uid, c in self.db.execute(q, chunk):
                    shared[int(uid)] += int(c)
            cands = sorted(uid for uid, c in shared.items() if c >= cp.min_shared)
            if not cands:
                continue
            others = self._load_units(cands)
            # The new unit counts in the document frequencies, as in a batch scan.  Only the n-grams an
            # indexed unit shares with the new one are ever looked up on its side (the stock-phrase
            # test of a passage), so the new unit's n-grams' counts are all the aligner needs.
            counts = np.fromiter((df.get(g, 0) + 1 for g in mine), np.int64, len(mine))
            new_seed = self._seed(unit, mine_arr, counts)
            for uid in cands:
                other = others[uid]
                passages = align_indexed(self._seed(other, mine_arr, counts), new_seed, self.params.align)
                found[other.article].extend(UnitPassage(other.key, unit.key, p) for p in passages)
        if not found:
            return {}, dfs
        sizes = self._unit_sizes(list(found))
        mine_sizes = {u.key: len(u) for u in units}
        my_body = next((u.hashes for u in units if u.key == "body"), None)
        out = {}
        for other_k, passages in sorted(found.items()):
            if not passages:
                continue
            other_id = ids_of(self.db, [other_k])[other_k]
            body = self._body_hashes(other_k)
            out[(other_k, k)] = pair_record(
                other_id, article_id, sizes[other_k], mine_sizes, passages, same_words(body, my_body)
            )
        return out, dfs

    def _unit_sizes(self, ks: list[int]) -> dict[int, dict[str, int]]:
        out: dict[int, dict[str, int]] = defaultdict(dict)
        marks = ",".join("?" * len(ks))
        for r in self.db.execute(f"SELECT k, key, LENGTH(hashes) / 8 AS n FROM units WHERE k IN ({marks})", ks):  # noqa: S608
            out[int(r["k"])][r["key"]] = int(r["n"])
        return out

    def _body_hashes(self, k: int) -> np.ndarray | None:
        r = self.db.execute("SELECT hashes FROM units WHERE k = ? AND key = 'body'", (k,)).fetchone()
        return _arr(r["hashes"], np.uint64) if r else None

    # ------------------------------------------------------------------ stories

    def _window(self, u: StoryUnit) -> Window:
        if u.time is None:
            return self.windows.latest(RECENT_UNTIMED, u.weights, u.title_weights)
        return self.windows.window(u.timestamp, self.link.max_days * DAY, u.weights, u.title_weights)  # type: ignore[arg-type]

    def _story_size(self, sid: str) -> int:
        size = self._story_sizes.get(sid)
        if size is None:
            size = self.db.execute("SELECT COUNT(*) FROM units WHERE story = ?", (sid,)).fetchone()[0]
            self._story_sizes[sid] = size
        return size

    def _stories(
        self, sunits: list[StoryUnit], reuse: dict[tuple[int, int], dict[str, Any]], my_sizes: dict[str, int]
    ) -> dict[str, str]:
        """Story of each new unit: the linked story with the best average link, or a new one."""
        p = self.link
        coverage: dict[tuple[int, str, str], float] = defaultdict(float)  # (other k, its unit, my unit)
        for (other, _), pair in reuse.items():
            words: dict[tuple[str, str], int] = defaultdict(int)
            for x in pair["passages"]:
                words[(x["a_unit"], x["b_unit"])] += x["words"]
            other_sizes = self._unit_sizes([other]).get(other, {})
            for (ka, kb), w in words.items():
                cov = max(w / max(1, other_sizes.get(ka, 0)), w / max(1, my_sizes.get(kb, 0)))
                coverage[(other, ka, kb)] = cov
        strong = [key for key, cov in coverage.items() if cov >= p.reuse_coverage]  # a reuse bonus
        out: dict[str, str] = {}
        for u in sunits:
            win = self._window(u)
            totals: dict[str, float] = defaultdict(float)
            if len(win.uid):
                if u.time is None or np.isnan(win.time).all():
                    pen = np.full(len(win.uid), p.untimed)
                else:
                    dt = np.abs(win.time - u.timestamp) / DAY  # type: ignore[operator]
                    pen = np.where(np.isnan(dt), p.untimed, p.per_day * np.maximum(0.0, dt - p.grace_days))
                w = np.where(win.cos >= p.floor, (1 - p.title_share) * win.cos + p.title_share * win.tcos - pen, 0.0)
                bonus = np.zeros(len(w), dtype=bool)
                for other, ka, kb in strong:
                    if kb == u.key:
                        for n in np.flatnonzero(win.k == other).tolist():
                            bonus[n] |= win.key[n] == ka
                for n in np.flatnonzero((w != 0.0) | bonus).tolist():
                    weight = float(w[n])
                    if bonus[n]:
                        weight += p.reuse_weight
                    sid = win.story[n]
                    if weight != 0.0 and sid:
                        totals[sid] += weight
            best, best_avg = None, p.join
            for sid, total in sorted(totals.items()):
                avg = total / max(1, self._story_size(sid))
                if avg >= best_avg:
                    best, best_avg = sid, avg
            out[u.key] = best or story_id(u)
        return out

    def _store_units(
        self,
        k: int,
        units: list[Unit],
        sunits: list[StoryUnit],
        unit_story: dict[str, str],
        dfs: dict[str, dict[int, int]],
    ) -> None:
        db = self.db
        by_key = {u.key: u for u in sunits}
        now = clock.time()
        cap = self.params.candidates.max_df
        added: dict[int, int] = defaultdict(int)  # postings this article adds, for its later units
        for u in units:
            s = by_key.get(u.key)
            sid = unit_story.get(u.key)
            uid = self._insert_unit(k, u.key, s, sid, u.hashes, u.starts, u.ends)
            # Postings cap: an n-gram already in ``max_df`` units is a stock phrase for good (candidate
            # search skips it, and the aligner only asks whether it is in at most ``rare_df``), so its
            # further postings are not stored; a count of its postings still reaches ``max_df``.
            df = dfs.get(u.key, {})
            keep = []
            for g in np.unique(grams(u.hashes, self.params.candidates.n).view(np.int64)).tolist():
                if df.get(g, 0) + added[g] < cap:
                    keep.append((g, uid))
                added[g] += 1
            db.executemany("INSERT OR IGNORE INTO grams (gram, uid) VALUES (?, ?)", keep)
        reused = {u.key for u in units}
        joined: set[str] = set()  # the stories this article is in: its size counts articles, not units
        for s in sunits:
            sid = unit_story.get(s.key)
            if sid is None:
                continue
            if s.key not in reused:  # a story unit without words (only tatweel, marks …): a member all the same
                none = np.zeros(0, np.int32)
                self._insert_unit(k, s.key, s, sid, np.zeros(0, np.uint64), none, none)
            t = s.timestamp
            row = db.execute('SELECT first, start, "end", size FROM stories WHERE story = ?', (sid,)).fetchone()
            if row is None:
                db.execute(
                    'INSERT INTO stories (story, title, first, size, start, "end", updated) '
                    "VALUES (?, ?, ?, 1, ?, ?, ?)",
                    (sid, s.title, s.article_id, t, t, now),
                )
                joined.add(sid)
                continue
            start, end, first, title = row["start"], row["end"], row["first"], None
            if t is not None and (start is None or t < start):  # an earlier publisher: it is now first
                start, first, title = t, s.article_id, s.title
            if t is not None and (end is None or t > end):
                end = t
            db.execute(
                'UPDATE stories SET size = size + ?, start = ?, "end" = ?, first = ?, title = COALESCE(?, title), '
                "updated = ? WHERE story = ?",
                (0 if sid in joined else 1, start, end, first, title, now, sid),
            )
            joined.add(sid)

    def _insert_unit(
        self,
        k: int,
        key: str,
        s: StoryUnit | None,
        sid: str | None,
        hashes: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
    ) -> int:
        """The row of one unit of article ``k`` (its words, and its story vector ``s`` if it has one),
        counted in its story's cached size and the link window; returns its uid."""
        cur = self.db.execute(
            "INSERT INTO units (k, key, segments, hashes, starts, ends, terms, weights, title_terms, "
            "title_weights, title, time, story) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                k,
                key,
                json.dumps(s.segments if s else []),
                _blob(hashes),
                _blob(starts.astype(np.int32)),
                _blob(ends.astype(np.int32)),
                _blob(s.weights.ids) if s else None,
                _blob(s.weights.values) if s else None,
                _blob(s.title_weights.ids) if s and s.title_weights is not None else None,
                _blob(s.title_weights.values) if s and s.title_weights is not None else None,
                s.title if s else None,
                s.timestamp if s else None,
                sid,
            ),
        )
        uid = int(cur.lastrowid)  # type: ignore[arg-type]
        if sid is not None and sid in self._story_sizes:  # else counted from the table when needed
            self._story_sizes[sid] += 1
        if s is not None:
            self.windows.stored(uid, k, key, s.timestamp, sid, s.weights, s.title_weights)
        return uid


def _unwritten(e: Exception) -> Exception:
    """An error raised before the request wrote anything (the caches stay valid)."""
    e.wrote = False  # type: ignore[attr-defined]
    return e


def _signed(x: int) -> int:
    """A 64-bit hash as SQLite's signed integer."""
    return x - (1 << 64) if x >= 1 << 63 else x


def _unsigned(x: int) -> int:
    return x + (1 << 64) if x < 0 else x


def digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
