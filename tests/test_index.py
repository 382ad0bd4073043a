"""The persistent index's ingest: batching and caching never change the index; postings are capped;
concurrent requests are committed together yet each stays all or none."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from khabar.candidates import CandidateParams
from khabar.index import ingest
from khabar.index.ingest import Conflict, Index
from khabar.readers.records import RecordInvalid
from khabar.reuse import ReuseParams
from tests.test_serve import seeds


def corpus(ant: list[dict]) -> list[dict]:
    """Originals, exact copies by other outlets, partial copies, a page gluing two articles."""
    docs = [*seeds(), *({**a, "id": f"ant{n}"} for n, a in enumerate(ant))]
    for n, a in enumerate(ant[:5]):
        docs.append({**a, "id": f"copy{n}", "source": "nasikh"})
        half = a["text"][: len(a["text"]) // 2]
        docs.append({**a, "id": f"half{n}", "source": "masdar", "text": "خبر عاجل\n" + half, "published": None})
    docs.append({**ant[1], "id": "glued", "text": ant[1]["text"] + "\n\n" + ant[5]["text"], "source": "lasiq"})
    docs.append({**ant[0], "id": "late", "published": "2018-06-05T06:24:00+00:00"})  # 9 days after ant0
    return docs


def contents(db: Path) -> tuple:
    con = sqlite3.connect(db)
    try:
        articles = {r[0]: json.loads(r[1]) for r in con.execute("SELECT id, record FROM articles")}
        pairs = sorted((a, b, json.loads(r)) for a, b, r in con.execute("SELECT a, b, record FROM pairs"))
        stories = sorted(con.execute('SELECT story, title, first, size, start, "end" FROM stories'))
        grams = con.execute("SELECT COUNT(*), COUNT(DISTINCT gram) FROM grams").fetchone()
        units = sorted(con.execute("SELECT k, key, story, time FROM units"))
        return articles, pairs, stories, grams, units
    finally:
        con.close()


@pytest.mark.parametrize("recent", [ingest.RECENT_UNTIMED, 3])  # untimed units: linked to the last 3 only
def test_bulk_and_cached_ingest_give_the_index_of_one_at_a_time(
    tmp_path: Path, ant: list[dict], recent: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "RECENT_UNTIMED", recent)
    docs = corpus(ant)
    one = Index(tmp_path / "one.db")
    answers = [one.ingest([d])[0] for d in docs]
    bulk = Index(tmp_path / "bulk.db")
    assert [r.to_json() for r in bulk.ingest(docs)] == [r.to_json() for r in answers]
    for size in (3, 7):  # batches, with a fresh process's caches between them
        path = tmp_path / f"by{size}.db"
        for lo in range(0, len(docs), size):
            index = Index(path)
            if size == 7:  # windows loaded up front, as the service does, then appended to
                index.warm()
                assert index.warmed.is_set()
            index.ingest(docs[lo : lo + size])
            index.close()
        assert contents(path) == contents(tmp_path / "one.db")
    assert contents(tmp_path / "bulk.db") == contents(tmp_path / "one.db")
    by_id = {r.id: r for r in answers}
    assert by_id["s2"].shares_with == ["s0"] and by_id["copy0"].shares_with == ["ant0"]
    assert set(by_id["glued"].shares_with) >= {"ant1", "ant5"}
    assert by_id["copy1"].story == by_id["ant1"].story  # a copy joins its original's story


def test_postings_are_capped_at_max_df(tmp_path: Path, ant: list[dict]) -> None:
    params = ReuseParams(candidates=CandidateParams(max_df=3))
    index = Index(tmp_path / "k.db", params=params)
    results = [index.ingest([{**ant[2], "id": f"c{n}"}])[0] for n in range(6)]
    con = sqlite3.connect(tmp_path / "k.db")
    per_gram = [n for (n,) in con.execute("SELECT COUNT(*) FROM grams GROUP BY gram")]
    assert max(per_gram) == 3  # the 4th to 6th copies' n-grams are stock phrases: no postings stored
    assert con.execute("SELECT COUNT(DISTINCT uid) FROM grams").fetchone()[0] == 3
    # n-grams in max_df - 1 = 2 units still find candidates; in 3 or more, none (as in a batch scan)
    assert [r.shares_with for r in results] == [[], ["c0"], ["c0", "c1"], [], [], []]
    assert index.delete("c5") and index.ingest([{**ant[2], "id": "c6"}])[0].shares_with == []


def test_concurrent_requests_commit_together_each_all_or_none(tmp_path: Path, ant: list[dict]) -> None:
    index = Index(tmp_path / "k.db")
    index.ingest([{**ant[0], "id": "taken"}])
    requests = [
        [{**ant[1], "id": "a1"}],
        [{**ant[2], "id": "b1"}, {**ant[3], "id": "taken"}],  # a conflict: the whole request fails
        [{**ant[1], "id": "c1"}, {**ant[4], "id": "c2"}],
        [{**ant[5], "id": "d1"}, {"id": "d2", "text": 5}],  # an invalid record: fails alone
        [{**ant[6], "id": "e1"}],
    ]
    outcomes: dict[int, object] = {}

    def send(n: int) -> None:
        try:
            outcomes[n] = [r.id for r in index.ingest(requests[n])]
        except (Conflict, RecordInvalid) as e:
            outcomes[n] = type(e)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(requests))]
    with index.lock:  # the writer is busy: every request queues, then one transaction takes them all
        for th in threads:
            th.start()
        deadline = time.monotonic() + 30
        while len(index._queue) < len(requests) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(index._queue) == len(requests)
    for th in threads:
        th.join()
    assert outcomes == {0: ["a1"], 1: Conflict, 2: ["c1", "c2"], 3: RecordInvalid, 4: ["e1"]}
    con = sqlite3.connect(tmp_path / "k.db")
    ids = {r[0] for r in con.execute("SELECT id FROM articles")}
    assert ids == {"taken", "a1", "c1", "c2", "e1"}
    assert con.execute("SELECT COUNT(*) FROM units WHERE k NOT IN (SELECT k FROM articles)").fetchone()[0] == 0
    assert index.ingest([{**ant[2], "id": "b2"}])[0].shares_with == []  # b1 left nothing behind
    assert index.ingest([{**ant[1], "id": "a2"}])[0].shares_with == ["a1", "c1"]


def test_another_writer_and_deletions_are_seen(tmp_path: Path, ant: list[dict]) -> None:
    path = tmp_path / "k.db"
    first, second = Index(path), Index(path)
    x = first.ingest([{**ant[3], "id": "x0"}])[0]
    y = second.ingest([{**ant[3], "id": "x1"}])[0]
    z = first.ingest([{**ant[3], "id": "x2"}])[0]  # its caches predate x1: they must be reloaded
    assert y.shares_with == ["x0"] and z.shares_with == ["x0", "x1"]
    assert x.story == y.story == z.story
    assert first.delete("x0") and not first.delete("x0")
    w = second.ingest([{**ant[3], "id": "x3"}])[0]
    assert w.shares_with == ["x1", "x2"] and w.story == x.story
    con = sqlite3.connect(path)
    assert con.execute("SELECT size FROM stories WHERE story = ?", (x.story,)).fetchone()[0] == 3


@pytest.mark.parametrize("command", ["ingest", "serve"])
def test_an_index_file_that_cannot_be_opened_is_one_line(tmp_path: Path, command: str) -> None:
    not_an_index = tmp_path / "notes.txt"
    not_an_index.write_text("not SQLite " * 200, encoding="utf-8")
    (tmp_path / "a.txt").write_text("قال المتحدث إن الاجتماع انتهى دون اتفاق.", encoding="utf-8")
    args = [str(tmp_path / "a.txt")] if command == "ingest" else ["--port", "0"]
    other = tmp_path / "other.db"  # an SQLite file of someone else's: not made an index
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE people (name TEXT)")
    older = tmp_path / "older.db"  # an index of another schema
    with sqlite3.connect(older) as con:
        con.execute("CREATE TABLE articles (k INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, record TEXT NOT NULL)")
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as con:
        con.execute("CREATE TABLE articles (k INTEGER PRIMARY KEY)")
        con.execute("PRAGMA user_version=99")
    before = {db: db.read_bytes() for db in (other, older, newer)}
    for db, why in (
        (not_an_index, " (file is not a database"),
        (tmp_path / "no" / "dir" / "k.db", " (unable to open"),
        (other, ": not a khabar index (its tables: people)"),
        (older, ": an index of another schema (table articles: k, id, record)"),
        (newer, ": an index of schema 99; this khabar reads schema 2"),
    ):
        run = subprocess.run(
            [sys.executable, "-m", "khabar", command, *args, "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
        assert run.stderr.count("\n") == 1 and f"{db}: cannot open the index{why}" in run.stderr, run.stderr
    assert not_an_index.read_text(encoding="utf-8") == "not SQLite " * 200
    assert {db: db.read_bytes() for db in before} == before  # left as they were


def test_an_index_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("قال المتحدث إن الاجتماع انتهى دون اتفاق.", encoding="utf-8")
    db = tmp_path / "k.db"
    Index(db).db.close()
    if os.geteuid() == 0:  # root writes through file modes: only an immutable file stops it
        if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
            pytest.skip("no chattr here: a root process can write any file")
    else:
        db.chmod(0o444)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "khabar", "ingest", str(tmp_path / "a.txt"), "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        subprocess.run(["chattr", "-i", str(db)], capture_output=True)
        db.chmod(0o644)
    assert run.returncode == 2 and run.stderr == f"khabar: {db}: cannot open the index (it cannot be written)\n"
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0


def test_cli_ingest_in_batches_reports_bad_records(tmp_path: Path, ant: list[dict]) -> None:
    src = tmp_path / "in.jsonl"
    docs = [{**a, "id": f"a{n}"} for n, a in enumerate(ant)] + [{**ant[0], "id": "a0"}]  # a repeated id
    src.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    db = tmp_path / "k.db"
    run = subprocess.run(
        [sys.executable, "-m", "khabar", "ingest", str(src), "--db", str(db), "--batch", "3", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "8 articles added" in run.stderr and "1 bad records" in run.stderr and "already indexed" in run.stderr
    one = Index(tmp_path / "one.db")
    for d in docs[:-1]:
        one.ingest([d])
    assert contents(db)[:3] == contents(tmp_path / "one.db")[:3]


def test_ingest_tells_an_outlets_teasers_by_the_leads_of_its_articles_indexed_before(tmp_path: Path) -> None:
    from khabar.scan import scan
    from tests.test_clean import LEAD, PARA, PARA2, _lead_text

    # CNN's page ends with leads of its earlier articles (datelines dropped): the index knows those
    others = [
        {"id": f"o{k}", "text": f"دبي (CNN)-- {_lead_text(k)}\n{_lead_text(k + 50)}", "source": "cnn"} for k in range(4)
    ]
    tail = [_lead_text(1), _lead_text(2), LEAD]
    host = {"id": "host", "text": "\n".join([PARA, PARA2, *tail]), "source": "cnn"}
    elsewhere = {**host, "id": "elsewhere", "source": "bbc"}  # another outlet's leads tell nothing
    docs = [*others, host, elsewhere]
    index = Index(tmp_path / "i.db")
    for d in docs:
        index.ingest([d])
    index.close()
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs))
    batch = scan([str(tmp_path / "in.jsonl")], jobs=1)
    con = sqlite3.connect(tmp_path / "i.db")
    try:
        online = {r[0]: json.loads(r[1])["segments"] for r in con.execute("SELECT id, record FROM articles")}
        assert con.execute("SELECT COUNT(*) FROM template_leads WHERE source = 'cnn'").fetchone()[0] == 5
    finally:
        con.close()
    cut = host["text"].index(tail[0])
    assert {s["kind"] for s in online["host"] if s["start"] >= cut} == {"boilerplate"}
    assert {s["kind"] for s in online["host"] if s["end"] <= cut} == {"body"}
    assert {s["kind"] for s in online["elsewhere"]} == {"body"}
    assert online == {a.id: [s.to_json() for s in a.segments] for a in batch.articles}  # as a scan cleans them
    again = Index(tmp_path / "i.db")  # a new process: the leads are read back from the file
    try:
        again.ingest([{**host, "id": "host2"}])
        record = again.db.execute("SELECT record FROM articles WHERE id = 'host2'").fetchone()[0]
        assert json.loads(record)["segments"] == online["host"]
    finally:
        again.close()
    # an index of a khabar that kept no leads: the table is made when it is opened for writing
    con = sqlite3.connect(tmp_path / "i.db")
    con.execute("DROP TABLE template_leads")
    con.close()
    older = Index(tmp_path / "i.db")
    try:
        older.ingest([{**others[0], "id": "o0-again"}])
        assert older.db.execute("SELECT COUNT(*) FROM template_leads").fetchone()[0] == 1
    finally:
        older.close()
