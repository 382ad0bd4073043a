"""Text views for the web UI: an article's text cut into runs that are shared (with which passage)
or not, so templates can highlight passages without ever marking up untrusted text themselves."""

from __future__ import annotations

from typing import Any


def runs(text: str, spans: list[tuple[int, int, int]], segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``text`` as runs ``{"text", "passage" (1-based or 0), "kind"}``; ``spans``: (start, end, number).
    A boilerplate line inside a passage's span (a link line between two of its paragraphs) is in no
    unit, so in no passage: its run has passage 0."""
    cuts = {0, len(text)}
    for s, e, _ in spans:
        cuts |= {max(0, min(len(text), s)), max(0, min(len(text), e))}
    for seg in segments:
        cuts |= {seg["start"], seg["end"]}
    points = sorted(cuts)
    out = []
    for lo, hi in zip(points, points[1:], strict=False):
        if lo >= hi:
            continue
        kind = next((seg["kind"] for seg in segments if seg["start"] <= lo < seg["end"]), "body")
        number = 0 if kind == "boilerplate" else next((n for s, e, n in spans if s <= lo and hi <= e), 0)
        out.append({"text": text[lo:hi], "passage": number, "kind": kind})
    return out


def highlight(left: dict[str, Any], right: dict[str, Any], pair: dict[str, Any] | None) -> dict[str, Any]:
    passages = (pair or {}).get("passages", [])
    a = [(p["a_start"], p["a_end"], n) for n, p in enumerate(passages, 1)]
    b = [(p["b_start"], p["b_end"], n) for n, p in enumerate(passages, 1)]
    return {
        "left_runs": runs(left["text"], a, left.get("segments", [])),
        "right_runs": runs(right["text"], b, right.get("segments", [])),
    }
