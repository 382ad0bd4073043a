"""The Spark engine at corpus scale: one scan of a corpus by each engine, their four output files compared.

    python bench/speed/spark.py [--corpus bench/work/ant-1of1.jsonl] [--jobs 2]

``khabar scan --engine spark`` (Spark local mode, ``local[*]``, the driver heap khabar chooses) and
``khabar scan --jobs N`` run one after the other on the same JSONL file, each as its own process; the
wall time of each, and whether articles.jsonl, pairs.jsonl, stories.jsonl and errors.jsonl are the
same bytes, are printed and written to ``bench/results/spark.json``.  The benchmark fails (exit
status 1) if a scan fails or a file differs.  Local mode on one machine measures the engine's
overhead, not a cluster's speed: every stage is a Spark job over serialized Python objects.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
FILES = ("articles", "pairs", "stories", "errors")


def _scan(corpus: Path, out: Path, extra: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "khabar", "scan", str(corpus), "--out", str(out), "-q", *extra],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise SystemExit(f"spark.py: khabar scan {' '.join(extra)} failed: {tail}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT / "bench" / "work" / "ant-1of1.jsonl")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "spark.json")
    args = ap.parse_args()
    if not args.corpus.exists():
        raise SystemExit(f"spark.py: {args.corpus} is missing (python bench/speed/run.py writes the ANT subsets)")
    with tempfile.TemporaryDirectory() as tmp:
        spark_out, local_out = Path(tmp) / "spark", Path(tmp) / "local"
        spark_s = _scan(args.corpus, spark_out, ["--engine", "spark"])
        local_s = _scan(args.corpus, local_out, ["--jobs", str(args.jobs)])
        same = {
            name: (spark_out / f"{name}.jsonl").read_bytes() == (local_out / f"{name}.jsonl").read_bytes()
            for name in FILES
        }
        summary = json.loads((spark_out / "summary.json").read_text(encoding="utf-8"))
    result = {
        "corpus": str(args.corpus.relative_to(ROOT) if args.corpus.is_relative_to(ROOT) else args.corpus),
        "articles": summary["articles"],
        "pairs": summary["pairs"],
        "stories": summary["stories"],
        "spark_seconds": round(spark_s, 1),
        "spark_stages": summary["seconds"],
        "local_seconds": round(local_s, 2),
        "local_jobs": args.jobs,
        "same_bytes": same,
        "machine": f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    if not all(same.values()):
        raise SystemExit("spark.py: the engines' outputs differ: " + ", ".join(k for k, v in same.items() if not v))


if __name__ == "__main__":
    main()
