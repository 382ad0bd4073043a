"""``khabar report out/ -o report.html``: a batch scan's stories as one self-contained HTML file.

The same views as the web UI (story list, story timelines with the first publisher and each member's
originality, side-by-side passages), rendered from the scan's output files with the same escaping
templates; no server, no external assets, links are in-page anchors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from khabar.article import Article, Segment
from khabar.errors import KhabarError
from khabar.fingerprint import article_units
from khabar.index.query import originality
from khabar.results import read_output
from khabar.serve.app import _templates
from khabar.serve.view import highlight
from khabar.stories.show import largest
from khabar.writers import atomic_open


def build_report(out: str | Path, top: int = 200) -> str:
    out = Path(out)
    articles = {a["id"]: a for a in read_output(out, "articles")}
    pairs = read_output(out, "pairs")
    stories = largest(read_output(out, "stories"), top)  # as khabar stories lists them
    by_pair = {(p["a"], p["b"]): p for p in pairs}
    views = []
    for s in stories:
        named = {m["article"] for m in s["members"]} | {p["from"] for p in s["provenance"]}
        unknown = sorted(named - articles.keys())
        if unknown:
            raise KhabarError(f"{out}: story {s['story']} names an article the articles file lacks: {unknown[0]}")
        ids = sorted(
            {m["article"] for m in s["members"]},
            key=lambda i: (articles[i].get("time") is None, articles[i].get("time") or "", i),
        )
        sources: dict[str, set[str]] = {i: set() for i in ids}
        spans: dict[str, list[tuple[int, int]]] = {i: [] for i in ids}
        for p in s["provenance"]:
            sources[p["article"]].add(p["from"])
            spans[p["article"]].append((p["passage"]["start"], p["passage"]["end"]))
        mine = {i: {m["unit"] for m in s["members"] if m["article"] == i} for i in ids}
        members = [
            {
                "article": i,
                "source": articles[i].get("source"),
                "title": articles[i].get("title") or i,
                "time": articles[i].get("time"),
                "first": i == s["first"],
                "originality": _originality(articles[i], mine[i], spans[i]),
                "copies_from": sorted(sources[i]),
            }
            for i in ids
        ]
        compares = []
        for i in ids:
            for j in sorted(sources[i]):
                pair = by_pair.get((j, i)) or by_pair.get((i, j))
                if pair:
                    left, right = articles[pair["a"]], articles[pair["b"]]
                    compares.append({"pair": pair, "left": left, "right": right, **highlight(left, right, pair)})
        views.append({"story": s, "members": members, "compares": compares})
    return _templates().get_template("report.html").render(views=views, n_articles=len(articles), n_pairs=len(pairs))


def _originality(record: dict[str, Any], units: set[str], spans: list[tuple[int, int]]) -> float:
    """The share of the words of an article's ``units`` (in this story) in none of ``spans`` (the
    passages it shares with earlier members): as the service computes it (:func:`query.originality`)."""
    article = Article(id=record["id"], text=record["text"], segments=[Segment(**x) for x in record["segments"]])
    mine = [u for u in article_units(article, 0) if u.key in units]
    if not mine:
        return 1.0
    starts = np.concatenate([u.starts for u in mine])
    ends = np.concatenate([u.ends for u in mine])
    return originality(starts, ends, spans)


def write_report(out: str | Path, path: str | Path, top: int = 200) -> int:
    """Write the report of ``out`` to ``path`` (atomically: never half a page); its size in bytes."""
    data = build_report(out, top).encode("utf-8")
    with atomic_open(path) as fh:
        fh.buffer.write(data)
    return len(data)
