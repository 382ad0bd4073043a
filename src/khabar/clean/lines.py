"""Split a text into lines with offsets, and the per-line features the classifier uses."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from khabar import _text_kernel
from khabar.normalize import Normalized
from khabar.words import TextView, view

_DIGITS = re.compile(r"\d+")


@dataclass(slots=True)
class Line:
    """One line of a text: ``[start, end)`` includes its line break."""

    start: int
    end: int
    norm: str  # normalized, stripped content
    n_words: int
    kind: str = "body"  # body | boilerplate | appended | blank
    rule: str = ""  # why it got its kind

    @property
    def blank(self) -> bool:
        return self.kind == "blank"


def split_lines(text: str, v: TextView | None = None) -> list[Line]:
    """Lines of ``text`` (any line break); blank lines get kind ``blank``.

    Uses the text's normalized view (normalizing once, not line by line).
    """
    v = v or view(text)
    return lines_of(text, v.norm, v.words.starts)


def lines_of(text: str, norm: Normalized, word_starts: np.ndarray) -> list[Line]:
    """:func:`split_lines` from the normalized text and where its words start (no word hashes needed);
    compiled (``_text_kernel.lines``), :func:`lines_of_reference` is the same in Python."""
    src = np.ascontiguousarray(norm.src, np.int64)
    return _text_kernel.lines(text, norm.text, src, np.ascontiguousarray(word_starts, np.int64), Line)


def lines_of_reference(text: str, norm: Normalized, word_starts: np.ndarray) -> list[Line]:
    """:func:`lines_of` with numpy and ``str.splitlines``."""
    bounds = [0]
    for raw in text.splitlines(keepends=True):
        bounds.append(bounds[-1] + len(raw))
    if len(bounds) == 1:
        return []
    b = np.array(bounds, dtype=np.int64)
    nb = np.searchsorted(norm.src, b, side="left")  # line bounds in the normalized text
    wb = np.searchsorted(word_starts, nb, side="left")  # first word at/after each bound
    ntext = norm.text
    out: list[Line] = []
    for k in range(len(b) - 1):
        norm = ntext[nb[k] : nb[k + 1]].strip()
        line = Line(int(b[k]), int(b[k + 1]), norm, int(wb[k + 1] - wb[k]))
        if not norm:
            line.kind, line.rule = "blank", "blank"
        out.append(line)
    return out


def template_key(norm_line: str) -> int:
    """A stable key for a line as an outlet template: numbers are wildcards.  The 64-bit BLAKE2b of
    the canonical form, all compiled (``_text_kernel.template_key``); :func:`template_key_reference`
    is the same with ``hashlib``.  Keys are stored in the serve index: they must never change."""
    return _text_kernel.template_key(norm_line)


def template_key_reference(norm_line: str) -> int:
    """:func:`template_key` in plain Python."""
    canon = template_canon_reference(norm_line)
    return int.from_bytes(hashlib.blake2b(canon.encode("utf-8"), digest_size=8).digest(), "little")


def template_canon_reference(norm_line: str) -> str:
    """The line with every number as ``0`` and its spaces collapsed, in plain Python."""
    return " ".join(_DIGITS.sub("0", norm_line).split())
