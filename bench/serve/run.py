"""Ingest latency of ``khabar serve``: p50/p99 per article and articles/s under concurrent clients.

Fills an index with ``--index-size`` ANT articles (in-process, batches of 200), starts ``khabar serve``
on loopback, and has ``--clients`` concurrent clients POST the next ``--requests`` ANT articles one
at a time, each acknowledged only once committed to disk (SQLite WAL, synchronous=FULL).

    python bench/serve/run.py [--index-size 10000] [--clients 4] [--requests 400]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--index-size", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "serve.json")
    args = ap.parse_args()
    with gzip.open(args.corpus, "rt", encoding="utf-8") as fh:
        docs = [d for d in map(json.loads, fh) if (d.get("text") or "").strip()]
    need = args.index_size + args.requests
    docs = [{**docs[n % len(docs)], "id": f"{docs[n % len(docs)]['id']}#{n // len(docs)}"} for n in range(need)]
    tmp = Path(tempfile.mkdtemp())
    db = tmp / "bench.db"
    index = Index(db)
    t0 = time.perf_counter()
    for lo in range(0, args.index_size, 200):
        index.ingest(docs[lo : min(args.index_size, lo + 200)])
        print(f"\rindexed {min(args.index_size, lo + 200)}", end="", file=sys.stderr)
    load = time.perf_counter() - t0
    index.db.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "khabar", "serve", "--db", str(db), "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{base}/api/health", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    todo = iter(docs[args.index_size :])
    lock = threading.Lock()
    latencies: list[float] = []
    failures = 0

    def client() -> None:
        nonlocal failures
        with httpx.Client(timeout=60) as http:
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
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    proc.terminate()
    proc.wait()
    lat = np.array(latencies) * 1000
    report = {
        "machine": f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} cores",
        "index_size": args.index_size,
        "index_load_seconds": round(load, 1),
        "clients": args.clients,
        "requests": len(latencies),
        "failures": failures,
        "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p99_ms": round(float(np.percentile(lat, 99)), 1),
        "articles_per_second": round(len(latencies) / wall, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print("\n" + json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
