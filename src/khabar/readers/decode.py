"""Bytes to text: BOMs, UTF-8, a declared HTML charset, then Windows-1256."""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.IGNORECASE)
_FALLBACK = "cp1256"  # Windows-1256, the legacy encoding of Arabic web pages


class DecodeError(ValueError):
    pass


def decode(data: bytes, html: bool = False) -> tuple[str, str]:
    """Decode ``data``; returns ``(text, encoding used)``.  Raises DecodeError if nothing fits."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc), enc
    if html:
        m = _META_CHARSET.search(data[:4096])
        if m:
            enc = m.group(1).decode("ascii", "replace").lower()
            try:
                return data.decode(enc), enc
            except (LookupError, UnicodeDecodeError):
                pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        utf8_error = e
    try:
        text = data.decode(_FALLBACK)
    except UnicodeDecodeError:
        raise DecodeError(f"not UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) nor Windows-1256") from None
    if not _plausible_arabic(text):
        raise DecodeError(f"not UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) and not Arabic Windows-1256")
    return text, _FALLBACK


def _plausible_arabic(text: str, min_share: float = 0.7) -> bool:
    """Windows-1256 decodes any bytes; real Arabic text is mostly Arabic letters beyond ASCII."""
    high = [c for c in text[:20000] if ord(c) > 127 and not c.isspace()]
    if not high:
        return False
    return sum(1 for c in high if "\u0600" <= c <= "\u06ff") / len(high) >= min_share
