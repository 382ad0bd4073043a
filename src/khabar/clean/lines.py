"""Split a text into lines with offsets, and the per-line features the classifier uses."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from khabar.normalize import normalize_text

_WORD = re.compile(r"[^\W_]+")
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


def split_lines(text: str) -> list[Line]:
    """Lines of ``text`` (any line break); blank lines get kind ``blank``."""
    out: list[Line] = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        norm = normalize_text(raw).strip()
        n_words = len(_WORD.findall(norm))
        line = Line(pos, pos + len(raw), norm, n_words)
        if not norm:
            line.kind, line.rule = "blank", "blank"
        pos += len(raw)
        out.append(line)
    return out


def template_key(norm_line: str) -> int:
    """A stable key for a line as an outlet template: numbers are wildcards."""
    canon = " ".join(_DIGITS.sub("0", norm_line).split())
    return int.from_bytes(hashlib.blake2b(canon.encode("utf-8"), digest_size=8).digest(), "little")
