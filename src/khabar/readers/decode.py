"""Bytes to text: BOMs, a declared HTML charset, UTF-8, then the two legacy Arabic code pages.

Legacy Arabic pages come in Windows-1256 or ISO-8859-6.  Windows-1256 defines all 256 bytes,
ISO-8859-6 leaves 45 undefined (among them 0xDB-0xDF, where Windows-1256 has غ ـ ف ق ك, and
0xF3-0xFF), so real Windows-1256 Arabic rarely decodes as ISO-8859-6 at all.  When both decode,
the one whose text scores higher as Arabic wins (:func:`arabic_score`: the share of Arabic letters
and of harakat placed on a letter among the non-ASCII letters, marks and control characters;
ISO-8859-6 Arabic read as Windows-1256 turns و ي ه ق into Latin letters such as è ê ç â).  Ties
go to Windows-1256; a winner scoring under 0.7 is not Arabic, and the bytes are an error.

A declared charset is trusted when it decodes the bytes, except for one common mislabel: ISO-8859-6
Arabic declared as Windows-1256 decodes (every byte is defined there) into Arabic with Latin
letters among it; it is read as ISO-8859-6 when that decodes too and scores higher
(:func:`decode_declared`).
"""

from __future__ import annotations

import codecs
import re
import unicodedata

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.IGNORECASE)
#: The legacy Arabic code pages, in order of preference when both fit equally well.
LEGACY = ("cp1256", "iso-8859-6")
#: HTML labels Python does not know, for charsets it does.
_LABELS = {"iso-8859-6-i": "iso-8859-6", "iso-8859-6-e": "iso-8859-6", "x-cp1256": "cp1256"}
_LEGACY_NAMES = tuple(codecs.lookup(x).name for x in LEGACY)  # as codecs names them (cp1256, iso8859-6)
MIN_SCORE = 0.7
#: a declared legacy page scoring at least this is Arabic, if perhaps read with the wrong code page
MISREAD_SCORE = 0.5
_SAMPLE = 20000


class DecodeError(ValueError):
    pass


def decode(data: bytes, html: bool = False) -> tuple[str, str]:
    """Decode ``data``; returns ``(text, encoding used)``.  Raises DecodeError if nothing fits."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as e:
                name = "UTF-8" if enc == "utf-8-sig" else "UTF-16"
                raise DecodeError(
                    f"starts with a {name} BOM but is not {name} ({e.reason} at byte {e.start})"
                ) from None
    if html:
        m = _META_CHARSET.search(data[:4096])
        if m:
            declared = decode_declared(data, m.group(1).decode("ascii", "replace"))
            if declared is not None:
                return declared
            # an unknown or wrong declaration: guess as for an undeclared page
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        utf8_error = f"not UTF-8 ({e.reason} at byte {e.start})"
    best: tuple[float, str, str] | None = None
    for enc in LEGACY:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        score = arabic_score(text)
        if best is None or score > best[0]:
            best = (score, text, enc)
    if best is None or best[0] < MIN_SCORE:
        raise DecodeError(f"{utf8_error} and not Arabic Windows-1256 or ISO-8859-6")
    return best[1], best[2]


def decode_declared(data: bytes, label: str) -> tuple[str, str] | None:
    """``data`` decoded as its declared charset ``label`` says, and the encoding used; None if the
    label is unknown or does not fit.  A page declared in one legacy Arabic code page that reads as
    Arabic in both, but better in the other (ISO-8859-6 declared as Windows-1256), is read in the
    other."""
    enc = label.strip().lower()
    enc = _LABELS.get(enc, enc)
    try:
        text = data.decode(enc)
        name = codecs.lookup(enc).name
    except (LookupError, UnicodeDecodeError):
        return None
    if name not in _LEGACY_NAMES:
        return text, enc
    other = LEGACY[1 - _LEGACY_NAMES.index(name)]
    try:
        other_text = data.decode(other)
    except UnicodeDecodeError:
        return text, enc
    score, other_score = arabic_score(text), arabic_score(other_text)
    if score >= MISREAD_SCORE and other_score >= MIN_SCORE and other_score > score:
        return other_text, other
    return text, enc


def _arabic_letter(o: int) -> bool:
    return 0x0621 <= o <= 0x064A or 0x066E <= o <= 0x06D3


def arabic_score(text: str) -> float:
    """How Arabic a decoded legacy text looks, 0-1 (0 if it has no letters beyond ASCII).

    Counted over the first characters: non-ASCII letters and marks and C1 control characters.
    Arabic letters count for it, and so do harakat (U+064B-0652) placed on a letter; Latin letters,
    stray harakat and control characters count against it.  Punctuation, digits and spaces are
    neutral.
    """
    good = total = 0
    prev_arabic = False
    for c in text[:_SAMPLE]:
        o = ord(c)
        if o < 128:
            prev_arabic = False
            continue
        cat = unicodedata.category(c)
        if cat[0] not in "LM" and cat != "Cc":
            prev_arabic = False
            continue
        total += 1
        if _arabic_letter(o):
            good += 1
            prev_arabic = True
        elif 0x064B <= o <= 0x0652 and prev_arabic:
            good += 1
        else:
            prev_arabic = False
    return good / total if total else 0.0
