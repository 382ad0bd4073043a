"""Speed and memory benchmark: the full khabar scan vs the MinHash+LSH pipelines users would run.

On 1/8, 1/4, 1/2 and all of the ANT corpus (the first articles of the file), in one run:

* ``khabar scan --jobs N`` — reading, cleaning, normalization, every reuse pair with its passages,
  and stories, written to disk (a subprocess, like a user runs it);
* datasketch MinHash + LSH (word 5-grams, 128 permutations, threshold 0.5): reading, shingling,
  sketching, indexing and querying for pairs (``baselines.py``);
* rensa (Rust MinHash, same settings).

Each system runs as its own process; wall time, CPU time (user + system) and the peak memory of its
whole process tree are reported (workers included; memory is the sum of proportional set sizes, so
pages shared after fork count once, sampled every 50 ms in a second run of the same command: reading
them is costly enough to slow what is timed), with ratios, and the growth exponent of time in n
(log-log slope between the smallest and the full corpus).  CPU time is the figure to
compare when the machine is shared: wall time then includes waiting for the other work.

    python bench/speed/run.py [--jobs 2] [--corpus ../shared/data/ant/ant-news.jsonl.gz]

With ``--before OLD/src`` an older khabar (e.g. ``git worktree add /tmp/khabar-before <commit>``)
runs in the same rows, right after the current one, so a change is measured under the same load.
``--repeat N`` times every system N times, round-robin, and reports the medians (and every run).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "ant" / "ant-news.jsonl.gz"
FRACTIONS = (8, 4, 2, 1)  # 1/8, 1/4, 1/2, all

BASELINE = """
import sys, time
sys.path.insert(0, {here!r})
from pathlib import Path
from baselines import read_texts, {fn}
docs = list(read_texts(Path({path!r})))
pairs = {fn}(docs, 0.5)
print(len(pairs))
"""


def _pss(p: psutil.Process) -> int:
    """Proportional set size: memory shared by forked workers is counted once, not once per process."""
    try:
        return p.memory_full_info().pss
    except (AttributeError, psutil.AccessDenied):
        return p.memory_info().rss


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(cmd: list[str], env: dict[str, str] | None = None, memory: bool = True) -> tuple[float, float, str, float]:
    """Wall seconds, peak PSS (MB) of the process tree (0 without ``memory``), stdout of ``cmd``, and
    the CPU seconds (user + system) of its whole process tree (workers included: each waits for its
    children)."""
    peak = 0
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    ps = psutil.Process(proc.pid)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            with contextlib.suppress(psutil.Error):
                peak = max(peak, sum(_pss(p) for p in [ps, *ps.children(recursive=True)]))
            time.sleep(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    if memory:
        thread.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    done.set()
    if memory:
        thread.join()
    if proc.returncode:
        sys.exit(f"{' '.join(cmd[:3])} failed: {err.strip()[-500:]}")
    return seconds, peak / 2**20, out, _children_cpu() - cpu0


def run_once(
    cmd: list[str], env: dict[str, str] | None = None, memory: bool = False, out_dir: int | None = None
) -> tuple[float, float, str, float, dict | None]:
    """:func:`measure` of ``cmd`` once (``memory``: sampled in this run), and the run's summary.json
    if ``out_dir`` is the index in ``cmd`` of an output directory (made fresh for the run)."""
    with tempfile.TemporaryDirectory() as tmp:
        if out_dir is not None:
            cmd = [*cmd[:out_dir], tmp, *cmd[out_dir + 1 :]]
        s, mb, out, cpu = measure(cmd, env, memory)
        summary = json.loads((Path(tmp) / "summary.json").read_text(encoding="utf-8")) if out_dir is not None else None
    return s, mb, out, cpu, summary


def subsets(corpus: Path, work: Path) -> dict[int, tuple[Path, int]]:
    """The first 1/f of the corpus for each fraction f, as JSONL files."""
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        lines = fh.readlines()
    out: dict[int, tuple[Path, int]] = {}
    for f in FRACTIONS:
        path = work / f"ant-1of{f}.jsonl"
        n = len(lines) // f
        text = "".join(lines[:n])
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        out[f] = (path, n)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "speed.json")
    ap.add_argument(
        "--before",
        type=Path,
        help="the src/ folder of another khabar checkout (e.g. a git worktree of an older commit): its scan "
        "runs in the same rows as 'khabar_before', so a change is measured against it under the same load",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="time every system this many times, round-robin, and report the medians (with every run's "
        "figures): the machine is shared and one run can be off by a fifth",
    )
    ap.add_argument(
        "--inline-memory",
        action="store_true",
        help="sample memory during the timed run (as figures before the separate memory run were measured: "
        "the sampling slows khabar's many large processes more than the one-process baselines)",
    )
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for f, (path, n) in subsets(args.corpus, args.work).items():
        row: dict[str, object] = {"fraction": f"1/{f}" if f > 1 else "all", "articles": n}
        cmd = [sys.executable, "-m", "khabar", "scan", str(path), "--out", "", "-q", "--jobs", str(args.jobs)]
        out_dir = cmd.index("--out") + 1
        # (name, command, environment, index of its output directory)
        systems: list[tuple[str, list[str], dict[str, str] | None, int | None]] = [("khabar", cmd, None, out_dir)]
        if args.before is not None:
            systems.append(("khabar_before", cmd, dict(os.environ, PYTHONPATH=str(args.before)), out_dir))
        for name, fn in (("datasketch", "datasketch_pairs"), ("rensa", "rensa_pairs")):
            code = BASELINE.format(here=str(HERE), path=str(path), fn=fn)
            systems.append((name, [sys.executable, "-c", code], None, None))
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _, _, _ in systems}
        found: dict[str, object] = {}
        # round-robin: each repeat runs every system once, the older khabar right after the current one,
        # so a burst of load on the shared machine falls on all of them alike
        for _ in range(args.repeat):
            for name, c, env, od in systems:
                s, mb, out, cpu, summary = run_once(c, env, args.inline_memory, od)
                runs[name].append((s, cpu, mb))
                found[name] = summary if summary is not None else {"pairs": int(out.strip())}
        for name, c, env, od in systems:
            seconds = [r[0] for r in runs[name]]
            cpus = [r[1] for r in runs[name]]
            peak = max(r[2] for r in runs[name]) if args.inline_memory else run_once(c, env, True, od)[1]
            entry: dict[str, object] = {
                "seconds": round(statistics.median(seconds), 2),
                "cpu_seconds": round(statistics.median(cpus), 2),
                "peak_mb": round(peak),
                "pairs": found[name]["pairs"],  # type: ignore[index]
            }
            if args.repeat > 1:
                entry["runs_seconds"] = [round(x, 2) for x in seconds]
                entry["runs_cpu_seconds"] = [round(x, 2) for x in cpus]
            row[name] = entry
        row["khabar"]["stages"] = found["khabar"]["seconds"]  # type: ignore[index]
        if args.before is not None:
            row["before_over_khabar"] = round(row["khabar_before"]["seconds"] / row["khabar"]["seconds"], 2)  # type: ignore[index]
        k = row["khabar"]["seconds"]  # type: ignore[index]
        kc = row["khabar"]["cpu_seconds"]  # type: ignore[index]
        row["datasketch_over_khabar"] = round(row["datasketch"]["seconds"] / k, 2)  # type: ignore[index]
        row["rensa_over_khabar"] = round(row["rensa"]["seconds"] / k, 2)  # type: ignore[index]
        row["cpu_datasketch_over_khabar"] = round(row["datasketch"]["cpu_seconds"] / kc, 2)  # type: ignore[index]
        row["cpu_rensa_over_khabar"] = round(row["rensa"]["cpu_seconds"] / kc, 2)  # type: ignore[index]
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    small, full = rows[0], rows[-1]
    growth = {
        name: round(
            math.log(full[name]["seconds"] / small[name]["seconds"])  # type: ignore[index]
            / math.log(full["articles"] / small["articles"]),  # type: ignore[operator]
            2,
        )
        for name in ("khabar", "datasketch", "rensa")
    }
    report = {
        "machine": f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} cores, "
        f"{round(psutil.virtual_memory().total / 2**30)} GiB",
        "jobs": args.jobs,
        "memory": "sampled in the timed run" if args.inline_memory else "sampled in a separate run of each system",
        "repeat": args.repeat,
        "figures": "medians of the repeats" if args.repeat > 1 else "one run",
        "rows": rows,
        "time_growth_exponent": growth,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"machine: {report['machine']}; khabar --jobs {args.jobs}\n")
    print(
        "| corpus | articles | khabar s | datasketch s | rensa s | datasketch/khabar | rensa/khabar "
        "| khabar CPU s | datasketch CPU s | rensa CPU s | khabar peak MB | khabar pairs |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        k, d, e = r["khabar"], r["datasketch"], r["rensa"]
        print(
            f"| {r['fraction']} | {r['articles']} | {k['seconds']} | {d['seconds']} | {e['seconds']} | "  # type: ignore[index]
            f"{r['datasketch_over_khabar']} | {r['rensa_over_khabar']} | {k['cpu_seconds']} | "  # type: ignore[index]
            f"{d['cpu_seconds']} | {e['cpu_seconds']} | {k['peak_mb']} | {k['pairs']} |"  # type: ignore[index]
        )
    print(f"\ntime growth exponent (log-log slope, 1/8 → all): {growth}")
    if args.before is not None:
        print(
            f"\nkhabar before ({args.before}) / khabar now, wall time: "
            + ", ".join(f"{r['fraction']} {r['before_over_khabar']}" for r in rows)
        )


if __name__ == "__main__":
    main()
