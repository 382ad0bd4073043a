"""Arabic normalization: versioned, table-driven, with an offset map back to the original text.

``normalize(text)`` returns a :class:`Normalized` holding the normalized string and, for every
character of it, the index of the original character it came from.  Every rule is a row in one of
the tables below; changing any of them changes :data:`VERSION`, which khabar records in its output
so fingerprints from different versions are never mixed.

What it does (each a table):

* deletes diacritics (harakat, tanween, shadda, sukun, dagger alef), Quranic annotation marks,
  tatweel, zero-width characters, bidi controls and the soft hyphen;
* folds letter variants: أ إ آ ٱ → ا, ى → ي, ة → ه, ؤ ئ → ء, Persian/Urdu ک ی ھ ہ → ك ي ه;
* maps Arabic-Indic and Persian digits to 0-9, Arabic punctuation to ASCII (، → , ؛ → ; ؟ → ?),
  typographic quotes and dashes to ASCII, exotic spaces to a space, ASCII/Latin-1 letters to lower case;
* decomposes presentation forms (U+FB50–FDFF, U+FE70–FEFF) through NFKC, then applies the above;
* composes a letter followed by a combining hamza/madda (U+0653–0655) exactly like its precomposed
  form, so decomposed and precomposed input agree;
* rewrites a few same-length spelling variants inside words (أميركي → امريكي).

Each original character maps to zero, one or (for ligatures) several output characters, so the map
is monotone and every output character points into the original.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from khabar import _text_kernel

VERSION = "1"

# --- tables ---------------------------------------------------------------------------------------

#: Code point ranges (inclusive) that are removed.
DELETE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0610, 0x061A),  # Quranic honorifics and small marks
    (0x061C, 0x061C),  # Arabic letter mark (bidi)
    (0x0640, 0x0640),  # tatweel
    (0x064B, 0x065F),  # harakat, tanween, shadda, sukun, combining hamza/madda, ...
    (0x0670, 0x0670),  # superscript (dagger) alef
    (0x06D6, 0x06DC),  # Quranic annotation signs
    (0x06DF, 0x06E8),
    (0x06EA, 0x06ED),
    (0x08D3, 0x08E1),  # extended Arabic marks
    (0x08E3, 0x08FF),
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x200B, 0x200F),  # zero-width space/non-joiner/joiner, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x2069),  # bidi isolates
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # byte order mark / zero-width no-break space
)

#: One character to one character.
CHAR_MAP: dict[str, str] = {
    # alef forms
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ٲ": "ا",
    "ٳ": "ا",
    "ٵ": "ا",
    # ya / alef maqsura, Persian and Urdu forms
    "ى": "ي",
    "ی": "ي",
    "ې": "ي",
    "ێ": "ي",
    "ۍ": "ي",
    "ے": "ي",
    "ۓ": "ء",
    # ta marbuta and heh forms
    "ة": "ه",
    "ۃ": "ه",
    "ھ": "ه",
    "ہ": "ه",
    "ە": "ه",
    "ۀ": "ه",
    "ۂ": "ه",
    # hamza carriers (مسؤول / مسئول agree)
    "ؤ": "ء",
    "ئ": "ء",
    "ٶ": "ء",
    "ٸ": "ء",
    # kaf forms
    "ک": "ك",
    "ڪ": "ك",
    # punctuation
    "،": ",",
    "؛": ";",
    "؟": "?",
    "٪": "%",
    "٫": ".",
    "٬": ",",
    "۔": ".",
    "؍": "/",
    "«": '"',
    "»": '"',
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "″": '"',
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "―": "-",
    "−": "-",
    "…": ".",
}
CHAR_MAP.update({chr(0x0660 + d): str(d) for d in range(10)})  # Arabic-Indic digits
CHAR_MAP.update({chr(0x06F0 + d): str(d) for d in range(10)})  # Persian digits
CHAR_MAP.update({chr(c): " " for c in (0x00A0, 0x1680, 0x202F, 0x205F, 0x3000, *range(0x2000, 0x200B))})
CHAR_MAP.update({chr(c): chr(c).lower() for c in range(ord("A"), ord("Z") + 1)})
CHAR_MAP.update({chr(c): chr(c).lower() for c in range(0xC0, 0xDF) if c != 0xD7})

#: Code point ranges decomposed with NFKC before the tables above apply.
NFKC_RANGES: tuple[tuple[int, int], ...] = ((0xFB50, 0xFDFF), (0xFE70, 0xFEFF))

#: Same-length spelling variants rewritten inside normalized words: (pattern, replacement).
WORD_VARIANTS: tuple[tuple[str, str], ...] = (
    ("اميرك", "امريك"),  # أميركا / أميركي / الأميركية → امريك…
)

#: Combining marks that compose with the preceding letter (U+0653 madda, U+0654/5 hamza).
COMPOSING_MARKS = (0x0653, 0x0654, 0x0655)

# --- compiled tables ------------------------------------------------------------------------------

_MAX_CP = 0x110000


@dataclass(frozen=True, slots=True)
class _Tables:
    mapped: np.ndarray  # uint32[_MAX_CP]: output code point for 1:1 characters
    delete: np.ndarray  # bool[_MAX_CP]
    special: np.ndarray  # bool[_MAX_CP]: expands to several characters, or composes
    expand: dict[int, str]
    variants: re.Pattern[str] | None
    variant_map: dict[str, str]
    translate: dict[int, int | None]  # the 1:1 and deleting rows, for str.translate
    special_chars: re.Pattern[str]  # any character the 1:1 rows cannot handle


def _fold_char(ch: str, delete: np.ndarray) -> str:
    if delete[ord(ch)]:
        return ""
    return CHAR_MAP.get(ch, ch)


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    mapped = np.arange(_MAX_CP, dtype=np.uint32)
    delete = np.zeros(_MAX_CP, dtype=bool)
    special = np.zeros(_MAX_CP, dtype=bool)
    for lo, hi in DELETE_RANGES:
        delete[lo : hi + 1] = True
    for src, dst in CHAR_MAP.items():
        mapped[ord(src)] = ord(dst)
    expand: dict[int, str] = {}
    for lo, hi in NFKC_RANGES:
        for cp in range(lo, hi + 1):
            if delete[cp]:
                continue
            decomposed = unicodedata.normalize("NFKC", chr(cp))
            if decomposed == chr(cp):
                continue
            folded = "".join(_fold_char(c, delete) for c in decomposed)
            if folded.strip() == "":
                delete[cp] = True
            elif len(folded) == 1:
                mapped[cp] = ord(folded)
            else:
                expand[cp] = folded
                special[cp] = True
    for cp in COMPOSING_MARKS:
        special[cp] = True
    variant_map = dict(WORD_VARIANTS)
    variants = re.compile("|".join(re.escape(k) for k in variant_map)) if variant_map else None
    for k, v in variant_map.items():
        if len(k) != len(v):
            raise ValueError(f"word variant {k!r}→{v!r} must keep the length")
    changed = np.flatnonzero(delete | (mapped != np.arange(_MAX_CP, dtype=np.uint32)) | special)
    translate: dict[int, int | None] = {
        int(cp): None if delete[cp] else int(mapped[cp]) for cp in changed.tolist() if not special[cp]
    }
    cps = np.flatnonzero(special)
    starts = cps[np.flatnonzero(np.diff(cps, prepend=-2) != 1)]
    ends = cps[np.flatnonzero(np.diff(cps, append=_MAX_CP + 2) != 1)]
    ranges = "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in zip(starts, ends, strict=True))
    special_chars = re.compile(f"[{ranges}]")
    return _Tables(mapped, delete, special, expand, variants, variant_map, translate, special_chars)


# --- the normalizer -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalized string and its map back to the original.

    ``src[i]`` is the index in the original text of the character that produced ``text[i]``;
    ``src`` is non-decreasing.  ``original_span(i, j)`` maps a normalized span to the original.
    """

    text: str
    src: np.ndarray  # int64[len(text)]
    original_length: int

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The smallest original span that produced normalized ``text[start:end]``."""
        if end <= start:
            pos = int(self.src[start]) if start < len(self.src) else self.original_length
            return pos, pos
        return int(self.src[start]), int(self.src[end - 1]) + 1


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _from_codepoints(cps: np.ndarray) -> str:
    return cps.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


@lru_cache(maxsize=1)
def _byte_tables() -> tuple[np.ndarray, np.ndarray]:
    t = _tables()
    return t.delete.view(np.uint8), t.special.view(np.uint8)


def normalize(text: str) -> Normalized:
    """Normalize ``text``; see the module docstring for the rules.

    Texts whose every character maps to at most one (the usual case) take a compiled pass
    (``_text_kernel.normalize_simple``) over the same tables; :func:`normalize_reference` is numpy."""
    t = _tables()
    delete, special = _byte_tables()
    fast = _text_kernel.normalize_simple(text, t.mapped, delete, special)
    if fast is not None:
        return _apply_variants(Normalized(fast[0], fast[1], len(text)), t)
    return normalize_reference(text)


def normalize_reference(text: str) -> Normalized:
    """:func:`normalize` with numpy (every text; the reference the compiled pass is tested against)."""
    t = _tables()
    cps = _codepoints(text)
    keep = ~t.delete[cps]
    out = t.mapped[cps]
    specials = np.flatnonzero(t.special[cps])
    if specials.size:
        return _normalize_slow(text, cps, keep, out, specials, t)
    src = np.flatnonzero(keep)
    result = _from_codepoints(out[src])
    return _apply_variants(Normalized(result, src.astype(np.int64), len(text)), t)


def _normalize_slow(
    text: str, cps: np.ndarray, keep: np.ndarray, out: np.ndarray, specials: np.ndarray, t: _Tables
) -> Normalized:
    """Handle characters that expand (ligatures) or compose (letter + combining hamza)."""
    keep = keep.copy()
    out = out.copy()
    expansions: dict[int, str] = {}
    for i in specials.tolist():
        cp = int(cps[i])
        if cp in t.expand:
            expansions[i] = t.expand[cp]
            continue
        # a combining madda/hamza: compose it with the previous kept letter, like NFC does
        keep[i] = False
        j = i - 1
        while j >= 0 and not keep[j] and t.delete[cps[j]]:
            j -= 1
        if j < 0:
            continue
        composed = unicodedata.normalize("NFC", chr(int(cps[j])) + chr(cp))
        if len(composed) == 1:
            out[j] = t.mapped[ord(composed)]
            keep[j] = not t.delete[ord(composed)]
    if not expansions:
        src = np.flatnonzero(keep)
        return _apply_variants(Normalized(_from_codepoints(out[src]), src.astype(np.int64), len(text)), t)
    pieces: list[str] = []
    src_parts: list[np.ndarray] = []
    prev = 0
    for i in sorted(expansions):
        idx = np.flatnonzero(keep[prev:i]) + prev
        pieces.append(_from_codepoints(out[idx]))
        src_parts.append(idx)
        pieces.append(expansions[i])
        src_parts.append(np.full(len(expansions[i]), i, dtype=np.int64))
        prev = i + 1
    idx = np.flatnonzero(keep[prev:]) + prev
    pieces.append(_from_codepoints(out[idx]))
    src_parts.append(idx)
    src = np.concatenate(src_parts).astype(np.int64) if src_parts else np.zeros(0, np.int64)
    return _apply_variants(Normalized("".join(pieces), src, len(text)), t)


def _has_variant(text: str, t: _Tables) -> bool:
    """Whether ``text`` holds a spelling variant (plain substring searches: the variants are literal,
    and most texts hold none)."""
    return any(v in text for v in t.variant_map)


def _apply_variants(norm: Normalized, t: _Tables) -> Normalized:
    if t.variants is None or not _has_variant(norm.text, t):
        return norm
    rewritten = t.variants.sub(lambda m: t.variant_map[m.group(0)], norm.text)
    return Normalized(rewritten, norm.src, norm.original_length)


SHORT_TEXT = 4096  # below this many characters, str.translate beats the numpy path


def normalize_text(text: str) -> str:
    """Just the normalized string (the same as ``normalize(text).text``)."""
    t = _tables()
    if len(text) > SHORT_TEXT or t.special_chars.search(text):
        return normalize(text).text
    out = text.translate(t.translate)
    if t.variants is not None and _has_variant(out, t):
        out = t.variants.sub(lambda m: t.variant_map[m.group(0)], out)
    return out
