"""The pipelines users would otherwise run: MinHash + LSH over word 5-grams (datasketch, rensa).

Each reads the same JSONL(.gz), splits the text on whitespace, shingles word 5-grams, builds one
128-permutation MinHash per article and finds candidate pairs with LSH at ``threshold``: the
document-level near-duplicate detection of text-dedup pipelines.  No passages, no cleaning.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

NUM_PERM = 128
NGRAM = 5


def read_texts(path: Path, limit: int | None = None) -> Iterator[tuple[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for k, line in enumerate(fh):
            if limit is not None and k >= limit:
                return
            d = json.loads(line)
            yield str(d["id"]), d.get("text") or ""


def shingles(text: str) -> list[str]:
    words = text.split()
    return [" ".join(words[i : i + NGRAM]) for i in range(max(1, len(words) - NGRAM + 1))]


def datasketch_pairs(docs: list[tuple[str, str]], threshold: float) -> set[tuple[str, str]]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    sketches = []
    for doc_id, text in docs:
        m = MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch([s.encode("utf-8") for s in shingles(text)])
        lsh.insert(doc_id, m)
        sketches.append((doc_id, m))
    return _pairs((doc_id, lsh.query(m)) for doc_id, m in sketches)


def rensa_pairs(docs: list[tuple[str, str]], threshold: float) -> set[tuple[str, str]]:
    from rensa import RMinHash, RMinHashLSH

    lsh = RMinHashLSH(threshold=threshold, num_perm=NUM_PERM, num_bands=16)
    sketches = []
    for k, (_, text) in enumerate(docs):
        m = RMinHash(num_perm=NUM_PERM, seed=1)
        m.update(shingles(text))
        lsh.insert(k, m)
        sketches.append(m)
    return _pairs((docs[k][0], [docs[j][0] for j in lsh.query(m)]) for k, m in enumerate(sketches))


def _pairs(found: Iterator[tuple[str, list[str]]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for a, hits in found:
        for b in hits:
            if a != b:
                out.add((a, b) if a < b else (b, a))
    return out
