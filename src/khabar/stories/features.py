"""What story similarity looks at: each unit's stemmed terms, weighted by a fixed IDF, and its time.

A unit is an article's body (with its title) or one of its appended articles.  The IDF table ships
with khabar (``data/idf.tsv.gz``, built by ``tools/build_idf.py``) so that the similarity of two
articles never depends on what else was scanned.
"""

from __future__ import annotations

import gzip
import hashlib
import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import numpy as np

from khabar.article import Article
from khabar.normalize import normalize_text
from khabar.stem import stems

TITLE_WEIGHT = 2  # a headline term counts this many times


@dataclass(frozen=True, slots=True)
class IdfTable:
    idf: dict[str, float]
    unknown: float  # IDF of a term the table does not know: rarer than any it knows


@lru_cache(maxsize=1)
def idf_table() -> IdfTable:
    path = resources.files("khabar") / "data" / "idf.tsv.gz"
    idf: dict[str, float] = {}
    documents = 1
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        for line in fh:
            term, value = line.rstrip("\n").split("\t")[:2]
            if term == "#documents":
                documents = int(value)
                continue
            idf[term] = float(value)
    return IdfTable(idf, math.log((documents + 1) / 1) + 1)


class TermVector(NamedTuple):
    """A sparse vector over stems: sorted stable term ids and their weights."""

    ids: np.ndarray  # int64, sorted
    values: np.ndarray  # float64

    def dot(self, other: TermVector) -> float:
        _, i, j = np.intersect1d(self.ids, other.ids, assume_unique=True, return_indices=True)
        return float(np.dot(self.values[i], other.values[j]))


@dataclass(slots=True)
class StoryUnit:
    """One unit of one article, as story clustering sees it."""

    article: int  # index in the scan (ingestion order)
    article_id: str
    key: str  # "body" or "appended:<segment>"
    segments: list[int]
    title: str
    time: datetime | None
    weights: TermVector  # tf-idf stem weights, L2-normalized (headline and text)
    source: str | None = None
    title_weights: TermVector | None = None  # the same over the headline alone

    @property
    def timestamp(self) -> float | None:
        return self.time.timestamp() if self.time else None


def term_id(term: str) -> int:
    """A stable 63-bit id of a stem (the same in every process and on every machine)."""
    return _term(term)[0]


def _term(term: str) -> tuple[int, float]:
    """A stem's id and IDF (cached)."""
    got = _TERMS.get(term)
    if got is None:
        table = idf_table()
        digest = hashlib.blake2b(term.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        got = (int.from_bytes(digest) >> 1, table.idf.get(term, table.unknown))
        if len(_TERMS) < 1_000_000:
            _TERMS[term] = got
    return got


_TERMS: dict[str, tuple[int, float]] = {}


def term_weights(title: str, text: str) -> TermVector:
    """Sub-linear tf × fixed idf over stems of the title (counted twice) and the text, L2-normalized,
    as a sparse vector: sorted term ids and their weights."""
    tf: Counter[str] = Counter(stems(normalize_text(text)))
    for term in stems(normalize_text(title)):
        tf[term] += TITLE_WEIGHT
    get = _TERMS.get
    info = [get(t) or _term(t) for t in tf]
    ids = np.array([i for i, _ in info], dtype=np.int64)
    idf = np.array([x for _, x in info], dtype=np.float64)
    w = (1.0 + np.log(np.fromiter(tf.values(), dtype=np.float64, count=len(tf)))) * idf
    order = np.argsort(ids, kind="stable")
    ids, w = ids[order], w[order]
    norm = math.sqrt(float(np.dot(w, w))) or 1.0
    return TermVector(ids, w / norm)


def _first_line(text: str) -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")


def story_units(article: Article, index: int, time: datetime | None) -> list[StoryUnit]:
    """The article's body unit and its appended units (segments must be set)."""
    out: list[StoryUnit] = []
    for key, segs in article.units().items():
        text = "\n".join(article.text[article.segments[k].start : article.segments[k].end] for k in segs)
        if key == "body":
            title = article.title or _first_line(text)
            unit_time = time
        else:
            title = _first_line(text)
            unit_time = None  # an appended article was published some other time
        out.append(
            StoryUnit(
                index,
                article.id,
                key,
                segs,
                title,
                unit_time,
                term_weights(title, text),
                article.source,
                term_weights(title, ""),
            )
        )
    return out
