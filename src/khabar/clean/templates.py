"""Per-outlet templates: lines that repeat across many articles of the same ``source``.

Learning never crosses outlets: a line shared by two outlets is exactly the syndicated copy khabar
looks for.  Articles with identical text count once, so an outlet filing the same article twice
does not turn it into a template.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from khabar import _text_kernel
from khabar.clean.lexicon import lexicon
from khabar.clean.lines import Line, split_lines, template_key
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
    need = max(MIN_ARTICLES, MIN_SHARE * n_articles)
    if long:
        return need * LONG_LINE_FACTOR
    return max(need, PROSE_MIN_ARTICLES) if prose else need


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


def keys_of_lines(text: str, keys: list[int], words: list[int], norms: list[str | None]) -> ArticleKeys:
    """:func:`article_keys` from each line's key, words and normalized content (None: blank)."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    credit = lexicon().is_credit
    found: set[int] = set()
    prose: set[int] = set()
    longs: set[int] = set()
    for key, n_words, norm in zip(keys, words, norms, strict=True):
        if norm is None or credit(norm):
            continue
        found.add(key)
        if n_words >= PROSE_LINE_WORDS:
            prose.add(key)
        if n_words > LONG_LINE_WORDS:
            longs.add(key)
    return digest, frozenset(found), frozenset(prose), frozenset(longs)


@dataclass
class TemplateLearner:
    """Counts, per outlet, in how many distinct articles each line occurs."""

    counts: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    prose_lines: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    long_lines: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    articles: Counter[str] = field(default_factory=Counter)
    _seen: set[tuple[str, bytes]] = field(default_factory=set)

    def add(self, source: str | None, text: str, lines: list[Line] | None = None) -> None:
        """Count the lines of one article (``lines`` from :func:`split_lines`, if already split)."""
        if source:
            self.add_keys(source, article_keys(text, lines))

    def add_keys(self, source: str | None, keys: ArticleKeys) -> None:
        """Count one article's line keys (from :func:`article_keys`, computed anywhere)."""
        if not source:
            return
        digest, lines, prose, longs = keys
        if (source, digest) in self._seen:
            return
        self._seen.add((source, digest))
        self.articles[source] += 1
        self.prose_lines[source] |= prose
        self.long_lines[source] |= longs
        self.counts[source].update(lines)

    def add_all(self, items: Iterable[tuple[str | None, str]]) -> None:
        for source, text in items:
            self.add(source, text)

    def merge(self, other: TemplateLearner) -> None:
        """Fold in counts learned elsewhere (another worker, an earlier batch)."""
        for source, counter in other.counts.items():
            self.counts[source].update(counter)
        for source, keys in other.prose_lines.items():
            self.prose_lines[source] |= keys
        for source, keys in other.long_lines.items():
            self.long_lines[source] |= keys
        self.articles.update(other.articles)

    def templates(self) -> dict[str, frozenset[int]]:
        """The learned template line keys of each outlet."""
        out: dict[str, frozenset[int]] = {}
        for source, counter in self.counts.items():
            n_articles = self.articles[source]
            prose = self.prose_lines.get(source, set())
            longs = self.long_lines.get(source, set())
            need = {(p, g): support_needed(n_articles, p, g) for p in (False, True) for g in (False, True)}
            least = min(need.values())
            out[source] = frozenset(
                key
                for key, n in counter.items()
                if n >= least and n >= need[key in prose, key in longs]  # most lines occur once: cheap test first
            )
        return out
