"""Reuse units and their fingerprints: hashed words and word n-grams with original offsets.

An article has one ``body`` unit (all its body segments, boilerplate left out, so a copied passage
runs straight across an image caption or a share line) and one unit per ``appended`` segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from khabar import _text_kernel
from khabar.article import Article
from khabar.words import mix64_inplace

_GRAM_MULT = np.uint64(0x9E3779B97F4A7C15)
FINGERPRINT_N = 5  # words per fingerprint n-gram (the candidate index's, computed with the units)


@dataclass(frozen=True, slots=True)
class Unit:
    """The words of one reuse unit of one article."""

    article: int  # index of the article in the scan
    key: str  # "body" or "appended:<segment index>"
    hashes: np.ndarray  # uint64 word hashes
    starts: np.ndarray  # int32 original-text offset where each word starts
    ends: np.ndarray  # int32 original-text offset where each word ends
    ngrams: np.ndarray | None = None  # its FINGERPRINT_N-grams at each position, if computed already

    def __len__(self) -> int:
        return len(self.hashes)

    def grams(self, n: int) -> np.ndarray:
        """:func:`grams` of the unit's words (the ones computed with the unit, when ``n`` is theirs)."""
        if n == FINGERPRINT_N and self.ngrams is not None:
            return self.ngrams
        return grams(self.hashes, n)


def grams(hashes: np.ndarray, n: int) -> np.ndarray:
    """Order-sensitive hashes of every run of ``n`` consecutive words (empty if fewer words);
    compiled (``_text_kernel.pyx``), :func:`grams_reference` is the same with numpy."""
    return _text_kernel.grams(np.ascontiguousarray(hashes, np.uint64), n)


def grams_reference(hashes: np.ndarray, n: int) -> np.ndarray:
    """:func:`grams` with numpy."""
    m = len(hashes) - n + 1
    if m <= 0:
        return np.zeros(0, dtype=np.uint64)
    acc = hashes[:m].astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        for k in range(1, n):
            acc *= _GRAM_MULT
            acc += hashes[k : k + m]
            mix64_inplace(acc)
    return acc


def unit_words(article: Article) -> dict[str, np.ndarray]:
    """The words (indices into the article's view) of each of its units that has any."""
    v = article.text_view()
    if len(v.words) == 0:
        return {}
    segments = article.segments
    if len(segments) == 1 and segments[0].kind == "body":  # most articles: every word is the body's
        return {"body": np.arange(len(v.words), dtype=np.int64)}
    return unit_words_by_segment(article)


def unit_words_by_segment(article: Article) -> dict[str, np.ndarray]:
    """:func:`unit_words` for any segments: each word goes to the unit of the segment it starts in."""
    v = article.text_view()
    if len(v.words) == 0:
        return {}
    units = article.units()
    seg_starts = np.array([s.start for s in article.segments], dtype=np.int64)
    unit_of_seg = np.full(len(seg_starts), -1, dtype=np.int64)  # boilerplate is in no unit
    for u, ids in enumerate(units.values()):
        unit_of_seg[ids] = u
    unit_of_word = unit_of_seg[np.searchsorted(seg_starts, v.word_starts, side="right") - 1]
    out: dict[str, np.ndarray] = {}
    for u, key in enumerate(units):
        idx = np.flatnonzero(unit_of_word == u)
        if idx.size:
            out[key] = idx
    return out


def article_units(article: Article, index: int, word_idx: dict[str, np.ndarray] | None = None) -> list[Unit]:
    """The reuse units of an article whose segments are set (``word_idx``: its :func:`unit_words`,
    if already computed)."""
    v = article.text_view()
    hashes = v.words.hashes
    # TextView.word_starts / word_ends as int32, in one compiled pass
    starts, ends = _text_kernel.word_offsets(
        np.ascontiguousarray(v.norm.src, np.int64),
        np.ascontiguousarray(v.words.starts, np.int64),
        np.ascontiguousarray(v.words.ends, np.int64),
    )
    out = []
    for key, idx in (unit_words(article) if word_idx is None else word_idx).items():
        if len(idx) == len(hashes):  # the unit holds every word (sorted distinct indices): no gather
            h, s, e = hashes, starts, ends
        else:
            h, s, e = hashes[idx], starts[idx], ends[idx]
        out.append(Unit(index, key, h, s, e, grams(h, FINGERPRINT_N)))
    return out
