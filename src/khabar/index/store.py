"""The persistent story index: one SQLite file (WAL mode), no server.

Tables: ``articles`` (the articles.jsonl record of each article, its story and time), ``units``
(reuse units: word hashes and offsets as blobs; story term vectors), ``grams`` (word 5-gram
postings of the units: the candidate index), ``pairs`` (pairs.jsonl records), ``stories`` and
``template_*`` (per-outlet line counts, so templates keep being learned as articles arrive, and
the outlets' articles' lead keys, which tell their teasers: ``clean/teasers.py``).  A table this
khabar adds to the schema (``template_leads``) is made when an older index is opened for writing.
An n-gram's postings stop at ``max_df`` units (see ``ingest.py``).

Every write of one ingest is one transaction (or a savepoint in a transaction shared with
concurrent requests), committed (``synchronous=FULL``) before the service answers: an acknowledged
article survives a crash.  Every query is parameterized.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from khabar.errors import KhabarError
from khabar.normalize import normalize_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    k INTEGER PRIMARY KEY,            -- ingestion order
    id TEXT NOT NULL UNIQUE,
    source TEXT,
    title TEXT,
    time REAL,                        -- unix seconds, NULL when unknown
    record TEXT NOT NULL              -- the articles.jsonl record (JSON)
);
CREATE INDEX IF NOT EXISTS articles_time ON articles(time);
CREATE INDEX IF NOT EXISTS articles_source ON articles(source);
CREATE TABLE IF NOT EXISTS units (
    uid INTEGER PRIMARY KEY,
    k INTEGER NOT NULL REFERENCES articles(k) ON DELETE CASCADE,
    key TEXT NOT NULL,
    segments TEXT NOT NULL,           -- JSON list of segment indices
    hashes BLOB NOT NULL, starts BLOB NOT NULL, ends BLOB NOT NULL,
    terms BLOB, weights BLOB, title_terms BLOB, title_weights BLOB,
    title TEXT, time REAL, story TEXT,
    UNIQUE (k, key)
);
CREATE INDEX IF NOT EXISTS units_time ON units(time);
CREATE INDEX IF NOT EXISTS units_story ON units(story);
CREATE TABLE IF NOT EXISTS grams (gram INTEGER NOT NULL, uid INTEGER NOT NULL, PRIMARY KEY (gram, uid))
    WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS grams_uid ON grams(uid);
CREATE TABLE IF NOT EXISTS pairs (
    a INTEGER NOT NULL, b INTEGER NOT NULL,   -- article k, a < b
    record TEXT NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pairs_b ON pairs(b);
CREATE TABLE IF NOT EXISTS stories (
    story TEXT PRIMARY KEY,
    title TEXT, first TEXT, size INTEGER NOT NULL, start REAL, "end" REAL, updated REAL,
    title_norm TEXT                   -- the title normalized (khabar_norm), what a search matches
);
CREATE TRIGGER IF NOT EXISTS stories_title_norm_new AFTER INSERT ON stories BEGIN
    UPDATE stories SET title_norm = khabar_norm(NEW.title) WHERE story = NEW.story;
END;
CREATE TRIGGER IF NOT EXISTS stories_title_norm_changed AFTER UPDATE OF title ON stories BEGIN
    UPDATE stories SET title_norm = khabar_norm(NEW.title) WHERE story = NEW.story;
END;
CREATE INDEX IF NOT EXISTS stories_updated ON stories(updated);
CREATE TABLE IF NOT EXISTS template_lines (
    source TEXT NOT NULL, key INTEGER NOT NULL, n INTEGER NOT NULL, prose INTEGER NOT NULL, long INTEGER NOT NULL,
    PRIMARY KEY (source, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS template_lines_n ON template_lines(source, n);
CREATE TABLE IF NOT EXISTS template_texts (source TEXT NOT NULL, digest BLOB NOT NULL, PRIMARY KEY (source, digest))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS template_leads (source TEXT NOT NULL, key INTEGER NOT NULL, PRIMARY KEY (source, key))
    WITHOUT ROWID;                    -- the lead key of each article of an outlet: what tells its teasers
"""


SCHEMA_VERSION = 2  # in the file's header (``PRAGMA user_version``): what marks a file as a khabar index
# 1 (and 0, before the version was written): stories had no title_norm and counted units in size; both
# are mended when such an index is opened for writing


def search_form(text: str | None) -> str | None:
    """A title or a search as searches compare them: normalized, white space collapsed."""
    return None if text is None else " ".join(normalize_text(text).split())


def connect(path: str | Path, write: bool = True) -> sqlite3.Connection:
    """Open (creating if needed) an index file: WAL journal, full sync, foreign keys on.  A file that
    cannot be opened, is not an index (an SQLite file with other tables) or an index of another
    schema is a :class:`KhabarError` naming it (one line), and is left as it was; so is one that
    cannot be written, unless only for reading (``write=False``)."""
    try:
        return _connect(path, write)
    except sqlite3.DatabaseError as e:  # (OperationalError too: a directory that is not there …)
        reason = "it cannot be written" if "readonly" in str(e) else e
        raise KhabarError(f"{path}: cannot open the index ({reason})") from None


@lru_cache(maxsize=1)
def _expected() -> dict[str, list[str]]:
    """Each table's columns, as :data:`SCHEMA` makes them."""
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(SCHEMA)
        return _columns(db)
    finally:
        db.close()


def _columns(db: sqlite3.Connection) -> dict[str, list[str]]:
    names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {t: [r[1] for r in db.execute("SELECT * FROM pragma_table_info(?)", (t,))] for t in names}


def _check(db: sqlite3.Connection) -> bool:
    """Raise unless the open file is empty or an index of this schema, or of the one before (then
    True: its stories need their title_norm); nothing is written."""
    tables = _columns(db)
    if not tables:
        return False  # a new file (or an empty database): made an index
    version = db.execute("PRAGMA user_version").fetchone()[0]
    expected = _expected()
    if "articles" not in tables:
        raise KhabarError(f"not a khabar index (its tables: {', '.join(sorted(tables)[:5])})")
    if version not in (0, 1, SCHEMA_VERSION):
        raise KhabarError(f"an index of schema {version}; this khabar reads schema {SCHEMA_VERSION}")
    older = version < SCHEMA_VERSION and tables.get("stories") == expected["stories"][:-1]
    for table, cols in tables.items():  # an index of an older khabar (no version) must have this schema
        if table in expected and cols != expected[table] and not (older and table == "stories"):
            raise KhabarError(f"an index of another schema (table {table}: {', '.join(cols)})")
    return older


def _connect(path: str | Path, write: bool) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
    try:
        db.row_factory = sqlite3.Row
        db.create_function("khabar_norm", 1, search_form, deterministic=True)
        try:
            older = _check(db)
        except KhabarError as e:
            raise KhabarError(f"{path}: cannot open the index: {e}") from None
        if older and not write:
            raise KhabarError(f"{path}: cannot open the index: an index of schema 1, to be opened for writing first")
        if write:
            db.execute("PRAGMA user_version=1" if older else f"PRAGMA user_version={SCHEMA_VERSION}")  # fails at once
            if older:  # (on a file that cannot be written)
                with transaction(db):
                    if "title_norm" not in _columns(db)["stories"]:  # (not done meanwhile by another process)
                        db.execute("ALTER TABLE stories ADD COLUMN title_norm TEXT")
                        db.execute("UPDATE stories SET title_norm = khabar_norm(title)")
                        # and sizes counted in articles (schema 1 counted an article once per unit)
                        db.execute(
                            "UPDATE stories SET size = MAX(1, (SELECT COUNT(DISTINCT k) FROM units u "
                            "WHERE u.story = stories.story))"
                        )
                    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA cache_size=-262144")  # KiB: up to 256 MiB of pages (postings are looked up at random)
        db.execute("PRAGMA mmap_size=1073741824")  # reads map the file instead of copying pages
        db.execute("PRAGMA temp_store=MEMORY")
        if write:
            db.executescript(SCHEMA)
    except BaseException:
        db.close()
        raise
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One atomic write: everything or nothing, durable when the block ends."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def article_record(db: sqlite3.Connection, article_id: str) -> dict[str, Any] | None:
    row = db.execute("SELECT record FROM articles WHERE id = ?", (article_id,)).fetchone()
    return json.loads(row["record"]) if row else None


def article_k(db: sqlite3.Connection, article_id: str) -> int | None:
    row = db.execute("SELECT k FROM articles WHERE id = ?", (article_id,)).fetchone()
    return int(row["k"]) if row else None


def ids_of(db: sqlite3.Connection, ks: Iterable[int]) -> dict[int, str]:
    ks = list(ks)
    out: dict[int, str] = {}
    for lo in range(0, len(ks), 500):
        chunk = ks[lo : lo + 500]
        marks = ",".join("?" * len(chunk))
        for row in db.execute(f"SELECT k, id FROM articles WHERE k IN ({marks})", chunk):  # noqa: S608 - only '?'
            out[int(row["k"])] = row["id"]
    return out
