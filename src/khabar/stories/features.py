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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any, NamedTuple

import numpy as np

from khabar import _text_kernel
from khabar.article import Article
from khabar.fingerprint import unit_words
from khabar.normalize import Normalized, normalize, normalize_text
from khabar.stem import STEMMER, STOPWORDS, stem, stems
from khabar.stories import _features_kernel
from khabar.words import TextView
from khabar.words import words as split_words

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
    _timestamp: float | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._timestamp = self.time.timestamp() if self.time else None  # sorted on many times

    @property
    def timestamp(self) -> float | None:
        return self._timestamp


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
        if len(_TERMS) < _TERMS_LIMIT:
            _TERMS[term] = got
    return got


_TERMS: dict[str, tuple[int, float]] = {}
_TERMS_LIMIT = 1_000_000  # stems cached at most (bounded memory)


def _rows(terms: Counter[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    get = _TERMS.get
    info = [get(t) or _term(t) for t in terms]
    return (
        np.array([i for i, _ in info], dtype=np.int64),
        np.array([x for _, x in info], dtype=np.float64),
        np.fromiter(terms.values(), dtype=np.float64, count=len(terms)),
    )


def term_weights(title: str, text: str) -> TermVector:
    """Sub-linear tf × fixed idf over stems of the title (counted twice) and the text, L2-normalized,
    as a sparse vector: sorted term ids and their weights."""
    tf: Counter[str] = Counter(stems(normalize_text(text)))
    for term in stems(normalize_text(title)):
        tf[term] += TITLE_WEIGHT
    tids, idfs, counts = _rows(tf)
    return _vectors(np.zeros(len(tids), dtype=np.int64), tids, idfs, counts, 1)[0]


class _WordTerms:
    """Word hash → its stem's term id and IDF (-1 for a function word), for every word seen so far
    in this process: sorted numpy arrays looked up in one vectorized search per unit, with words
    not seen before computed from their string and folded in from time to time."""

    def __init__(self) -> None:
        self.hashes = np.zeros(0, dtype=np.uint64)
        self.tids = np.zeros(0, dtype=np.int64)
        self.idfs = np.zeros(0, dtype=np.float64)
        self.pending: dict[int, tuple[int, float]] = {}

    def lookup(self, uniq: np.ndarray, words: Callable[[np.ndarray], list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Term ids and IDFs of the sorted distinct word hashes ``uniq`` (``words(js)``: the strings
        of ``uniq[js]``)."""
        pos = np.minimum(np.searchsorted(self.hashes, uniq), max(0, len(self.hashes) - 1))
        if len(self.hashes):
            hit = self.hashes[pos] == uniq
            tids, idfs = self.tids[pos], self.idfs[pos]
        else:
            hit = np.zeros(len(uniq), dtype=bool)
            tids, idfs = np.zeros(len(uniq), dtype=np.int64), np.zeros(len(uniq), dtype=np.float64)
        misses = np.flatnonzero(~hit)
        if misses.size:
            tids, idfs = tids.copy(), idfs.copy()
            pending = self.pending
            new = [h for h in uniq[misses].tolist() if h not in pending]
            if new:
                fresh = misses[np.isin(uniq[misses], np.array(new, dtype=np.uint64))]
                for h, w in zip(new, words(fresh), strict=True):
                    pending[h] = (-1, 0.0) if w in STOPWORDS else _term(stem(w))
            got = [pending[h] for h in uniq[misses].tolist()]
            tids[misses] = [t for t, _ in got]
            idfs[misses] = [x for _, x in got]
            if len(self.pending) > max(4096, len(self.hashes) // 4):
                self._fold()
        return tids, idfs

    def _fold(self) -> None:
        if len(self.hashes) + len(self.pending) > 4_000_000:  # bounded memory: start afresh
            self.__init__()
            return
        keys = np.fromiter(self.pending, dtype=np.uint64, count=len(self.pending))
        vals = list(self.pending.values())
        hashes = np.concatenate([self.hashes, keys])
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        self.tids = np.concatenate([self.tids, np.array([t for t, _ in vals], dtype=np.int64)])[order]
        self.idfs = np.concatenate([self.idfs, np.array([x for _, x in vals], dtype=np.float64)])[order]
        self.pending = {}


_WORD_TERMS = _WordTerms()


def _vectors(unit: np.ndarray, tids: np.ndarray, idfs: np.ndarray, counts: np.ndarray, n: int) -> list[TermVector]:
    """The tf-idf vectors of ``n`` units, from rows (unit, term id, idf, count): sub-linear tf (counts
    summed per unit and term) × idf, L2-normalized, sorted by term id."""
    order = np.lexsort((tids, unit))
    unit, tids, idfs, counts = unit[order], tids[order], idfs[order], counts[order]
    new = np.ones(len(tids), dtype=bool)
    new[1:] = (unit[1:] != unit[:-1]) | (tids[1:] != tids[:-1])
    first = np.flatnonzero(new)  # one row per (unit, term)
    tf = np.add.reduceat(counts, first) if len(first) else np.zeros(0)
    return _normalized(tids[first], tf, idfs[first], np.searchsorted(unit[first], np.arange(n + 1)), n)


def _headline_view(headline: str) -> tuple[TextView, np.ndarray]:
    """A headline's normalized words, as :func:`_text_rows` takes them (all its words)."""
    norm = Normalized(normalize_text(headline), _NO_SRC, len(headline))
    w = split_words(norm)
    return TextView(norm, w), np.arange(len(w))


_NO_SRC = np.zeros(0, np.int64)  # a headline's words need no offsets into the original


def _headline_views(headlines: list[str]) -> list[tuple[TextView, np.ndarray]]:
    """:func:`_headline_view` of each headline, all in one view: the headlines joined by line breaks
    and normalized at once (no word runs across a line break), each headline's words a range of the
    view's words (found through the normalizer's offsets).  :func:`_headline_views_reference`
    normalizes them one by one: the same words."""
    joined = normalize("\n".join(headlines))
    norm = Normalized(joined.text, _NO_SRC, len(joined.text))
    w = split_words(norm)
    v = TextView(norm, w)
    starts = np.zeros(len(headlines) + 1, dtype=np.int64)
    np.cumsum([len(h) + 1 for h in headlines], out=starts[1:])
    first = np.searchsorted(w.starts, np.searchsorted(joined.src, starts)).tolist()  # each one's first word
    return [(v, np.arange(first[k], first[k + 1], dtype=np.int64)) for k in range(len(headlines))]


def _headline_views_reference(headlines: list[str]) -> list[tuple[TextView, np.ndarray]]:
    """:func:`_headline_views` with each headline normalized on its own."""
    texts = [normalize_text(h) for h in headlines]
    joined = "\n".join(texts)
    norm = Normalized(joined, _NO_SRC, len(joined))
    w = split_words(norm)
    v = TextView(norm, w)
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) + 1 for t in texts], out=starts[1:])
    first = np.searchsorted(w.starts, starts).tolist()  # each headline's first word
    return [(v, np.arange(first[k], first[k + 1], dtype=np.int64)) for k in range(len(texts))]


def _first_line(text: str) -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")


def story_units(article: Article, index: int, time: datetime | None) -> list[StoryUnit]:
    """The article's body unit and its appended units (segments must be set)."""
    return story_units_of([(article, index, time)])[0]


def story_units_of(
    items: Sequence[tuple[Article, int, datetime | None]], word_idx: Sequence[dict[str, np.ndarray]] | None = None
) -> list[list[StoryUnit]]:
    """:func:`story_units` of many ``(article, index, time)`` at once: the words of all their units
    are looked up and counted in one compiled call (``_features_kernel``); the same vectors as
    :func:`story_units_of_reference`, bit for bit.  ``word_idx``: each article's
    ``fingerprint.unit_words``, if already computed."""
    units, owners, text_words, headlines = _units(items, word_idx)
    n = len(units)
    heads_words = _headline_views(headlines)
    text, text_bounds = _concat_words(text_words)
    title, title_bounds = _concat_words(heads_words)
    _learn_words(text, text_bounds, text_words)
    _learn_words(title, title_bounds, heads_words)
    both, alone = _features_kernel.unit_terms(_TABLE, text, text_bounds, title, title_bounds, float(TITLE_WEIGHT))
    return _assemble(items, units, owners, _normalized(*both, n), _normalized(*alone, n))


def story_units_of_reference(
    items: Sequence[tuple[Article, int, datetime | None]], word_idx: Sequence[dict[str, np.ndarray]] | None = None
) -> list[list[StoryUnit]]:
    """:func:`story_units_of` in numpy (sorting and ``np.unique`` instead of a hash table)."""
    units, owners, text_words, headlines = _units(items, word_idx)
    n = len(units)
    t_unit, t_tids, t_idfs, t_counts = _text_rows([_headline_view(h) for h in headlines])
    t_counts = t_counts * TITLE_WEIGHT
    w_unit, w_tids, w_idfs, w_counts = _text_rows(text_words)
    texts = _vectors(
        np.concatenate([w_unit, t_unit]),
        np.concatenate([w_tids, t_tids.astype(np.int64)]),
        np.concatenate([w_idfs, t_idfs]),
        np.concatenate([w_counts, t_counts]),
        n,
    )
    heads = _vectors(t_unit, t_tids.astype(np.int64), t_idfs, t_counts, n)
    return _assemble(items, units, owners, texts, heads)


def _units(
    items: Sequence[tuple[Article, int, datetime | None]], word_idx: Sequence[dict[str, np.ndarray]] | None
) -> tuple[list[StoryUnit], list[int], list[tuple[TextView, np.ndarray]], list[str]]:
    """The story units of ``items`` (weights not yet set), the position in ``items`` of each, its
    text words (view, word indices) and its headline."""
    units: list[StoryUnit] = []
    owners: list[int] = []  # position in items of each unit
    text_words: list[tuple[TextView, np.ndarray]] = []
    headlines: list[str] = []
    empty = np.zeros(0, dtype=np.int64)
    empty_vector = TermVector(empty, np.zeros(0))
    for pos, (article, index, time) in enumerate(items):
        v = article.text_view()
        words_of = unit_words(article) if word_idx is None else word_idx[pos]
        for key, segs in article.units().items():
            if key == "body":
                headline = article.title or _first_line(_unit_text(article, segs))
                unit_time = time
            else:
                headline = _first_line(_unit_text(article, segs))
                unit_time = None  # an appended article was published some other time
            units.append(
                StoryUnit(index, article.id, key, segs, headline, unit_time, empty_vector, article.source, empty_vector)
            )
            owners.append(pos)
            text_words.append((v, words_of.get(key, empty)))
            headlines.append(headline)
    return units, owners, text_words, headlines


def _assemble(
    items: Sequence[Any], units: list[StoryUnit], owners: list[int], texts: list[TermVector], heads: list[TermVector]
) -> list[list[StoryUnit]]:
    out: list[list[StoryUnit]] = [[] for _ in items]
    for u, pos, text, head in zip(units, owners, texts, heads, strict=True):
        u.weights, u.title_weights = text, head
        out[pos].append(u)
    return out


_TABLE = _features_kernel.TermTable()  # word hash → (term id, IDF) of every word seen in this process
_TABLE_LIMIT = 4_000_000  # bounded memory: start afresh beyond this many words


def _concat_words(text_words: list[tuple[TextView, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The word hashes of all units end to end, and where each unit's start (``n + 1`` bounds)."""
    bounds = np.zeros(len(text_words) + 1, dtype=np.int64)
    np.cumsum([len(idx) for _, idx in text_words], out=bounds[1:])
    if not bounds[-1]:
        return np.zeros(0, dtype=np.uint64), bounds
    return np.concatenate([v.words.hashes[idx] for v, idx in text_words]).astype(np.uint64, copy=False), bounds


def _learn_words(hashes: np.ndarray, bounds: np.ndarray, text_words: list[tuple[TextView, np.ndarray]]) -> None:
    """Put the words of ``hashes`` that :data:`_TABLE` lacks into it: each one's stem's term id and
    IDF (stems and their ids computed from the unit's view in C, ``_text_kernel.Stemmer.term_ids``;
    :func:`_word_terms_reference` gives the same values).  The function words (term id -1) are put
    in first, whenever the table is empty, so none is ever among the words it lacks."""
    if not len(_TABLE):
        _add_function_words()
    miss = _TABLE.missing(hashes)
    if not miss.size:
        return
    if len(_TABLE) + miss.size > _TABLE_LIMIT:
        _TABLE.clear()
        _add_function_words()
        miss = _TABLE.missing(hashes)
    uniq, first = np.unique(hashes[miss], return_index=True)
    positions = miss[first]  # each missing word's first occurrence: none is a function word
    order = np.argsort(positions, kind="stable")  # by unit, for the kernel
    owner = np.searchsorted(bounds, positions[order], side="right") - 1
    local = positions[order] - bounds[owner]
    tids, idfs = np.empty(len(uniq), np.int64), np.empty(len(uniq), np.float64)
    tids[order] = STEMMER.term_ids(
        [v.norm.text for v, _ in text_words],
        [v.words.starts for v, _ in text_words],
        [v.words.ends for v, _ in text_words],
        [np.ascontiguousarray(idx, np.int64) for _, idx in text_words],
        owner,
        local,
    )
    idfs[order] = _idfs_of(tids[order])
    _TABLE.insert(uniq, tids, idfs)


def _add_function_words() -> None:
    """Put the function words in :data:`_TABLE` (term id -1, IDF 0), as :func:`_learn_words` would
    when it first met each: then it never meets one, and need not look for them among new words."""
    sw = _stopword_hashes()
    _TABLE.insert(sw, np.full(len(sw), -1, np.int64), np.zeros(len(sw), np.float64))


def warm() -> None:
    """Load the tables story features need (the IDF table, by term id, the function words' hashes)
    in this process: workers forked afterwards share them instead of each loading its own."""
    idf_table()
    _idf_by_id()
    _stopword_hashes()


@lru_cache(maxsize=1)
def _stopword_hashes() -> np.ndarray:
    """The word hashes of the function words (a word's hash is that of its letters wherever it is)."""
    text = " ".join(sorted(STOPWORDS))
    w = split_words(Normalized(text, _NO_SRC, len(text)))
    if len(w) != len(STOPWORDS):
        raise ValueError("a function word is not one word")
    return np.sort(w.hashes.astype(np.uint64))


@lru_cache(maxsize=1)
def _idf_by_id() -> tuple[np.ndarray, np.ndarray]:
    """The IDF table by term id: sorted ids and their IDFs."""
    table = idf_table()
    ids = _text_kernel.term_ids(list(table.idf))
    values = np.fromiter(table.idf.values(), dtype=np.float64, count=len(table.idf))
    order = np.argsort(ids, kind="stable")
    return ids[order], values[order]


def _idfs_of(tids: np.ndarray) -> np.ndarray:
    """The IDF of each term id (the table's ``unknown`` for a term it does not hold)."""
    ids, values = _idf_by_id()
    if not len(ids):
        return np.full(len(tids), idf_table().unknown)
    pos = np.minimum(np.searchsorted(ids, tids), len(ids) - 1)
    return np.where(ids[pos] == tids, values[pos], idf_table().unknown)


def _word_terms_reference(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The term ids and IDFs of ``words`` as :func:`_learn_words` puts them in the table, in Python."""
    content = [i for i, w in enumerate(words) if w not in STOPWORDS]
    tids = np.full(len(words), -1, dtype=np.int64)
    idfs = np.zeros(len(words), dtype=np.float64)
    ids, values = _terms([stem(words[i]) for i in content])
    tids[content] = ids
    idfs[content] = values
    return tids, idfs


def _terms(terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_term` of many stems: ids of the ones not cached yet computed in one compiled call."""
    got = [_TERMS.get(t) for t in terms]
    new = [k for k, g in enumerate(got) if g is None]
    if new:
        table = idf_table()
        fresh = [terms[k] for k in new]
        for k, t, i in zip(new, fresh, _text_kernel.term_ids(fresh).tolist(), strict=True):
            g = (i, table.idf.get(t, table.unknown))
            got[k] = g
            if len(_TERMS) < _TERMS_LIMIT:
                _TERMS[t] = g
    return (
        np.array([g[0] for g in got], dtype=np.int64),  # type: ignore[index]
        np.array([g[1] for g in got], dtype=np.float64),  # type: ignore[index]
    )


def _normalized(ids: np.ndarray, tf: np.ndarray, idf: np.ndarray, bounds: np.ndarray, n: int) -> list[TermVector]:
    """Sub-linear tf × idf, L2-normalized per unit (unit ``k``'s terms are ``bounds[k]:bounds[k + 1]``;
    its squares summed in order, one vectorized pass for all units)."""
    w = (1.0 + np.log(tf)) * idf
    sizes = np.diff(bounds)
    norms = np.sqrt(np.bincount(np.repeat(np.arange(n), sizes), weights=w * w, minlength=n))
    norms[norms == 0.0] = 1.0
    values = w / np.repeat(norms, sizes)
    b = bounds.tolist()
    return [TermVector(ids[b[k] : b[k + 1]], values[b[k] : b[k + 1]]) for k in range(n)]


def _text_rows(text_words: list[tuple[TextView, np.ndarray]]) -> tuple[np.ndarray, ...]:
    """Rows (unit, term id, idf, count) of the words of each unit (function words left out):
    :func:`stems` over the same words, with each distinct word stemmed once."""
    sizes = [len(idx) for _, idx in text_words]
    if not sum(sizes):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    hashes = np.concatenate([v.words.hashes[idx] for v, idx in text_words])
    unit = np.repeat(np.arange(len(text_words)), sizes)
    uniq, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)

    def words(js: np.ndarray) -> list[str]:
        at = first[js]  # where each of these words first occurs
        starts = np.concatenate([v.words.starts[idx] for v, idx in text_words])[at]
        ends = np.concatenate([v.words.ends[idx] for v, idx in text_words])[at]
        texts = [v.norm.text for v, _ in text_words]
        return [texts[k][s:e] for k, s, e in zip(unit[at].tolist(), starts.tolist(), ends.tolist(), strict=True)]

    tids, idfs = _WORD_TERMS.lookup(uniq, words)
    # count each (unit, distinct word) once, then keep the words that are terms
    key = unit.astype(np.int64) * len(uniq) + inverse.reshape(-1)
    pairs, counts = np.unique(key, return_counts=True)
    unit_of, word_of = pairs // len(uniq), pairs % len(uniq)
    keep = tids[word_of] >= 0
    word_of = word_of[keep]
    return unit_of[keep], tids[word_of], idfs[word_of], counts[keep].astype(np.float64)


def _unit_text(article: Article, segs: list[int]) -> str:
    return "\n".join(article.text[article.segments[k].start : article.segments[k].end] for k in segs)
