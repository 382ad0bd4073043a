"""The story index service: API contract, errors, security, durability under SIGKILL, the web UI."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from khabar.errors import KhabarError
from khabar.serve.app import check_bind, create_app
from tests.conftest import SEED_A, SEED_B

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def seeds() -> list[dict]:
    return [
        {"id": "s0", "text": SEED_A.read_text(encoding="utf-8"), "source": "masdar", "title": "هل تخلت روسيا عن بشار"},
        {
            "id": "s2",
            "text": SEED_B.read_text(encoding="utf-8"),
            "source": "nasikh",
            "published": "2025-01-05T10:00:00+00:00",
        },
    ]


@pytest.fixture()
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(tmp_path / "k.db"))


def test_ingest_answers_story_and_shared_passages(client: TestClient, ant: list[dict]) -> None:
    r = client.post("/api/articles", json=seeds()[0])
    assert r.status_code == 201 and r.json()["shares_with"] == []
    r = client.post("/api/articles", json=[seeds()[1], {**ant[0], "id": "ant0"}])
    assert r.status_code == 201
    s2, ant0 = r.json()
    assert s2["shares_with"] == ["s0"] and s2["story"] == client.get("/api/articles/s0").json()["units"][0]["story"]
    assert s2["units"]["appended:4"] != s2["story"]  # the appended Erdogan article is its own story
    assert ant0["shares_with"] == [] and ant0["story"] != s2["story"]
    (pair,) = client.get("/api/articles/s2/reuse").json()
    assert (pair["a"], pair["b"], pair["relation"]) == ("s0", "s2", "overlap") and pair["passages"]
    story = client.get(f"/api/stories/{s2['story']}").json()
    assert {m["article"] for m in story["members"]} == {"s0", "s2"}
    first = next(m for m in story["members"] if m["first"])
    assert first["article"] == "s2"  # the only dated member is first, never an untimed one
    copier = next(m for m in story["members"] if m["article"] == "s0")
    assert copier["copies_from"] == ["s2"] and 0 < copier["originality"] < 1
    assert client.get("/api/stories", params={"q": "مدير مكتب"}).json()[0]["story"] == s2["story"]
    assert [s["story"] for s in client.get("/api/stories", params={"source": "masdar"}).json()] == [s2["story"]]
    assert client.get("/api/stories", params={"since": "2030-01-01"}).json() == []
    assert client.get("/api/stories", params={"since": "yesterday"}).status_code == 422
    assert client.get("/api/health").json()["articles"] == 3


def test_delete_removes_everything_of_an_article(client: TestClient) -> None:
    client.post("/api/articles", json=seeds())
    assert client.delete("/api/articles/s0").status_code == 200
    assert client.get("/api/articles/s0").status_code == 404
    assert client.get("/api/articles/s2/reuse").json() == []
    assert client.delete("/api/articles/s0").status_code == 404
    assert client.get("/api/health").json()["pairs"] == 0


def test_bad_requests_get_4xx_json_never_500(tmp_path: Path) -> None:
    client = TestClient(create_app(tmp_path / "k.db", max_body=2000))
    cases = [
        (dict(content=b"{not json", headers={"content-type": "application/json"}), 422),
        (dict(content=b"\xff\xfe", headers={"content-type": "application/json"}), 422),
        (dict(content=b"{}", headers={"content-type": "text/plain"}), 415),
        (dict(json={"id": "x"}), 422),  # no text
        (dict(json={"id": "x", "text": 5}), 422),
        (dict(json=[]), 422),
        (dict(json=[1, 2]), 422),
        (dict(json={"id": "x", "text": "ن" * 5000}), 413),
    ]
    for kwargs, status in cases:
        r = client.post("/api/articles", **kwargs)
        assert r.status_code == status, (kwargs, r.text)
        assert "error" in r.json()
    assert client.post("/api/articles", json={"id": "a", "text": "نص قصير للتجربة"}).status_code == 201
    assert client.post("/api/articles", json={"id": "a", "text": "نص آخر"}).status_code == 409
    assert client.get("/api/articles/missing").status_code == 404
    assert client.get("/api/stories/missing").json() == {"error": "no story 'missing'"}
    for limit in ("0", "-5", "501", "x"):
        assert client.get("/api/stories", params={"limit": limit}).status_code == 422, limit
    assert len(client.get("/api/stories", params={"limit": "500"}).json()) == 1


def test_an_id_ending_in_reuse_and_times_beyond_utc_are_served(client: TestClient) -> None:
    text = "قال المتحدث إن الاجتماع انتهى دون اتفاق على موعد جديد للمحادثات بين الطرفين."
    assert client.post("/api/articles", json={"id": "x/reuse", "text": text}).status_code == 201
    assert client.get("/api/articles/x%2Freuse").json()["id"] == "x/reuse"
    assert client.get("/api/articles/x/reuse").json()["id"] == "x/reuse"
    for n, published in enumerate(("0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00")):
        r = client.post("/api/articles", json={"id": f"t{n}", "text": f"{text} {n}", "published": published})
        assert r.status_code == 201, r.text
        story = r.json()["story"]
        assert client.get(f"/api/stories/{story}").status_code == 200
        assert client.get("/api/articles/" + f"t{n}").json()["time"] is None  # no time in UTC: no time
    assert client.get("/api/stories").status_code == 200 and client.get("/").status_code == 200


def test_api_docs_are_served_offline(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    assert "/api/stories/{story_id}" in page.text and "/openapi.json" in page.text
    assert "http" not in page.text.replace("http-equiv", "")  # nothing loaded from elsewhere
    assert client.get("/redoc").status_code == 404


def test_writes_need_the_token_when_one_is_set(tmp_path: Path) -> None:
    client = TestClient(create_app(tmp_path / "k.db", token="sesame"))
    assert client.post("/api/articles", json=seeds()[0]).status_code == 401
    assert client.post("/api/articles", json=seeds()[0], headers={"authorization": "Bearer nope"}).status_code == 401
    ok = client.post("/api/articles", json=seeds()[0], headers={"authorization": "Bearer sesame"})
    assert ok.status_code == 201
    assert client.delete("/api/articles/s0").status_code == 401
    for given in ("Bearer sésame", "Bearer سمسم", "Bearer \u00e9"):  # not ASCII: refused, never a 500
        r = client.delete("/api/articles/s0", headers={"authorization": given.encode("utf-8")})
        assert r.status_code == 401, (given, r.text)
    assert client.get("/api/articles/s0").status_code == 200  # reads stay open
    arabic = TestClient(create_app(tmp_path / "k2.db", token="سمسم"))  # a token in UTF-8, as curl sends it
    assert (
        arabic.post("/api/articles", json=seeds()[0], headers={"authorization": "Bearer سمسم".encode()}).status_code
        == 201
    )
    with pytest.raises(KhabarError, match="without a write token"):
        check_bind("0.0.0.0", None)
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "sesame")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(db: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "khabar", "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError(proc.stderr.read().decode() if proc.stderr else "server did not start")


def test_nothing_acknowledged_is_lost_after_sigkill(tmp_path: Path, ant: list[dict]) -> None:
    db = tmp_path / "k.db"
    port = _free_port()
    proc = _start(db, port)
    acked: list[str] = []
    stop = threading.Event()

    def feed() -> None:
        n = 0
        with httpx.Client(timeout=10) as http:
            while not stop.is_set():
                doc = {**ant[n % len(ant)], "id": f"doc{n}"}
                try:
                    r = http.post(f"http://127.0.0.1:{port}/api/articles", json=doc)
                except httpx.HTTPError:
                    return
                if r.status_code == 201:
                    acked.append(doc["id"])
                n += 1

    thread = threading.Thread(target=feed)
    thread.start()
    deadline = time.monotonic() + 120
    while len(acked) < 15 and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.02)
    assert len(acked) >= 15, "the server stopped acknowledging ingests"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stop.set()
    thread.join()
    proc = _start(db, port)
    try:
        for doc_id in acked:
            assert httpx.get(f"http://127.0.0.1:{port}/api/articles/{doc_id}").status_code == 200, doc_id
    finally:
        proc.kill()
        proc.wait()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # consistent: every article has its units and postings, every unit a story that exists
    assert (
        con.execute(
            "SELECT COUNT(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM units u WHERE u.k = a.k)"
        ).fetchone()[0]
        == 0
    )
    assert (
        con.execute(
            "SELECT COUNT(*) FROM units u WHERE NOT EXISTS (SELECT 1 FROM grams g WHERE g.uid = u.uid)"
        ).fetchone()[0]
        == 0
    )
    assert (
        con.execute("SELECT COUNT(*) FROM units u WHERE u.story NOT IN (SELECT story FROM stories)").fetchone()[0] == 0
    )
    sizes = con.execute(
        "SELECT s.size, (SELECT COUNT(*) FROM units u WHERE u.story = s.story) FROM stories s"
    ).fetchall()
    assert all(a == b for a, b in sizes)


CHROMIUM = "/usr/bin/chromium"


def test_web_ui_in_a_real_browser_escapes_untrusted_text_and_is_rtl(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("browser tests need Debian's chromium (apt-get install chromium); .ci/run installs it")
    db = tmp_path / "k.db"
    port = _free_port()
    proc = _start(db, port)
    base = f"http://127.0.0.1:{port}"
    try:
        evil = {**seeds()[1], "title": XSS, "url": "javascript:alert(2)"}
        for doc in (seeds()[0], evil):
            assert httpx.post(f"{base}/api/articles", json=doc, timeout=30).status_code == 201
        story = httpx.get(f"{base}/api/articles/s0").json()["units"][0]["story"]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 390, "height": 800})  # a phone
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            for path in ("/", f"/stories/{story}", "/articles/s2", "/compare?a=s0&b=s2"):
                page.goto(base + path)
                assert page.evaluate("getComputedStyle(document.body).direction") == "rtl", path
                assert page.locator("html").get_attribute("lang") == "ar"
            assert dialogs == []
            page.goto(f"{base}/articles/s2")
            assert XSS in page.locator("h1").inner_text()  # shown as text, not run
            assert page.locator('a[href^="javascript:"]').count() == 0
            page.goto(f"{base}/stories/{story}")
            assert page.locator("#timeline tr.first").count() == 1
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(f"{base}/compare?a=s0&b=s2")
            marks = page.locator("#sides mark")
            assert marks.count() >= 2
            left, right = page.locator("#sides section").all()
            assert left.locator("mark").first.inner_text().strip() and right.locator("mark").first.inner_text().strip()
            lbox, rbox = left.bounding_box(), right.bounding_box()
            assert lbox and rbox and lbox["x"] > rbox["x"]  # right to left: the first article is on the right
            page.goto(f"{base}/?q=" + "مدير")
            assert page.locator("#stories li").count() >= 1
            browser.close()
    finally:
        proc.kill()
        proc.wait()


def test_a_link_line_inside_a_passage_is_not_highlighted(tmp_path: Path, ant: list[dict]) -> None:
    """A copy that drops the «اقرأ أيضا» line between two paragraphs aligns as one passage whose span
    in the original encloses that line: the line (boilerplate, in no unit) is not shown as shared."""
    import khabar
    from khabar.serve.view import highlight

    paras = [p for p in max(ant, key=lambda a: len(a["text"]))["text"].split("\n") if p.strip()][:6]
    link = "اقرأ أيضا: وزير الخارجية يصل إلى العاصمة في زيارة رسمية"
    docs = [
        {"id": "orig", "text": "\n".join([paras[0], link, *paras[1:]]), "source": "x"},
        {"id": "copy", "text": "\n".join(paras), "source": "y"},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    result = khabar.scan([src], out=tmp_path / "out")
    (pair,) = result.pairs
    left, right = (next(a for a in result.articles if a.id == k).to_json() for k in (pair["a"], pair["b"]))
    side = "a" if pair["a"] == "orig" else "b"
    (p,) = pair["passages"]
    assert p[f"{side}_start"] < docs[0]["text"].index(link) < p[f"{side}_end"]  # the span encloses the line
    runs = highlight(left, right, pair)["left_runs" if side == "a" else "right_runs"]
    shown = "".join(r["text"] for r in runs if r["passage"])
    assert link not in shown and paras[0] in shown and paras[1] in shown
    assert [r["kind"] for r in runs if link in r["text"]] == ["boilerplate"]


def test_report_is_one_self_contained_escaped_html_file(tmp_path: Path) -> None:
    import khabar
    from khabar.serve.report import write_report

    src = tmp_path / "in.jsonl"
    docs = [{**seeds()[0], "title": XSS}, seeds()[1]]
    src.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    khabar.scan([src], out=tmp_path / "out")
    write_report(tmp_path / "out", tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'dir="rtl"' in html and "<script" not in html and "&lt;script&gt;" in html
    assert html.count("<mark") >= 2  # the shared passage, on both sides
    assert "الأول" in html  # the first publisher is marked


def test_originality_counts_every_word_copied_and_deletion_moves_the_story_head(
    client: TestClient, ant: list[dict]
) -> None:
    """C copies A (its first half) and B (its second half): nothing of C is original, though neither
    pair alone covers more than half of it.  Deleting the first publisher makes the next one first."""
    paras = [p for p in max(ant, key=lambda a: len(a["text"]))["text"].split("\n") if p.strip()]
    half = len(paras) // 2
    texts = {"A": paras[:half], "B": paras[half:], "C": paras}
    for n, (aid, ps) in enumerate(texts.items()):
        r = client.post(
            "/api/articles", json={"id": aid, "text": "\n".join(ps), "published": f"2018-03-11T1{n}:00:00+00:00"}
        )
        assert r.status_code == 201, r.text
    sid = r.json()["story"]
    members = {m["article"]: m for m in client.get(f"/api/stories/{sid}").json()["members"]}
    assert set(members) == {"A", "B", "C"}
    assert members["C"]["copies_from"] == ["A", "B"] and members["C"]["originality"] < 0.1
    assert members["A"]["originality"] == 1.0 and members["A"]["first"]
    assert client.delete("/api/articles/A").status_code == 200
    story = client.get(f"/api/stories/{sid}").json()
    assert story["first"] == "B" and story["start"] == "2018-03-11T11:00:00+00:00"
    assert [m["first"] for m in story["members"]] == [True, False]


def test_an_article_without_words_is_a_member_of_its_story_and_leaves_with_it(client: TestClient) -> None:
    r = client.post("/api/articles", json={"id": "p1", "text": "ـــــــ"})
    assert r.status_code == 201
    sid = r.json()["story"]
    assert [m["article"] for m in client.get(f"/api/stories/{sid}").json()["members"]] == ["p1"]
    assert client.delete("/api/articles/p1").status_code == 200
    assert client.get(f"/api/stories/{sid}").status_code == 404
    assert client.get("/api/health").json()["stories"] == 0


def test_headline_search_is_normalized_and_an_older_index_gets_it(tmp_path: Path) -> None:
    text = "قال المتحدث إن الاجتماع انتهى دون اتفاق على موعد جديد للمحادثات بين الطرفين في العاصمة."
    db = tmp_path / "k.db"
    client = TestClient(create_app(db))
    assert (
        client.post(
            "/api/articles", json={"id": "a", "text": text, "title": "الرئيس الأميركي يزور  المنطقة"}
        ).status_code
        == 201
    )

    def found(q: str, c: TestClient = client) -> int:
        return len(c.get("/api/stories", params={"q": q}).json())

    for q in ("الأميركي", "الأمريكي", "الاميركي", "الأمِيرْكي", "الأميـركي", "يزور المنطقة", "يزور   المنطقة"):
        assert found(q) == 1, q
    assert found("الفرنسي") == 0
    # an index written before titles were normalized (schema 1): its stories get them when it is opened
    con = sqlite3.connect(db)
    con.executescript(
        "DROP TRIGGER stories_title_norm_new; DROP TRIGGER stories_title_norm_changed; "
        "ALTER TABLE stories DROP COLUMN title_norm; PRAGMA user_version=1;"
    )
    con.close()
    again = TestClient(create_app(db))
    assert found("الأمريكي", again) == 1
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == 2


def test_a_story_size_counts_articles_not_their_units(client: TestClient, ant: list[dict]) -> None:
    """An article whose body and appended copy both join a story is one article of it (as in a scan)."""
    body, title = ant[0]["text"], ant[0]["title"]
    assert client.post("/api/articles", json={"id": "a", "text": body, "title": title}).status_code == 201
    twice = f"{body}\nاقرأ أيضاً\n{title}\n{body}"
    r = client.post("/api/articles", json={"id": "h", "text": twice, "title": title}).json()
    assert len(set(r["units"].values())) == 1  # every unit of h in a's story
    story = client.get(f"/api/stories/{r['story']}").json()
    assert story["size"] == 2 and len(story["members"]) > 2
    assert client.get("/api/stories").json()[0]["size"] == 2
    assert client.delete("/api/articles/h").status_code == 200
    assert client.get(f"/api/stories/{r['story']}").json()["size"] == 1
