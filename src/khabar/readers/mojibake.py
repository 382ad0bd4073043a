"""Mojibake: Arabic UTF-8 that was decoded with a Latin code page somewhere upstream («Ø§Ù„Ø®Ø¨Ø±»).

Such text is reported, not indexed: its words would match nothing, silently.
"""

from __future__ import annotations

_LATIN_PAGES = ("cp1252", "latin-1")
_SAMPLE = 4000


def _arabic_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(1 for c in letters if "\u0600" <= c <= "\u06ff") / len(letters) if letters else 0.0


def mojibake(text: str) -> str | None:
    """A one-line description if ``text`` is Arabic UTF-8 mis-decoded as a Latin code page, else None."""
    sample = text[:_SAMPLE]
    if not any(c in sample for c in "ØÙÚÛ") or _arabic_share(sample) > 0.3:
        return None
    for page in _LATIN_PAGES:
        # undefined bytes may already be U+FFFD, and the sample may end inside a character: tolerate both
        fixed = sample.encode(page, errors="replace").decode("utf-8", errors="replace")
        if _arabic_share(fixed) >= 0.5:
            snippet = " ".join(fixed.split())[:30]
            return f"mojibake: UTF-8 Arabic decoded as {page} (it reads «{snippet}»); fix the producer's encoding"
    return None
