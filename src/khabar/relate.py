"""From aligned passages to one pair record: coverage, similarity and the relation.

* ``coverage_a``: share of a's words (its body and any appended article; never boilerplate) inside
  passages shared with b; likewise ``coverage_b``.  A page that only re-runs b as an appended
  article after its own body therefore *contains* b, it is not b's duplicate.
* ``similarity``: share of the words of both articles inside shared passages.
* ``relation``: ``duplicate`` (same body words after normalization), ``near_duplicate`` (each
  covers ≥ 80% of the other), ``contains`` (a covers ≥ 80% of b, not the reverse),
  ``contained_in`` (the reverse), ``overlap`` (otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from khabar.align import Passage

NEAR = 0.8


@dataclass(frozen=True, slots=True)
class UnitPassage:
    a_unit: str
    b_unit: str
    passage: Passage


def _covered(intervals: list[tuple[int, int]]) -> int:
    total, end = 0, -1
    for s, e in sorted(intervals):
        if e <= end:
            continue
        total += e - max(s, end)
        end = e
    return total


def relation(coverage_a: float, coverage_b: float, duplicate: bool) -> str:
    if duplicate:
        return "duplicate"
    if coverage_a >= NEAR and coverage_b >= NEAR:
        return "near_duplicate"
    if coverage_b >= NEAR:
        return "contains"
    if coverage_a >= NEAR:
        return "contained_in"
    return "overlap"


def pair_record(
    a_id: str,
    b_id: str,
    a_sizes: dict[str, int],
    b_sizes: dict[str, int],
    found: Sequence[UnitPassage],
    duplicate: bool,
) -> dict[str, Any]:
    """The pairs.jsonl record; ``*_sizes`` give the word count of each unit of each article."""
    cov: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for f in found:
        cov.setdefault(("a", f.a_unit), []).append((f.passage.a0, f.passage.a1))
        cov.setdefault(("b", f.b_unit), []).append((f.passage.b0, f.passage.b1))
    covered = {k: _covered(v) for k, v in cov.items()}
    words_a, words_b = sum(a_sizes.values()), sum(b_sizes.values())
    covered_a = sum(n for (side, _), n in covered.items() if side == "a")
    covered_b = sum(n for (side, _), n in covered.items() if side == "b")
    coverage_a = covered_a / words_a if words_a else 0.0
    coverage_b = covered_b / words_b if words_b else 0.0
    total = words_a + words_b
    similarity = (covered_a + covered_b) / total if total else 0.0
    passages = [
        {
            "a_start": f.passage.a_start,
            "a_end": f.passage.a_end,
            "b_start": f.passage.b_start,
            "b_end": f.passage.b_end,
            "score": f.passage.score,
            "words": f.passage.matched,
            "a_unit": f.a_unit,
            "b_unit": f.b_unit,
        }
        for f in sorted(found, key=lambda f: (f.passage.a_start, f.passage.b_start))
    ]
    return {
        "a": a_id,
        "b": b_id,
        "relation": relation(coverage_a, coverage_b, duplicate),
        "similarity": round(min(1.0, similarity), 4),
        "coverage_a": round(min(1.0, coverage_a), 4),
        "coverage_b": round(min(1.0, coverage_b), 4),
        "passages": passages,
    }


def same_words(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    return a is not None and b is not None and len(a) > 0 and np.array_equal(a, b)
