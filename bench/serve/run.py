"""Ingest latency of ``khabar serve``: p50/p99 per article and articles/s, one client and concurrent clients.

The index holds ``--index-size`` ANT articles: the corpus (31,525 articles) is repeated under new ids
(``<id>#<round>``) as often as needed, so from article 31,525 on every article has exact copies in
the index.  Filling it goes through the bulk path (``Index.ingest`` of batches of ``--fill-batch``
articles, one transaction each: the same index as one article at a time).  The filled index is
cached as ``ant-<size>.db`` in ``--cache`` (outside the repository; default
``/tmp/khabar-bench-serve``) and reused by later runs, which work on a copy of it: delete the cache
after changing how the index is built.  Then ``khabar serve`` is started on 127.0.0.1 and, on the
next articles of the corpus:

* one client POSTs ``--single`` articles one at a time (the latency of an ingest on its own);
* ``--clients`` concurrent clients POST the next ``--requests`` articles one at a time.

Measuring starts once the service has loaded its story windows into memory (``/api/health`` says
``"warm": true``; the time it took is reported).  Every article is acknowledged only once committed
to disk (SQLite WAL, synchronous=FULL).  Writes are serialized (concurrent requests share one
transaction: group commit), so the concurrent latency includes queueing behind the other clients.

    python bench/serve/run.py [--index-size 10000] [--clients 4] [--requests 400] [--single 100]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from khabar.index.ingest import Index

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "ant" / "ant-news.jsonl.gz"


def corpus(path: Path, need: int) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        docs = [d for d in map(json.loads, fh) if (d.get("text") or "").strip()]
    return [{**docs[n % len(docs)], "id": f"{docs[n % len(docs)]['id']}#{n // len(docs)}"} for n in range(need)]


def fill(db: Path, docs: list[dict], batch: int) -> float:
    """Index ``docs`` with the bulk path; seconds taken."""
    index = Index(db)
    t0 = time.perf_counter()
    for lo in range(0, len(docs), batch):
        t = time.perf_counter()
        index.ingest(docs[lo : lo + batch])
        done = min(len(docs), lo + batch)
        ms = 1000 * (time.perf_counter() - t) / (done - lo)
        print(f"indexed {done}: {ms:.1f} ms/article, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - t0
    index.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    index.db.close()
    return seconds


def cached_index(args: argparse.Namespace, docs: list[dict], work: Path) -> tuple[Path, dict]:
    args.cache.mkdir(parents=True, exist_ok=True)
    cached = args.cache / f"ant-{args.index_size}.db"
    meta_path = cached.with_suffix(".json")
    if not cached.exists() or not meta_path.exists():
        part = cached.with_suffix(".partial")
        for p in part.parent.glob(part.name + "*"):
            p.unlink()
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
        seconds = fill(part, docs[: args.index_size], args.fill_batch)
        part.rename(cached)
        meta = {"fill_seconds": round(seconds, 1), "fill_batch": args.fill_batch, "commit": commit.stdout.strip()}
        meta_path.write_text(json.dumps(meta) + "\n", encoding="utf-8")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    db = work / "bench.db"
    shutil.copy(cached, db)
    with open(db, "rb+") as fh:  # written back now, not while the service syncs its commits
        os.fsync(fh.fileno())
    return db, meta


def post_all(base: str, docs: list[dict], clients: int) -> tuple[list[float], int, float]:
    todo = iter(docs)
    lock = threading.Lock()
    latencies: list[float] = []
    failures = 0

    def client() -> None:
        nonlocal failures
        with httpx.Client(timeout=120) as http:
            while True:
                with lock:
                    doc = next(todo, None)
                if doc is None:
                    return
                t = time.perf_counter()
                r = http.post(f"{base}/api/articles", json=doc)
                dt = time.perf_counter() - t
                with lock:
                    latencies.append(dt)
                    failures += r.status_code != 201

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return latencies, failures, time.perf_counter() - t0


def summary(latencies: list[float], failures: int, wall: float) -> dict:
    lat = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "failures": failures,
        "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p99_ms": round(float(np.percentile(lat, 99)), 1),
        "articles_per_second": round(len(latencies) / wall, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--index-size", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--single", type=int, default=100, help="requests of the one-client run")
    ap.add_argument("--fill-batch", type=int, default=1000)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "khabar-bench-serve")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "serve.json")
    args = ap.parse_args()
    docs = corpus(args.corpus, args.index_size + args.single + args.requests)
    work = Path(tempfile.mkdtemp())
    db, meta = cached_index(args, docs, work)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "khabar", "serve", "--db", str(db), "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.perf_counter()
        while time.perf_counter() - started < 600:  # until its story windows are in memory
            try:
                if httpx.get(f"{base}/api/health", timeout=5).json().get("warm"):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        warm = time.perf_counter() - started
        rest = docs[args.index_size :]
        single = summary(*post_all(base, rest[: args.single], 1))
        concurrent = summary(*post_all(base, rest[args.single :], args.clients))
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    report = {
        "machine": f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} cores",
        "index_size": args.index_size,
        "index_load_seconds": meta["fill_seconds"],
        "index_load_articles_per_second": round(args.index_size / meta["fill_seconds"], 1),
        "index_load_batch": meta["fill_batch"],
        "index_built_at_commit": meta.get("commit"),
        "serve_warm_up_seconds": round(warm, 1),
        "clients": args.clients,
        **concurrent,
        "single_client": single,
    }
    old = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    runs = old.get("by_index_size", {})
    runs[str(args.index_size)] = {k: v for k, v in report.items() if k != "machine"}
    report["by_index_size"] = dict(sorted(runs.items(), key=lambda kv: int(kv[0])))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
