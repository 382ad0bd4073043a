"""Scores of the reuse benchmark: pairs, passage characters, boilerplate and appended characters.

Character scores ignore whitespace.  Passage F1 is micro-averaged over every pair that is true or
predicted: characters a system marks as shared in a pair that is not a true pair are all false
positives; characters of a true pair it missed are all false negatives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

Pair = tuple[str, str]


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def key(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


@dataclass
class Truth:
    texts: dict[str, str]
    kinds: dict[str, str]  # page → its kind
    pairs: dict[Pair, dict[str, list[tuple[int, int]]]] = field(default_factory=dict)  # pair → page → spans
    boilerplate: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    appended: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    ignore: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # «اقرأ أيضاً» markers


def truth(pages: dict[str, dict], texts: dict[str, str], min_words: int = 8) -> Truth:
    t = Truth(texts, {pid: p["kind"] for pid, p in pages.items()})
    holders: dict[tuple, dict[str, tuple[int, int]]] = defaultdict(dict)  # origin → page → span
    for pid, page in pages.items():
        for a, b, kind, origin in page["spans"]:
            if kind == "body" and origin is not None:
                holders[tuple(origin)][pid] = (a, b)
            elif kind in ("boilerplate", "appended"):
                getattr(t, kind).setdefault(pid, []).append((a, b))
            elif kind == "marker":
                t.ignore.setdefault(pid, []).append((a, b))
    shared: dict[Pair, list[tuple]] = defaultdict(list)
    for origin, where in holders.items():
        for x, y in combinations(sorted(where), 2):
            shared[(x, y)].append(origin)
    for (x, y), origins in shared.items():
        words = sum(
            min(len(texts[x][slice(*holders[o][x])].split()), len(texts[y][slice(*holders[o][y])].split()))
            for o in origins
        )
        if words >= min_words:
            t.pairs[(x, y)] = {x: [holders[o][x] for o in origins], y: [holders[o][y] for o in origins]}
    return t


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> np.ndarray:
    m = np.zeros(len(text), dtype=bool)
    for a, b in spans:
        m[a:b] = True
    return m


_VISIBLE: dict[str, np.ndarray] = {}


def _visible(text: str) -> np.ndarray:
    """Which characters are not whitespace."""
    got = _VISIBLE.get(text)
    if got is None:
        got = _VISIBLE[text] = np.fromiter((not c.isspace() for c in text), dtype=bool, count=len(text))
    return got


def pair_scores(t: Truth, predicted: Iterable[Pair]) -> dict[str, float]:
    pred = set(predicted)
    gold = set(t.pairs)
    return {**prf(len(pred & gold), len(pred - gold), len(gold - pred)), "predicted": len(pred), "true": len(gold)}


def passage_scores(t: Truth, passages: dict[Pair, dict[str, list[tuple[int, int]]]]) -> dict[str, float]:
    tp = fp = fn = 0
    for pair in set(t.pairs) | set(passages):
        for page in pair:
            text = t.texts[page]
            vis = _visible(text)
            g = _mask(text, t.pairs.get(pair, {}).get(page, [])) & vis
            p = _mask(text, passages.get(pair, {}).get(page, [])) & vis
            tp += int((g & p).sum())
            fp += int((p & ~g).sum())
            fn += int((g & ~p).sum())
    return prf(tp, fp, fn)


def segment_scores(t: Truth, kind: str, predicted: dict[str, list[tuple[int, int]]]) -> dict[str, float]:
    tp = fp = fn = 0
    for page, text in t.texts.items():
        vis = _visible(text) & ~_mask(text, t.ignore.get(page, []))
        g = _mask(text, getattr(t, kind).get(page, [])) & vis
        p = _mask(text, predicted.get(page, [])) & vis
        tp += int((g & p).sum())
        fp += int((p & ~g).sum())
        fn += int((g & ~p).sum())
    return prf(tp, fp, fn)


def recall_by_kind(t: Truth, predicted: set[Pair]) -> dict[str, float]:
    """Recall of true pairs, by the kind of copy involved (``copy↔copy`` when neither is the original)."""
    hit: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for x, y in t.pairs:
        kx, ky = t.kinds[x], t.kinds[y]
        kind = ky if kx == "original" else kx if ky == "original" else "copy↔copy"
        hit[kind][0] += (x, y) in predicted
        hit[kind][1] += 1
    return {k: round(h / n, 4) for k, (h, n) in sorted(hit.items())}
