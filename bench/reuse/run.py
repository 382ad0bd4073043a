"""Reuse benchmark: khabar vs the MinHash + LSH pipelines users would otherwise run, same corpus, same run.

Builds a corpus from real ANT articles with known truth (see ``make.py``), runs ``khabar scan`` on it,
and datasketch MinHash+LSH (word 5-grams, 128 permutations, thresholds 0.5 and 0.8) and rensa (0.5)
on the same pages; reports pair precision/recall/F1, passage character F1, boilerplate and appended
character F1, and pair recall by kind of copy (``score.py``).

    python bench/reuse/run.py [--n 500] [--seed 7] [--corpus ../shared/data/ant/ant-news.jsonl.gz]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path[:0] = [str(HERE), str(ROOT / "bench" / "speed")]

from baselines import datasketch_pairs, rensa_pairs  # noqa: E402
from make import build, write  # noqa: E402
from score import pair_scores, passage_scores, recall_by_kind, segment_scores, truth  # noqa: E402

import khabar  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "ant" / "ant-news.jsonl.gz"


def run_khabar(corpus: Path, out: Path) -> dict:
    t0 = time.perf_counter()
    result = khabar.scan([corpus], out=out, jobs=None)
    seconds = time.perf_counter() - t0
    passages: dict = defaultdict(lambda: defaultdict(list))
    pairs = set()
    for p in result.pairs:
        k = (p["a"], p["b"]) if p["a"] < p["b"] else (p["b"], p["a"])
        pairs.add(k)
        for x in p["passages"]:
            passages[k][p["a"]].append((x["a_start"], x["a_end"]))
            passages[k][p["b"]].append((x["b_start"], x["b_end"]))
    segs: dict[str, dict[str, list]] = {"boilerplate": defaultdict(list), "appended": defaultdict(list)}
    for a in result.articles:
        for s in a.segments:
            if s.kind in segs:
                segs[s.kind][a.id].append((s.start, s.end))
    return {"pairs": pairs, "passages": passages, "segments": segs, "seconds": seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--n", type=int, default=500, help="source articles (pages: about 3.5 times as many)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "reuse")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "reuse.json")
    args = ap.parse_args()

    pages = build(args.corpus, args.n, args.seed)
    corpus = args.work / "corpus.jsonl"
    truth_pages = write(pages, corpus)
    texts = {p["id"]: p["text"] for p in map(json.loads, corpus.read_text(encoding="utf-8").splitlines())}
    t = truth(truth_pages, texts)
    kinds = defaultdict(int)
    for p in pages:
        kinds[p.kind] += 1

    k = run_khabar(corpus, args.work / "out")
    results: dict[str, dict] = {
        "khabar": {
            "pairs": pair_scores(t, k["pairs"]),
            "passage_chars": passage_scores(t, k["passages"]),
            "boilerplate_chars": segment_scores(t, "boilerplate", k["segments"]["boilerplate"]),
            "appended_chars": segment_scores(t, "appended", k["segments"]["appended"]),
            "recall_by_kind": recall_by_kind(t, k["pairs"]),
            "seconds": round(k["seconds"], 2),
        }
    }
    docs = list(texts.items())
    for name, fn, th in (
        ("datasketch@0.5", datasketch_pairs, 0.5),
        ("datasketch@0.8", datasketch_pairs, 0.8),
        ("rensa@0.5", rensa_pairs, 0.5),
    ):
        t0 = time.perf_counter()
        found = fn(docs, th)
        results[name] = {
            "pairs": pair_scores(t, found),
            "passage_chars": None,  # document-level: no passages
            "boilerplate_chars": None,
            "appended_chars": None,
            "recall_by_kind": recall_by_kind(t, found),
            "seconds": round(time.perf_counter() - t0, 2),
        }
    report = {
        "machine": f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} cores",
        "seed": args.seed,
        "sources": args.n,
        "pages": len(pages),
        "pages_by_kind": dict(sorted(kinds.items())),
        "true_pairs": len(t.pairs),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(pages)} pages from {args.n} ANT sources ({len(t.pairs)} true pairs), seed {args.seed}\n")
    print("| system | pair P | pair R | pair F1 | passage F1 | boilerplate F1 | appended F1 | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():

        def f1(x: dict | None) -> str:
            return f"{x['f1']:.3f}" if x else "—"

        pr = r["pairs"]
        print(
            f"| {name} | {pr['precision']:.3f} | {pr['recall']:.3f} | {pr['f1']:.3f} | {f1(r['passage_chars'])} | "
            f"{f1(r['boilerplate_chars'])} | {f1(r['appended_chars'])} | {r['seconds']} |"
        )
    print("\npair recall by kind of copy:")
    kinds_all = sorted(results["khabar"]["recall_by_kind"])
    print("| kind | " + " | ".join(results) + " |")
    print("|---" * (len(results) + 1) + "|")
    for kind in kinds_all:
        print(f"| {kind} | " + " | ".join(f"{r['recall_by_kind'].get(kind, 0):.3f}" for r in results.values()) + " |")


if __name__ == "__main__":
    main()
