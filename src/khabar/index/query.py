"""Read the story index: articles, their reuse, stories with timeline and originality, deletion."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

import numpy as np

from khabar.index.store import article_k, ids_of, search_form, transaction

MAX_STORIES = 500  # stories per list


def _iso(t: float | None) -> str | None:
    try:
        return datetime.fromtimestamp(t, UTC).isoformat() if t is not None else None
    except (OverflowError, ValueError, OSError):  # a time beyond year 9999 in an index of an older khabar
        return None


def article(db: sqlite3.Connection, article_id: str) -> dict[str, Any] | None:
    row = db.execute("SELECT record FROM articles WHERE id = ?", (article_id,)).fetchone()
    return json.loads(row["record"]) if row else None


def reuse(db: sqlite3.Connection, article_id: str) -> list[dict[str, Any]] | None:
    """Pair records of the article with every article it shares passages with."""
    k = article_k(db, article_id)
    if k is None:
        return None
    rows = db.execute("SELECT record FROM pairs WHERE a = ? OR b = ? ORDER BY a, b", (k, k))
    return [json.loads(r["record"]) for r in rows]


def stories(
    db: sqlite3.Connection, q: str | None = None, source: str | None = None, since: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Stories, newest and biggest first; ``q`` searches titles, ``source`` keeps stories an outlet
    took part in, ``since`` (ISO 8601) keeps stories active since then."""
    where = ["1 = 1"]
    args: list[Any] = []
    if q:
        where.append("s.title_norm LIKE ? ESCAPE '\\'")  # normalized: أميركي finds أمريكي, الاميركي, الأمِيرْكي
        q = search_form(q) or ""
        args.append("%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    if source:
        where.append(
            "EXISTS (SELECT 1 FROM units u JOIN articles a ON a.k = u.k WHERE u.story = s.story AND a.source = ?)"
        )
        args.append(source)
    if since:
        try:
            t = datetime.fromisoformat(since)
        except ValueError:
            raise ValueError(f"since: not an ISO 8601 time: {since!r}") from None
        try:
            stamp = (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()
        except (OverflowError, ValueError):
            raise ValueError(f"since: out of range: {since!r}") from None
        where.append('COALESCE(s."end", s.updated) >= ?')
        args.append(stamp)
    sql = (
        'SELECT s.story, s.title, s.first, s.size, s.start, s."end" FROM stories s WHERE '
        + " AND ".join(where)
        + ' ORDER BY s."end" IS NULL, date(s."end", \'unixepoch\') DESC, s.size DESC, s.story LIMIT ?'
    )
    args.append(max(1, min(limit, MAX_STORIES)))
    out = []
    for r in db.execute(sql, args):
        sources = [
            x["source"]
            for x in db.execute(
                "SELECT DISTINCT a.source FROM units u JOIN articles a ON a.k = u.k "
                "WHERE u.story = ? AND a.source IS NOT NULL ORDER BY a.source",
                (r["story"],),
            )
        ]
        out.append(
            {
                "story": r["story"],
                "title": r["title"],
                "first": r["first"],
                "size": r["size"],
                "sources": sources,
                "start": _iso(r["start"]),
                "end": _iso(r["end"]),
            }
        )
    return out


def story(db: sqlite3.Connection, story_id: str) -> dict[str, Any] | None:
    """A story with its members (units) in publication order, the first publisher, and each member's
    originality: the share of its words in no passage it shares with an earlier member."""
    head = db.execute('SELECT story, title, first, size, start, "end" FROM stories WHERE story = ?', (story_id,))
    row = head.fetchone()
    if row is None:
        return None
    members = list(
        db.execute(
            "SELECT a.k, a.id, a.source, a.title, a.time, u.key, u.starts, u.ends FROM units u "
            "JOIN articles a ON a.k = u.k WHERE u.story = ? ORDER BY a.time IS NULL, a.time, a.k, u.uid",
            (story_id,),
        )
    )
    order = {(int(m["k"]), m["key"]): n for n, m in enumerate(members)}
    rank = {}  # an article's place: its first member's
    for (k, _), n in order.items():
        rank.setdefault(k, n)
    spans: dict[tuple[int, str], list[tuple[int, int]]] = {u: [] for u in order}
    found_in: dict[tuple[int, str], set[int]] = {u: set() for u in order}
    ks = sorted(rank)
    if ks:
        marks = ",".join("?" * len(ks))
        sql = f"SELECT a, b, record FROM pairs WHERE a IN ({marks}) AND b IN ({marks})"  # noqa: S608 - only '?'
        for p in db.execute(sql, ks + ks):
            a, b = int(p["a"]), int(p["b"])
            late, early = (b, a) if rank[a] <= rank[b] else (a, b)
            side, other = ("b", "a") if late == b else ("a", "b")
            for x in json.loads(p["record"])["passages"]:
                unit, source = (late, x[f"{side}_unit"]), (early, x[f"{other}_unit"])
                if unit in spans and source in order:  # a passage shared with an earlier member of this story
                    spans[unit].append((x[f"{side}_start"], x[f"{side}_end"]))
                    found_in[unit].add(early)
    ids = ids_of(db, {e for s in found_in.values() for e in s})
    timeline = []
    for m in members:
        unit = (int(m["k"]), m["key"])
        starts, ends = np.frombuffer(m["starts"], np.int32), np.frombuffer(m["ends"], np.int32)
        timeline.append(
            {
                "article": m["id"],
                "unit": m["key"],
                "source": m["source"],
                "title": m["title"],
                "time": _iso(m["time"]),
                "words": len(starts),
                "originality": originality(starts, ends, spans[unit]),
                "copies_from": sorted(ids[e] for e in found_in[unit]),
                "first": m["id"] == row["first"],
            }
        )
    return {
        "story": row["story"],
        "title": row["title"],
        "first": row["first"],
        "size": row["size"],
        "start": _iso(row["start"]),
        "end": _iso(row["end"]),
        "sources": sorted({m["source"] for m in members if m["source"]}),
        "members": timeline,
    }


def originality(starts: np.ndarray, ends: np.ndarray, spans: list[tuple[int, int]]) -> float:
    """The share of the words (character ``starts``/``ends``) inside none of ``spans`` (1 for no words)."""
    if len(starts) == 0:
        return 1.0
    inside = np.zeros(len(starts), bool)
    for lo, hi in spans:
        inside |= (starts >= lo) & (ends <= hi)
    return round(1 - float(inside.mean()), 4)


def delete(db: sqlite3.Connection, article_id: str) -> bool:
    """Remove an article, its units, postings and pairs; its stories shrink (and go when empty)."""
    with transaction(db):
        k = article_k(db, article_id)
        if k is None:
            return False
        stories_of = [r["story"] for r in db.execute("SELECT story FROM units WHERE k = ?", (k,)) if r["story"]]
        db.execute("DELETE FROM grams WHERE uid IN (SELECT uid FROM units WHERE k = ?)", (k,))
        db.execute("DELETE FROM pairs WHERE a = ? OR b = ?", (k, k))
        db.execute("DELETE FROM units WHERE k = ?", (k,))
        db.execute("DELETE FROM articles WHERE k = ?", (k,))
        stories_of = list(dict.fromkeys(stories_of))  # each story once: its size counts articles
        for sid in stories_of:
            db.execute("UPDATE stories SET size = size - 1 WHERE story = ?", (sid,))
            db.execute("DELETE FROM stories WHERE story = ? AND size <= 0", (sid,))
        for sid in stories_of:  # what is left of it: its first publisher, title and span
            first = db.execute(
                "SELECT a.id, u.title FROM units u JOIN articles a ON a.k = u.k WHERE u.story = ? "
                "ORDER BY u.time IS NULL, u.time, u.k, u.uid LIMIT 1",
                (sid,),
            ).fetchone()
            if first is not None:
                db.execute(
                    "UPDATE stories SET first = ?, title = COALESCE(?, title), "
                    "start = (SELECT MIN(time) FROM units WHERE story = ?), "
                    '"end" = (SELECT MAX(time) FROM units WHERE story = ?) WHERE story = ?',
                    (first["id"], first["title"], sid, sid, sid),
                )
        return True


def counts(db: sqlite3.Connection) -> dict[str, int]:
    return {
        "articles": db.execute("SELECT COUNT(*) FROM articles").fetchone()[0],
        "stories": db.execute("SELECT COUNT(*) FROM stories").fetchone()[0],
        "pairs": db.execute("SELECT COUNT(*) FROM pairs").fetchone()[0],
    }
