"""Per-outlet templates: lines that repeat across many articles of the same ``source``.

Learning never crosses outlets: a line shared by two outlets is exactly the syndicated copy khabar
looks for.  Articles with identical text count once, so an outlet filing the same article twice
does not turn it into a template.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from khabar import _text_kernel
from khabar.clean.lexicon import lexicon
from khabar.clean.lines import Line, split_lines, template_key
from khabar.clean.teasers import OutletLines, lead_of, lead_of_lines
from khabar.digest import texts_digest
from khabar.normalize import Normalized
from khabar.words import word_characters

MIN_ARTICLES = 3  # a template line occurs in at least this many distinct articles of an outlet ...
MIN_SHARE = 0.002  # ... and in at least this share of them
PROSE_LINE_WORDS = 12  # a line this long reads like prose: a paragraph an outlet re-ran in a few
PROSE_MIN_ARTICLES = 5  # updates of one story is reuse, not a template, so it needs this support
LONG_LINE_WORDS = 40  # lines longer than this need LONG_LINE_FACTOR times the support
LONG_LINE_FACTOR = 3


def support_needed(n_articles: int, prose: bool, long: bool) -> float:
    """In how many distinct articles of an outlet (of ``n_articles``) a line must occur to be one
    of its templates."""
    return float(support_needed_many(np.array([n_articles]), np.array([prose]), np.array([long]))[0])


def support_needed_many(n_articles: np.ndarray, prose: np.ndarray, long: np.ndarray) -> np.ndarray:
    """:func:`support_needed` of many lines at once (arrays of the same length)."""
    need = np.maximum(float(MIN_ARTICLES), MIN_SHARE * n_articles.astype(np.float64))
    return np.where(long, need * LONG_LINE_FACTOR, np.where(prose, np.maximum(need, PROSE_MIN_ARTICLES), need))


ArticleKeys = tuple[bytes, frozenset[int], frozenset[int], frozenset[int]]
# (text digest, line keys, keys of prose-length lines, keys of long lines)


def line_keys(lines: list[Line]) -> list[int]:
    """The template key of each line (0 for a blank one): what the classifier tests against the
    outlet's templates, computed once when learning needs them too."""
    return [0 if line.blank else template_key(line.norm) for line in lines]


def article_keys(text: str, lines: list[Line] | None = None, keys: list[int] | None = None) -> ArticleKeys:
    """What template learning needs of one article: a digest of its text (articles with identical
    text count once), the keys of its lines, and which of them are long lines (``keys``: the
    lines' :func:`line_keys`, if already computed)."""
    lines = lines if lines is not None else split_lines(text)
    return keys_of_lines(
        text,
        line_keys(lines) if keys is None else keys,
        [line.n_words for line in lines],
        [None if line.blank else line.norm for line in lines],
    )


def learned_lines(text: str, norm: Normalized) -> tuple[list[int], list[int], list[str | None]]:
    """Each line's key, words and normalized content (None when blank) in one compiled pass
    (``_text_kernel.template_lines``): the lines of :func:`split_lines`, as :func:`line_keys` and
    :class:`Line` give them, without the words' arrays or a ``Line`` each."""
    src = np.ascontiguousarray(norm.src, np.int64)
    return _text_kernel.template_lines(text, norm.text, src, word_characters())


def text_digest(text: str) -> bytes:
    """What tells two articles' texts apart: identical texts count once."""
    return texts_digest((text,))


PROSE, LONG = 1, 2  # flags of a counted line: prose-length, long


def counted_lines(keys: Sequence[int], words: Sequence[int], norms: Sequence[str | None]) -> Iterator[tuple[int, int]]:
    """The lines template learning counts (not blank, not a credit line): each one's key and flags
    (:data:`PROSE`, :data:`LONG`), from each line's key, words and normalized content (None: blank)."""
    credit = lexicon().is_credit
    for key, n_words, norm in zip(keys, words, norms, strict=True):
        if norm is None or credit(norm):
            continue
        yield key, line_flags(n_words)


def line_flags(n_words: Any) -> Any:
    """The flags of a counted line of ``n_words`` words (an int, or a numpy array of them)."""
    return (n_words >= PROSE_LINE_WORDS) * PROSE | (n_words > LONG_LINE_WORDS) * LONG


def keys_of_lines(text: str, keys: list[int], words: list[int], norms: list[str | None]) -> ArticleKeys:
    """:func:`article_keys` from each line's key, words and normalized content (None: blank)."""
    found: set[int] = set()
    prose: set[int] = set()
    longs: set[int] = set()
    for key, flags in counted_lines(keys, words, norms):
        found.add(key)
        if flags & PROSE:
            prose.add(key)
        if flags & LONG:
            longs.add(key)
    return text_digest(text), frozenset(found), frozenset(prose), frozenset(longs)


@dataclass(slots=True)
class KeyRows:
    """What template learning needs of a run of articles, as arrays (what a scan's workers send):
    each article's text digest (None for one without an outlet), each of its counted lines once
    (its position in the run, key and flags, ORed over the article's lines with that key), and
    every line's key, article after article (none for an article without an outlet)."""

    digests: list[bytes | None]
    article: np.ndarray  # int64
    keys: np.ndarray  # uint64
    flags: np.ndarray  # uint8
    lines: np.ndarray  # uint64
    line_bounds: np.ndarray  # int64, len(digests) + 1: article k's lines are lines[bounds[k]:bounds[k + 1]]
    leads: np.ndarray  # uint64, each article's lead key (teasers.lead_of; 0: none, or no outlet)

    def line_keys(self) -> list[np.ndarray | None]:
        """Each article's line keys (:func:`line_keys`), None for one without an outlet."""
        b = self.line_bounds.tolist()
        return [None if d is None else self.lines[b[k] : b[k + 1]] for k, d in enumerate(self.digests)]


def key_rows(items: Sequence[tuple[str, list[int], list[int], list[str | None]] | None]) -> KeyRows:
    """:class:`KeyRows` of articles given as ``(text, keys, words, norms)`` of their lines (as
    :func:`learned_lines` gives them), or None for an article without an outlet: the rows of
    :func:`counted_lines` of each article, made with numpy for the whole run (no Python step per
    line but the credit pattern's match)."""
    digests: list[bytes | None] = []
    leads: list[int] = []
    sizes: list[int] = []
    keys: list[int] = []
    words: list[int] = []
    counted: list[bool] = []
    credit = lexicon().is_credit
    for item in items:
        if item is None:
            digests.append(None)
            leads.append(0)
            sizes.append(0)
            continue
        text, line_keys_, n_words, norms = item
        digests.append(text_digest(text))
        leads.append(lead_of(norms, n_words))
        sizes.append(len(line_keys_))
        keys.extend(line_keys_)
        words.extend(n_words)
        counted.extend([norm is not None and not credit(norm) for norm in norms])
    lines = np.array(keys, dtype=np.uint64)
    bounds = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum(sizes, out=bounds[1:])
    take = np.array(counted, dtype=bool)
    article = np.repeat(np.arange(len(items), dtype=np.int64), sizes)[take]
    key = lines[take]
    w = np.array(words, dtype=np.int64)[take]
    flags = line_flags(w)
    # one row per line key of an article, its flags ORed over the article's lines with that key
    order = np.lexsort((key, article))
    article, key, flags = article[order], key[order], flags[order].astype(np.uint8)
    new = np.ones(len(key), dtype=bool)
    new[1:] = (article[1:] != article[:-1]) | (key[1:] != key[:-1])
    first = np.flatnonzero(new)
    return KeyRows(
        digests,
        article[first],
        key[first],
        np.bitwise_or.reduceat(flags, first) if len(first) else flags,
        lines,
        bounds,
        np.array(leads, dtype=np.uint64),
    )


@dataclass
class TemplateLearner:
    """Counts, per outlet, in how many distinct articles each line occurs: one row (outlet, line
    key, flags) per counted line of each article, counted when the templates are asked for."""

    articles: Counter[str] = field(default_factory=Counter)
    _seen: set[tuple[str, bytes]] = field(default_factory=set)
    _ids: dict[str, int] = field(default_factory=dict)  # outlet → its number in the rows
    _rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)  # (outlet, key, flags)
    _leads: dict[str, set[int]] = field(default_factory=dict)  # outlet → its articles' lead keys (teasers)

    def add(self, source: str | None, text: str, lines: list[Line] | None = None) -> None:
        """Count the lines of one article (``lines`` from :func:`split_lines`, if already split)."""
        if source:
            lines = lines if lines is not None else split_lines(text)
            self.add_keys(source, article_keys(text, lines))
            self.add_lead(source, lead_of_lines(lines))

    def add_lead(self, source: str | None, key: int) -> None:
        """Note one article's lead key (:func:`khabar.clean.teasers.lead_of`; 0: it has none)."""
        if source and key:
            self._leads.setdefault(source, set()).add(key)

    def _first(self, source: str, digest: bytes) -> bool:
        """Whether an article of ``source`` with this text digest is new (then it is counted)."""
        if (source, digest) in self._seen:
            return False
        self._seen.add((source, digest))
        self.articles[source] += 1
        self._ids.setdefault(source, len(self._ids))
        return True

    def add_keys(self, source: str | None, keys: ArticleKeys) -> None:
        """Count one article's line keys (from :func:`article_keys`, computed anywhere)."""
        if not source:
            return
        digest, lines, prose, longs = keys
        if not self._first(source, digest):
            return
        found = list(lines)
        flags = [(PROSE if k in prose else 0) | (LONG if k in longs else 0) for k in found]
        self._rows.append(
            (
                np.full(len(found), self._ids[source], dtype=np.int64),
                np.array(found, dtype=np.uint64),
                np.array(flags, dtype=np.uint8),
            )
        )

    def add_rows(self, sources: Sequence[str | None], rows: KeyRows) -> None:
        """Count a run of articles (``sources``: each one's outlet) from their :class:`KeyRows`."""
        if len(sources) != len(rows.digests):
            raise ValueError(f"{len(sources)} outlets for {len(rows.digests)} articles")
        ids = np.full(len(sources), -1, dtype=np.int64)
        for k, (source, digest) in enumerate(zip(sources, rows.digests, strict=True)):
            if source and digest is not None and self._first(source, digest):
                ids[k] = self._ids[source]
        owner = ids[rows.article]
        take = owner >= 0
        self._rows.append((owner[take], rows.keys[take], rows.flags[take]))
        for source, key in zip(sources, rows.leads.tolist(), strict=True):
            self.add_lead(source, key)

    def add_all(self, items: Iterable[tuple[str | None, str]]) -> None:
        for source, text in items:
            self.add(source, text)

    def merge(self, other: TemplateLearner) -> None:
        """Fold in counts learned elsewhere (another worker, an earlier batch)."""
        remap = np.zeros(len(other._ids), dtype=np.int64)
        for source, k in other._ids.items():
            remap[k] = self._ids.setdefault(source, len(self._ids))
        for owner, keys, flags in other._rows:
            self._rows.append((remap[owner], keys, flags))
        self.articles.update(other.articles)
        for source, keys in other._leads.items():
            self._leads.setdefault(source, set()).update(keys)

    def templates(self) -> dict[str, frozenset[int]]:
        """The learned template line keys of each outlet, each set an :class:`OutletLines` that also
        carries the lead keys of the outlet's articles (what tells its teasers)."""
        keys = self._template_keys()
        return {source: OutletLines(keys[source], self._leads.get(source, ())) for source in keys}

    def _template_keys(self) -> dict[str, frozenset[int]]:
        out: dict[str, frozenset[int]] = {source: frozenset() for source in self.articles}
        if not self._rows:
            return out
        owner = np.concatenate([r[0] for r in self._rows])
        keys = np.concatenate([r[1] for r in self._rows])
        flags = np.concatenate([r[2] for r in self._rows])
        order = np.lexsort((keys, owner))
        owner, keys, flags = owner[order], keys[order], flags[order]
        new = np.ones(len(keys), dtype=bool)
        new[1:] = (owner[1:] != owner[:-1]) | (keys[1:] != keys[:-1])
        first = np.flatnonzero(new)  # one group per (outlet, line): its articles and their flags
        if not len(first):
            return out
        n = np.diff(first, append=len(keys))
        f = np.bitwise_or.reduceat(flags, first)
        owner, keys = owner[first], keys[first]
        names = sorted(self._ids, key=self._ids.__getitem__)
        n_articles = np.array([self.articles[name] for name in names], dtype=np.int64)[owner]
        keep = n >= support_needed_many(n_articles, (f & PROSE) > 0, (f & LONG) > 0)
        owner, keys = owner[keep], keys[keep]
        cuts = np.searchsorted(owner, np.arange(len(names) + 1))
        for k, name in enumerate(names):
            if cuts[k + 1] > cuts[k]:
                out[name] = frozenset(keys[cuts[k] : cuts[k + 1]].tolist())
        return out
