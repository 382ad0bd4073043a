"""A bounded concurrent load test of a real ``khabar serve`` on loopback: hostile requests get 4xx with
a JSON ``{"error": ...}``, valid ones 2xx, never a 5xx, and the server is healthy afterwards."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import httpx

from khabar.serve.app import MAX_BATCH, MAX_BODY
from tests.test_serve import _free_port, _start

THREADS = 6
ROUNDS = 3  # of the whole request mix per thread (about 40 requests a round)
PARA = "قال وزير الخارجية إن المحادثات التي جرت في العاصمة استمرت ساعات طويلة وتناولت ملفات عديدة بينها الأمن."
JSON = {"content-type": "application/json"}


def hostile(t: int, r: int) -> list[tuple[str, str, dict[str, Any], tuple[int, ...]]]:
    """(method, path, httpx arguments, allowed statuses) for thread ``t``, round ``r``."""
    uid = f"t{t}r{r}"
    rng = random.Random(uid)
    text = " ".join(rng.sample(PARA.split(), 10)) + "\n" + PARA
    post = "/api/articles"

    def raw(body: bytes | str, ctype: str | None = "application/json") -> dict[str, Any]:
        return {"content": body.encode() if isinstance(body, str) else body, "headers": {"content-type": ctype or ""}}

    return [
        ("POST", post, {"json": {"id": f"{uid}-ok", "text": text, "source": f"s{t}"}}, (201,)),
        ("POST", post, {"json": [{"id": f"{uid}-b{k}", "text": PARA + str(k)} for k in range(3)]}, (201,)),
        ("POST", post, {"json": {"id": f"{uid}-ok", "text": "نص آخر مختلف تماما"}}, (409,)),
        ("POST", post, raw('{"id": "x", "text": '), (422,)),
        ("POST", post, raw("{not json"), (422,)),
        ("POST", post, raw(b"\xff\xfe\x00{"), (422,)),
        ("POST", post, raw(b"\xef\xbb\xbf{}"), (422,)),
        ("POST", post, raw('{"id": "x", "text": "t", "n": NaN}'), (422,)),
        ("POST", post, raw('{"id": "x", "text": "t", "n": 1e999}'), (422,)),
        ("POST", post, raw('{"id": 1' + "0" * 5000 + ', "text": "t"}'), (422,)),
        ("POST", post, raw("[" * 100_000), (422,)),
        ("POST", post, raw('{"id": "s", "text": "\\ud800 نص"}'), (422,)),
        ("POST", post, raw('"just a string"'), (422,)),
        ("POST", post, raw("null"), (422,)),
        ("POST", post, raw(""), (422,)),
        ("POST", post, raw("{}", "text/plain"), (415,)),
        ("POST", post, raw("{}", None), (415,)),
        ("POST", post, raw("a=1", "application/x-www-form-urlencoded"), (415,)),
        ("POST", post, raw("--x\r\n\r\n--x--", "multipart/form-data; boundary=x"), (415,)),
        ("POST", post, raw(json.dumps({"id": "x", "text": PARA}), "application/json-seq"), (415,)),
        ("POST", post, {"json": {"id": "x", "text": 5}}, (422,)),
        ("POST", post, {"json": {"id": ["x"], "text": PARA}}, (422,)),
        ("POST", post, {"json": {"id": True, "text": PARA}}, (422,)),
        ("POST", post, {"json": {"id": "x", "text": PARA, "title": {"a": 1}}}, (422,)),
        ("POST", post, {"json": {"id": "x", "text": PARA, "published": 2024}}, (422,)),
        ("POST", post, {"json": {"id": "x"}}, (422,)),
        ("POST", post, {"json": {"id": "x", "text": "   "}}, (422,)),
        ("POST", post, {"json": {"id": "x", "html": "<div>" * 100_000 + PARA}}, (422,)),
        ("POST", post, {"json": {"id": "x", "text": "\x00\x01\x02" * 100}}, (422,)),
        ("POST", post, {"json": []}, (422,)),
        ("POST", post, {"json": [1, "a", None]}, (422,)),
        ("POST", post, {"json": [{"id": f"many{k}", "text": "t"} for k in range(MAX_BATCH + 1)]}, (422,)),
        ("PUT", post, {"json": {"id": "x", "text": PARA}}, (405,)),
        ("GET", "/api/stories?limit=abc", {}, (422,)),
        ("GET", "/api/stories?limit=99999999999999999999999", {}, (200, 422)),
        ("GET", "/api/stories?since=yesterday", {}, (422,)),
        ("GET", "/api/stories?since=0001-01-01T00:00:00%2B14:00", {}, (200, 422)),
        ("GET", "/api/stories?q=%25%5C_%27%22%3B--", {}, (200,)),
        ("GET", "/api/articles/%ED%A0%80", {}, (404,)),
        ("GET", "/api/articles/..%2F..%2Fetc%2Fpasswd", {}, (404,)),
        ("GET", "/api/stories/" + "x" * 5000, {}, (404,)),
        ("GET", f"/api/articles/{uid}-ok", {}, (200,)),
        ("GET", f"/api/articles/{uid}-ok/reuse", {}, (200,)),
    ]


def test_concurrent_hostile_requests_never_get_a_5xx(tmp_path: Path) -> None:
    port = _free_port()
    proc = _start(tmp_path / "k.db", port)
    base = f"http://127.0.0.1:{port}"
    replies: list[tuple[str, str, int, Any]] = []
    lock = threading.Lock()

    def client(t: int) -> int:
        created = 0
        with httpx.Client(base_url=base, timeout=60) as http:
            # oversized bodies: one with a Content-Length, one streamed in chunks without
            def chunks() -> Iterator[bytes]:
                yield b"["
                for _ in range(MAX_BODY // 2**20 + 2):
                    yield b" " * 2**20
                yield b"]"

            for content in (b"[" + b" " * (MAX_BODY + 1024) + b"]", chunks()):
                r = http.post("/api/articles", content=content, headers=JSON)
                with lock:
                    replies.append(("POST", "oversized", r.status_code, r.json()))
            for r_ in range(ROUNDS):
                for method, path, kwargs, allowed in hostile(t, r_):
                    resp = http.request(method, path, **kwargs)
                    try:
                        body = resp.json()
                    except ValueError:
                        body = resp.text[:200]
                    with lock:
                        replies.append((method, path[:60], resp.status_code, body))
                    assert resp.status_code in allowed, (method, path[:80], resp.status_code, body)
                    if resp.status_code == 201:
                        created += len(body) if isinstance(body, list) else 1
        return created

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            futures = [pool.submit(client, t) for t in range(THREADS)]
            done, not_done = wait(futures, timeout=600)
            assert not not_done, "the load test did not finish in time"
            created = sum(f.result() for f in futures)
        assert len(replies) == THREADS * (2 + ROUNDS * len(hostile(0, 0)))
        for method, path, status, body in replies:
            assert status < 500, (method, path, status, body)
            if status >= 400:
                assert isinstance(body, dict) and isinstance(body.get("error"), str), (method, path, status, body)
            else:
                assert isinstance(body, dict | list), (method, path, status, body)
        assert [s for _, p, s, _ in replies if p == "oversized"] == [413] * 2 * THREADS
        health = httpx.get(f"{base}/api/health", timeout=30)
        assert health.status_code == 200 and health.json()["articles"] == created == THREADS * ROUNDS * 4
        r = httpx.post(f"{base}/api/articles", json={"id": "after", "text": PARA}, timeout=30)
        assert r.status_code == 201
        # the passages the index found under load have valid offsets into both articles
        texts: dict[str, str] = {}

        def text(article_id: str) -> str:
            if article_id not in texts:
                texts[article_id] = httpx.get(f"{base}/api/articles/{article_id}", timeout=30).json()["text"]
            return texts[article_id]

        checked = 0
        for t in range(THREADS):
            for pair in httpx.get(f"{base}/api/articles/t{t}r0-ok/reuse", timeout=30).json():
                for p in pair["passages"]:
                    assert 0 <= p["a_start"] < p["a_end"] <= len(text(pair["a"]))
                    assert 0 <= p["b_start"] < p["b_end"] <= len(text(pair["b"]))
                    checked += 1
        assert checked > 0
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()
