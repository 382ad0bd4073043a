"""Read a scan's stories back (``out/stories.jsonl`` or ``.parquet``) and describe the largest ones."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from khabar.results import read_output


def largest(stories: Iterable[dict[str, Any]], top: int, min_size: int = 2) -> list[dict[str, Any]]:
    """The ``top`` largest of stories.jsonl records of at least ``min_size`` articles: by number of
    articles, then outlets, then start time."""
    kept = [s for s in stories if s["size"] >= min_size]
    kept.sort(key=lambda s: (-s["size"], -len(s["sources"]), s["start"] or "9999", s["story"]))
    return kept[:top]


def largest_stories(out: str | Path, top: int = 20, min_size: int = 2) -> list[dict[str, Any]]:
    """The ``top`` largest stories of a scan (by number of articles, then outlets, then start time),
    each with ``first_source``: the outlet of its first publisher."""
    out = Path(out)
    stories = largest(read_output(out, "stories"), top, min_size)
    wanted = {s["first"] for s in stories}
    source = {a["id"]: a.get("source") for a in read_output(out, "articles") if a["id"] in wanted}
    for s in stories:
        s["first_source"] = source.get(s["first"])
    return stories


def _span(start: str | None, end: str | None) -> str:
    if not start:
        return "no dates"
    a, b = start[:16].replace("T", " "), (end or start)[:16].replace("T", " ")
    return a if a == b else f"{a} → {b}"


def describe(story: dict[str, Any]) -> str:
    """Two lines: size and headline; outlets, first publisher and time span."""
    first = story["first"] + (f" ({story['first_source']})" if story.get("first_source") else "")
    outlets = ", ".join(story["sources"]) or "—"
    wires = f"   wires: {', '.join(story['wires'])}" if story.get("wires") else ""
    return (
        f"[{story['size']} articles] {story['title']}\n"
        f"    outlets: {outlets}   first: {first}   {_span(story['start'], story['end'])}{wires}"
    )
