"""Add articles to the persistent index one at a time, in milliseconds, with the batch pipeline's steps.

For each article: its outlet's templates as learned so far clean it (and it teaches them); its reuse
units are fingerprinted, candidates come from the 5-gram postings table, and candidates are aligned
with the same aligner as ``khabar scan``; its story units are linked to the units published within
``max_days`` (the same link weights) and join the story with the highest average link weight, if
that reaches ``join``, else found a new story.

Differences from a batch scan, by design of an online index: an article is cleaned with the templates
known when it arrives (earlier articles are not re-cleaned), and stories are never merged or split
after the fact (a batch scan re-clusters everything).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time as clock
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from khabar.align import SeedIndex, align_indexed, seed_index
from khabar.article import Article
from khabar.clean.lines import split_lines
from khabar.clean.templates import article_keys, support_needed
from khabar.fingerprint import Unit, grams
from khabar.index.store import connect, ids_of, transaction
from khabar.prepare import prepare_one
from khabar.readers.records import RecordInvalid, record_to_article
from khabar.relate import UnitPassage, pair_record, same_words
from khabar.reuse import ReuseParams
from khabar.scan import article_record
from khabar.stories.build import StoryResult
from khabar.stories.cluster import story_id
from khabar.stories.features import StoryUnit, TermVector
from khabar.stories.link import DAY, LinkParams, _matrix
from khabar.words import view as make_view

RECENT_UNTIMED = 5000  # an untimed unit is linked against this many most recent units


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


class Index:
    """A story index in one SQLite file; safe to share between threads (writes are serialized)."""

    def __init__(self, path: str | Path, params: ReuseParams = ReuseParams(), link: LinkParams = LinkParams()):
        self.path = str(path)
        self.db = connect(path)
        self.params = params
        self.link = link
        self.lock = threading.Lock()

    # ------------------------------------------------------------------ writes

    def ingest(self, records: list[dict[str, Any]]) -> list[IngestResult]:
        """Index a batch of JSONL-shaped records atomically (all or none)."""
        with self.lock, transaction(self.db):
            return [self._ingest_one(rec, n) for n, rec in enumerate(records)]

    def _ingest_one(self, rec: dict[str, Any], n: int) -> IngestResult:
        try:
            article = record_to_article(rec, f"request:{n}", f"request-{n}")
        except RecordInvalid as e:
            raise RecordInvalid(f"article {n}: {e}") from None
        if "id" not in rec:
            raise RecordInvalid(f"article {n}: field 'id' is required")
        db = self.db
        if db.execute("SELECT 1 FROM articles WHERE id = ?", (article.id,)).fetchone():
            raise Conflict(f"article {article.id!r} is already indexed")
        k = int(db.execute("SELECT COALESCE(MAX(k), -1) + 1 FROM articles").fetchone()[0])
        templates = self._learn(article)
        prepared = prepare_one(article, k, templates)
        found = self._reuse(k, article.id, prepared.units)
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
        self._store_units(k, prepared.units, prepared.story_units, unit_story)
        shares = ids_of(db, {a for a, _ in found})
        for other, pair in found.items():
            db.execute("INSERT INTO pairs (a, b, record) VALUES (?, ?, ?)", (other[0], k, json.dumps(pair)))
        return IngestResult(article.id, unit_story.get("body"), sorted(shares[a] for a, _ in found), dict(unit_story))

    def _learn(self, article: Article) -> frozenset[int]:
        """The outlet's templates so far; then count this article's lines."""
        if not article.source:
            return frozenset()
        db = self.db
        source = article.source
        n_articles = db.execute("SELECT COUNT(*) FROM template_texts WHERE source = ?", (source,)).fetchone()[0]
        least = support_needed(n_articles, False, False)  # the lowest support any line needs
        rows = db.execute("SELECT key, n, prose, long FROM template_lines WHERE source = ? AND n >= ?", (source, least))
        keys = frozenset(
            int(r["key"]) for r in rows if r["n"] >= support_needed(n_articles, bool(r["prose"]), bool(r["long"]))
        )
        digest, lines, prose, longs = article_keys(article.text, split_lines(article.text, make_view(article.text)))
        if db.execute("SELECT 1 FROM template_texts WHERE source = ? AND digest = ?", (source, digest)).fetchone():
            return keys
        db.execute("INSERT INTO template_texts (source, digest) VALUES (?, ?)", (source, digest))
        db.executemany(
            "INSERT INTO template_lines (source, key, n, prose, long) VALUES (?, ?, 1, ?, ?) "
            "ON CONFLICT (source, key) DO UPDATE SET n = n + 1, prose = MAX(prose, excluded.prose), "
            "long = MAX(long, excluded.long)",
            [(source, _signed(key), key in prose, key in longs) for key in lines],
        )
        return frozenset(_unsigned(x) for x in keys)

    # ------------------------------------------------------------------ reuse

    def _df(self, hashes: set[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        items = sorted(hashes)
        for lo in range(0, len(items), 900):
            chunk = items[lo : lo + 900]
            marks = ",".join("?" * len(chunk))
            q = f"SELECT gram, COUNT(*) AS c FROM grams WHERE gram IN ({marks}) GROUP BY gram"  # noqa: S608 - only '?'
            for row in self.db.execute(q, chunk):
                out[int(row["gram"])] = int(row["c"])
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

    def _seed(self, unit: Unit, df: dict[int, int], extra: int) -> SeedIndex:
        n = self.params.candidates.n
        g = grams(unit.hashes, n)
        counts = np.array([df.get(_signed(int(x)), 0) + extra for x in g.tolist()], dtype=np.int64)
        return seed_index(unit, self.params.align, counts, n)

    def _reuse(self, k: int, article_id: str, units: list[Unit]) -> dict[tuple[int, int], dict[str, Any]]:
        """Pair records of the new article (``k``) with every indexed article it shares passages with,
        keyed by (other article, k)."""
        cp = self.params.candidates
        found: dict[int, list[UnitPassage]] = defaultdict(list)
        for unit in units:
            mine = {_signed(int(x)) for x in np.unique(grams(unit.hashes, cp.n)).tolist()}
            if not mine:
                continue
            df = self._df(mine)
            usable = [g for g in mine if 1 <= df.get(g, 0) <= cp.max_df - 1]
            shared: dict[int, int] = defaultdict(int)
            for lo in range(0, len(usable), 900):
                chunk = usable[lo : lo + 900]
                marks = ",".join("?" * len(chunk))
                q = f"SELECT uid, COUNT(*) AS c FROM grams WHERE gram IN ({marks}) GROUP BY uid"  # noqa: S608
                for r in self.db.execute(q, chunk):
                    shared[int(r["uid"])] += int(r["c"])
            cands = sorted(uid for uid, c in shared.items() if c >= cp.min_shared)
            if not cands:
                continue
            others = self._load_units(cands)
            other_grams = {_signed(int(x)) for u in others.values() for x in np.unique(grams(u.hashes, cp.n)).tolist()}
            df_all = self._df(mine | other_grams)
            for g in mine:  # the new unit counts in the document frequencies, as in a batch scan
                df_all[g] = df_all.get(g, 0) + 1
            new_seed = self._seed(unit, df_all, 0)
            for uid in cands:
                other = others[uid]
                passages = align_indexed(self._seed(other, df_all, 0), new_seed, self.params.align)
                found[other.article].extend(UnitPassage(other.key, unit.key, p) for p in passages)
        if not found:
            return {}
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
        return out

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

    def _window(self, u: StoryUnit) -> list[sqlite3.Row]:
        cols = "uid, k, key, terms, weights, title_terms, title_weights, time, story"
        if u.time is None:
            q = f"SELECT {cols} FROM units WHERE terms IS NOT NULL ORDER BY uid DESC LIMIT ?"  # noqa: S608
            return list(self.db.execute(q, (RECENT_UNTIMED,)))
        t = u.timestamp
        span = self.link.max_days * DAY
        q = f"SELECT {cols} FROM units WHERE terms IS NOT NULL AND (time BETWEEN ? AND ? OR time IS NULL)"  # noqa: S608
        return list(self.db.execute(q, (t - span, t + span)))  # type: ignore[operator]

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
        out: dict[str, str] = {}
        for u in sunits:
            rows = self._window(u)
            totals: dict[str, float] = defaultdict(float)
            if rows:
                vecs = [TermVector(_arr(r["terms"], np.int64), _arr(r["weights"], np.float64)) for r in rows]
                tvecs = [
                    TermVector(_arr(r["title_terms"], np.int64), _arr(r["title_weights"], np.float64)) for r in rows
                ]
                x = _matrix([u.weights, *vecs])
                tx = _matrix([u.title_weights, *tvecs])
                cos = np.asarray((x[1:] @ x[0].T).todense()).ravel()
                tcos = np.asarray((tx[1:] @ tx[0].T).todense()).ravel()
                times = np.array([r["time"] if r["time"] is not None else np.nan for r in rows], dtype=np.float64)
                if u.time is None or np.isnan(times).all():
                    pen = np.full(len(rows), p.untimed)
                else:
                    dt = np.abs(times - u.timestamp) / DAY  # type: ignore[operator]
                    pen = np.where(np.isnan(dt), p.untimed, p.per_day * np.maximum(0.0, dt - p.grace_days))
                w = np.where(cos >= p.floor, (1 - p.title_share) * cos + p.title_share * tcos - pen, 0.0)
                for r, weight in zip(rows, w.tolist(), strict=True):
                    cov = coverage.get((int(r["k"]), r["key"], u.key), 0.0)
                    if cov >= p.reuse_coverage:
                        weight += p.reuse_weight
                    if weight != 0.0 and r["story"]:
                        totals[r["story"]] += weight
            best, best_avg = None, p.join
            for sid, total in sorted(totals.items()):
                size = self.db.execute("SELECT COUNT(*) FROM units WHERE story = ?", (sid,)).fetchone()[0]
                avg = total / max(1, size)
                if avg >= best_avg:
                    best, best_avg = sid, avg
            out[u.key] = best or story_id(u)
        return out

    def _store_units(self, k: int, units: list[Unit], sunits: list[StoryUnit], unit_story: dict[str, str]) -> None:
        db = self.db
        by_key = {u.key: u for u in sunits}
        now = clock.time()
        for u in units:
            s = by_key.get(u.key)
            cur = db.execute(
                "INSERT INTO units (k, key, segments, hashes, starts, ends, terms, weights, title_terms, "
                "title_weights, title, time, story) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    k,
                    u.key,
                    json.dumps(s.segments if s else []),
                    _blob(u.hashes),
                    _blob(u.starts.astype(np.int32)),
                    _blob(u.ends.astype(np.int32)),
                    _blob(s.weights.ids) if s else None,
                    _blob(s.weights.values) if s else None,
                    _blob(s.title_weights.ids) if s and s.title_weights is not None else None,
                    _blob(s.title_weights.values) if s and s.title_weights is not None else None,
                    s.title if s else None,
                    s.timestamp if s else None,
                    unit_story.get(u.key),
                ),
            )
            uid = cur.lastrowid
            g = np.unique(grams(u.hashes, self.params.candidates.n))
            db.executemany(
                "INSERT OR IGNORE INTO grams (gram, uid) VALUES (?, ?)", ((_signed(int(x)), uid) for x in g.tolist())
            )
        for s in sunits:
            sid = unit_story.get(s.key)
            if sid is None:
                continue
            t = s.timestamp
            row = db.execute('SELECT first, start, "end", size FROM stories WHERE story = ?', (sid,)).fetchone()
            if row is None:
                db.execute(
                    'INSERT INTO stories (story, title, first, size, start, "end", updated) '
                    "VALUES (?, ?, ?, 1, ?, ?, ?)",
                    (sid, s.title, s.article_id, t, t, now),
                )
                continue
            start, end, first, title = row["start"], row["end"], row["first"], None
            if t is not None and (start is None or t < start):  # an earlier publisher: it is now first
                start, first, title = t, s.article_id, s.title
            if t is not None and (end is None or t > end):
                end = t
            db.execute(
                'UPDATE stories SET size = size + 1, start = ?, "end" = ?, first = ?, title = COALESCE(?, title), '
                "updated = ? WHERE story = ?",
                (start, end, first, title, now, sid),
            )


def _signed(x: int) -> int:
    """A 64-bit hash as SQLite's signed integer."""
    return x - (1 << 64) if x >= 1 << 63 else x


def _unsigned(x: int) -> int:
    return x + (1 << 64) if x < 0 else x


def digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
