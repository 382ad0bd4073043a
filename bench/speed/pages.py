"""Reading web pages with ``--jobs`` workers: the time to read a directory of HTML pages (main-content
extraction by trafilatura, the costly part of reading) with one process and with N.

The pages are made from the first ANT articles (each article's paragraphs in an ``<article>``, with a
menu and a footer around them), written under ``bench/work/pages/``.  Both reads must give the same
articles in the same order.

    python bench/speed/pages.py [--pages 2000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import os
import platform
import time
from pathlib import Path

from khabar.scan import read_all

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "ant" / "ant-news.jsonl.gz"

PAGE = """<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{title}</title></head>
<body><nav><a href="/">الرئيسية</a> | <a href="/news">أخبار</a> | <a href="/sport">رياضة</a></nav>
<article><h1>{title}</h1>{paragraphs}</article>
<footer>جميع الحقوق محفوظة</footer></body></html>"""


def write_pages(corpus: Path, out: Path, n: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        for k, line in zip(range(n), fh, strict=False):
            doc = json.loads(line)
            paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in doc["text"].split("\n") if p.strip())
            page = PAGE.format(title=html.escape(doc.get("title") or ""), paragraphs=paragraphs)
            (out / f"{k:06d}.html").write_text(page, encoding="utf-8")


def timed_read(path: Path, jobs: int) -> tuple[float, list[tuple[str, str, str | None]]]:
    t0 = time.perf_counter()
    articles, errors, _ = read_all([str(path)], warn=False, jobs=jobs)
    seconds = time.perf_counter() - t0
    return seconds, [(a.id, a.text, a.title) for a in articles] + [(str(e), "", None) for e in errors]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "pages.json")
    args = ap.parse_args()
    pages = ROOT / "bench" / "work" / "pages"
    if len(list(pages.glob("*.html"))) != args.pages:
        for old in pages.glob("*.html"):
            old.unlink()
        write_pages(args.corpus, pages, args.pages)
    rows = []
    for _ in range(2):  # alternating, so a change in the machine's speed hits both
        one, got_one = timed_read(pages, 1)
        many, got_many = timed_read(pages, args.jobs)
        if got_one != got_many:
            raise SystemExit("reading with workers gave other articles than reading in one process")
        row = {"one_process_s": round(one, 2), f"jobs_{args.jobs}_s": round(many, 2), "speedup": round(one / many, 2)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    result = {
        "pages": args.pages,
        "articles": len(got_one),
        "jobs": args.jobs,
        "runs": rows,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
