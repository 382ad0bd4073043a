"""From aligned passages to one pair record: coverage, similarity and the relation.

* ``coverage_a``: share of a's words (its body and any appended article; never boilerplate) inside
  passages shared with b; likewise ``coverage_b``.  A page that only re-runs b as an appended
  article after its own body therefore *contains* b, it is not b's duplicate.
* ``similarity``: share of the words of both articles inside shared passages.
* ``relation``: ``duplicate`` (same body words after normalization), ``near_duplicate`` (each
  covers ≥ 80% of the other), ``contains`` (a covers ≥ 80% of b, not the reverse),
  ``contained_in`` (the reverse), ``overlap`` (otherwise: some passage shared), ``none`` (no
  passage shared: only ``compare`` reports such a pair, a scan's pairs.jsonl never holds one).
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


def covered_words(found: Sequence[UnitPassage]) -> tuple[int, int]:
    """How many words of a, and of b, the passages ``found`` cover (overlaps counted once per unit)."""
    on_a: dict[str, list[tuple[int, int]]] = {}
    on_b: dict[str, list[tuple[int, int]]] = {}
    for f in found:
        p = f.passage
        on_a.setdefault(f.a_unit, []).append((p.a0, p.a1))
        on_b.setdefault(f.b_unit, []).append((p.b0, p.b1))
    return sum(map(_covered, on_a.values())), sum(map(_covered, on_b.values()))


RELATIONS = ("duplicate", "near_duplicate", "contains", "contained_in", "overlap")  # of a pair that shares a passage


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
    if len(found) == 1:  # three pairs in four: one passage, its own coverage
        p = found[0].passage
        covered_a, covered_b = p.a1 - p.a0, p.b1 - p.b0
    else:
        covered_a, covered_b = covered_words(found)
        found = sorted(found, key=lambda f: (f.passage.a_start, f.passage.b_start))
    words_a, words_b = sum(a_sizes.values()), sum(b_sizes.values())
    coverage_a = covered_a / words_a if words_a else 0.0
    coverage_b = covered_b / words_b if words_b else 0.0
    total = words_a + words_b
    similarity = (covered_a + covered_b) / total if total else 0.0
    passages = []
    for f in found:
        p = f.passage
        passages.append(
            {
                "a_start": p.a_start,
                "a_end": p.a_end,
                "b_start": p.b_start,
                "b_end": p.b_end,
                "score": p.score,
                "words": p.matched,
                "a_unit": f.a_unit,
                "b_unit": f.b_unit,
            }
        )
    return {
        "a": a_id,
        "b": b_id,
        "relation": relation(coverage_a, coverage_b, duplicate) if found or duplicate else "none",
        "similarity": round(min(1.0, similarity), 4),
        "coverage_a": round(min(1.0, coverage_a), 4),
        "coverage_b": round(min(1.0, coverage_b), 4),
        "passages": passages,
    }


def same_words(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    return a is not None and b is not None and len(a) > 0 and np.array_equal(a, b)
