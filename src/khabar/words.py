"""Words of a normalized text, with stable 64-bit hashes and offsets (compiled; numpy reference).

A word is a maximal run of letters and digits (Unicode categories L* and N*) of the normalized
text.  Hashes are a polynomial hash of the code points, mixed with splitmix64: stable across
processes and machines (unlike Python's ``hash``), so local and distributed engines agree.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from khabar import _text_kernel
from khabar.normalize import Normalized, _codepoints, normalize

_P = np.uint64(0x100000001B3)  # odd, so invertible modulo 2**64
_P_INV = np.uint64(pow(int(_P), -1, 2**64))
_WORD_CP_LIMIT = 0x30000  # beyond this (rare planes) nothing counts as a word character


@lru_cache(maxsize=1)
def _word_table() -> np.ndarray:
    table = np.zeros(0x110000, dtype=bool)
    for cp in range(_WORD_CP_LIMIT):
        cat = unicodedata.category(chr(cp))
        if cat[0] in "LN":
            table[cp] = True
    return table


class _Powers:
    """Grow-on-demand tables of P**k and P**-k modulo 2**64."""

    def __init__(self) -> None:
        self.pw = np.ones(1, dtype=np.uint64)
        self.inv = np.ones(1, dtype=np.uint64)

    def get(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if n > len(self.pw):
            size = max(n, 2 * len(self.pw), 4096)
            with np.errstate(over="ignore"):
                self.pw = np.cumprod(np.concatenate([[np.uint64(1)], np.full(size - 1, _P)]))
                self.inv = np.cumprod(np.concatenate([[np.uint64(1)], np.full(size - 1, _P_INV)]))
        return self.pw[:n], self.inv[:n]


_POWERS = _Powers()


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer, vectorized (uint64 in, uint64 out)."""
    return mix64_inplace(x.astype(np.uint64, copy=True))


_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def mix64_inplace(x: np.ndarray) -> np.ndarray:
    """:func:`mix64` of a uint64 array, overwriting it (one scratch array, no other allocations)."""
    tmp = np.empty_like(x)
    with np.errstate(over="ignore"):
        np.right_shift(x, _S30, out=tmp)
        x ^= tmp
        x *= _M1
        np.right_shift(x, _S27, out=tmp)
        x ^= tmp
        x *= _M2
        np.right_shift(x, _S31, out=tmp)
        x ^= tmp
    return x


@dataclass(frozen=True, slots=True)
class Words:
    """The words of a normalized text: ``starts``/``ends`` index the normalized text."""

    starts: np.ndarray  # int64
    ends: np.ndarray  # int64
    hashes: np.ndarray  # uint64

    def __len__(self) -> int:
        return len(self.starts)


@lru_cache(maxsize=1)
def _word_bytes() -> np.ndarray:
    return _word_table()[:_WORD_CP_LIMIT].view(np.uint8)


def word_characters() -> np.ndarray:
    """Which code points are word characters (1) below the compiled kernels' table limit: what
    :func:`words` splits on, for kernels that count words themselves."""
    return _word_bytes()


def _bounds(cps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    isw = _word_table()[cps]
    edges = np.diff(np.concatenate([[False], isw, [False]]).astype(np.int8))
    return np.flatnonzero(edges == 1).astype(np.int64), np.flatnonzero(edges == -1).astype(np.int64)


def word_bounds(norm: Normalized) -> tuple[np.ndarray, np.ndarray]:
    """Where the words of a normalized text start and end (the words of :func:`words`, unhashed)."""
    starts, ends, _ = _text_kernel.words(norm.text, _word_bytes(), False)
    return starts, ends


def words(norm: Normalized) -> Words:
    """Split a normalized text into words and hash each one (compiled: ``_text_kernel.pyx``)."""
    return Words(*_text_kernel.words(norm.text, _word_bytes(), True))


def words_reference(norm: Normalized) -> Words:
    """:func:`words` with numpy: the reference the compiled one is tested against."""
    cps = _codepoints(norm.text)
    n = len(cps)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Words(empty, empty, np.zeros(0, dtype=np.uint64))
    starts, ends = _bounds(cps)
    pw, inv = _POWERS.get(n + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum((cps.astype(np.uint64) + np.uint64(1)) * pw[:n], out=prefix[1:])
        raw = (prefix[ends] - prefix[starts]) * inv[starts]
    return Words(starts, ends, mix64_inplace(raw))


def word_strings(norm: Normalized, w: Words) -> list[str]:
    """The words as strings (for display and debugging, not the hot path)."""
    return [norm.text[s:e] for s, e in zip(w.starts.tolist(), w.ends.tolist(), strict=True)]


@dataclass(frozen=True, slots=True)
class TextView:
    """A text's normalized form and words, computed once and shared by cleaning and fingerprinting."""

    norm: Normalized
    words: Words

    @property
    def word_starts(self) -> np.ndarray:
        """Original-text offset where each word starts."""
        return self.norm.src[self.words.starts]

    @property
    def word_ends(self) -> np.ndarray:
        """Original-text offset where each word ends."""
        return self.norm.src[self.words.ends - 1] + 1


def view(text: str) -> TextView:
    norm = normalize(text)
    return TextView(norm, words(norm))
