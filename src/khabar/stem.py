"""A light Arabic stemmer for story similarity (not for reuse: reuse compares exact words).

Light stemming in the manner of Larkey et al.'s *light10*: strip one conjunction/preposition prefix
(و ف ب ك ل), the article (ال, لل), then the commonest inflectional suffixes, keeping at least three
letters.  Input is *normalized* text (see :mod:`khabar.normalize`: ة→ه, ى→ي, أ→ا already folded),
so the tables below are written in normalized spelling.
"""

from __future__ import annotations

import re
from functools import lru_cache

from khabar import _text_kernel

VERSION = "1"

ARTICLE_PREFIXES = ("وبال", "وكال", "وال", "بال", "كال", "فال", "لل", "ال")
SINGLE_PREFIXES = ("و", "ف", "ب", "ل", "ك")
SUFFIXES = (
    "هما",
    "كما",
    "تين",
    "تان",
    "ات",
    "ون",
    "ين",
    "ان",
    "ها",
    "هم",
    "هن",
    "كم",
    "كن",
    "نا",
    "يه",
    "يا",
    "ه",
    "ي",
)
MIN_STEM = 3

#: Function words (normalized spelling) left out of story similarity.
STOPWORDS = frozenset(
    """
    في من علي الي عن مع ان او ام ثم حتي اذا اذ لو لم لن لا ما ماذا هل قد كان كانت يكون تكون ليس هذا هذه ذلك
    تلك هناك هنا هو هي هم هن انه انها الذي التي الذين اللذين اللتين اللواتي كل بعض غير بين عند منذ خلال بعد قبل
    حيث كما لكن بل اي ايضا وقد وكان وكانت وهو وهي وفي ومن وان واضاف وقال قال اضاف اكد وذكر ذكر واوضح اوضح
    عليه عليها اليه اليها منه منها فيه فيها به بها له لها لهم عام يوم امس اليوم
    """.split()
)

_WORD = re.compile(r"[^\W_]+")


def _by_char(affixes: tuple[str, ...], at: int) -> dict[str, tuple[str, ...]]:
    """The affixes grouped by their first (``at=0``) or last (``at=-1``) letter, in table order: only
    those can match a word with that letter there, and the first that matches still wins."""
    return {c: tuple(a for a in affixes if a[at] == c) for c in {a[at] for a in affixes}}


_PREFIXES_BY_FIRST = _by_char(ARTICLE_PREFIXES, 0)
_SUFFIXES_BY_LAST = _by_char(SUFFIXES, -1)


STEMMER = _text_kernel.Stemmer(ARTICLE_PREFIXES, SINGLE_PREFIXES, SUFFIXES, MIN_STEM)  # compiled; also term ids


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The light stem of one normalized word; digits and Latin words come back unchanged (compiled:
    ``_text_kernel.Stemmer``; :func:`stem_reference` is the same in Python)."""
    return STEMMER.stem(word)


def stem_reference(word: str) -> str:
    """:func:`stem` in plain Python."""
    if not word or not ("\u0621" <= word[0] <= "\u064a"):
        return word
    w = word
    for p in _PREFIXES_BY_FIRST.get(w[0], ()):
        if w.startswith(p) and len(w) - len(p) >= MIN_STEM - 1:
            w = w[len(p) :]
            break
    else:
        if len(w) > MIN_STEM + 1 and w[0] in SINGLE_PREFIXES:
            w = w[1:]
    for s in _SUFFIXES_BY_LAST.get(w[-1], ()) if w else ():
        if w.endswith(s) and len(w) - len(s) >= MIN_STEM:
            w = w[: -len(s)]
            break
    return w


_CACHE: dict[str, str] = {}  # word → stem (a corpus has far fewer distinct words than words)
_CACHE_LIMIT = 2_000_000


def _cached_stem(w: str) -> str:
    got = _CACHE.get(w)
    if got is None:
        got = stem(w)
        if len(_CACHE) < _CACHE_LIMIT:
            _CACHE[w] = got
    return got


def stems(normalized_text: str, drop_stopwords: bool = True) -> list[str]:
    """Stems of the words of a normalized text (function words left out)."""
    words = _WORD.findall(normalized_text)
    if drop_stopwords:
        words = [w for w in words if w not in STOPWORDS]
    get = _CACHE.get
    return [get(w) or _cached_stem(w) for w in words]
