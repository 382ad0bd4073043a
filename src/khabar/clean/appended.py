"""Find unrelated articles glued after the body, behind «اقرأ أيضاً» and similar markers.

After a related-content marker (after some prose of the host article), what follows is either

* a list of related headlines (two or more short lines) — boilerplate, and any prose after the
  list is the host's body continuing (BBC Arabic does this mid-article); or
* one headline (or none) followed by prose — a whole other article: ``appended``, up to the next
  marker or the page footer.

A marker that carries its link's headline on its own line («اقرأ أيضا: <headline>») is one inline
link: the host's body goes on after it (and after any further headlines).  That is how BBC, CNN and
France24 Arabic link mid-article: on ANT, 88 of the 99 segments marked ``appended`` before this rule
came after such a link, and each one read was the host's own text going on.

So is prose that opens like a paragraph going on from the one before it («وأضاف», «ولفت», «بدوره»:
the lexicon's ``CONTINUATION_OPENERS``, which no news lead opens with): a bare marker, maybe a
headline, then the host's next paragraph is a link the host's body goes on after (8 of the 11
segments the rules above still marked ``appended`` on ANT).
"""

from __future__ import annotations

from khabar.clean.boilerplate import CLOSING_QUOTE, SUBSTANTIAL_WORDS, WORD
from khabar.clean.lexicon import lexicon
from khabar.clean.lines import Line

HEADLINE_MAX_WORDS = 20
HEADLINE_STOPS = ".!:'»)"  # a line of headline length ending in one of these is a sentence ...
QUOTE = CLOSING_QUOTE  # ... and one ending in a quotation is one if the quotation ends with one of them
INLINE_LINK_WORDS = 2  # words after the marker, on its line, that make it a link with its headline


def inline_link(norm: str) -> bool:
    """Whether a related-content marker line (normalized) holds its link's headline after the marker."""
    found = lexicon().related.search(norm)
    return found is not None and len(WORD.findall(norm, found.end())) >= INLINE_LINK_WORDS


def continues_host(norm: str) -> bool:
    """Whether a paragraph (normalized) opens like one going on from the paragraph before it."""
    return lexicon().continues(norm)


def mark_appended(lines: list[Line]) -> None:
    idx = [i for i, ln in enumerate(lines) if not ln.blank]
    markers = [pos for pos, i in enumerate(idx) if lines[i].rule == "related-marker"]
    for m_no, m in enumerate(markers):
        before = idx[:m]
        if not any(lines[i].kind == "body" and lines[i].n_words >= SUBSTANTIAL_WORDS for i in before):
            continue  # nothing of the host yet: a marker in the page header
        end = markers[m_no + 1] if m_no + 1 < len(markers) else len(idx)
        block = idx[m + 1 : end]
        content = [i for i in block if lines[i].kind == "body"]
        headlines: list[int] = []
        for i in content:
            if not _headline_like(lines[i]) or lines[i].rule == "credit":
                break
            headlines.append(i)
        prose = [i for i in content if not _headline_like(lines[i])]
        if not prose:
            for i in headlines:  # a bare list of links
                lines[i].kind, lines[i].rule = "boilerplate", "related-links"
            continue
        if len(headlines) >= 2 or inline_link(lines[idx[m]].norm) or continues_host(lines[prose[0]].norm):
            for i in headlines:
                lines[i].kind, lines[i].rule = "boilerplate", "related-links"
            continue  # the host's body goes on after the list (or the inline link, or into its next paragraph)
        for i in _until_footer(lines, block):
            if lines[i].kind == "body":
                lines[i].kind, lines[i].rule = "appended", "after-marker"


def _headline_like(line: Line) -> bool:
    """Short, or of headline length without a sentence's closing punctuation (a question mark is a
    headline's): link lists hold headlines of 12–20 words too, and prose paragraphs end with a stop.
    A headline may end with a quotation («…: "…"», 11% of ANT's titles), a sentence ends inside it
    («قال: "…."»): what counts is the last character before the closing quotes."""
    if line.n_words < SUBSTANTIAL_WORDS:
        return True
    end = line.norm.rstrip()
    if end.endswith(QUOTE):
        end = end.rstrip(QUOTE).rstrip()
    return line.n_words <= HEADLINE_MAX_WORDS and end[-1:] not in HEADLINE_STOPS


def _until_footer(lines: list[Line], block: list[int]) -> list[int]:
    """The lines of ``block`` before the first run of two or more boilerplate lines after prose."""
    seen_prose = False
    for pos, i in enumerate(block):
        ln = lines[i]
        if ln.kind == "body" and ln.n_words >= SUBSTANTIAL_WORDS:
            seen_prose = True
        nxt = block[pos + 1] if pos + 1 < len(block) else None
        if seen_prose and ln.kind == "boilerplate" and nxt is not None and lines[nxt].kind == "boilerplate":
            return block[:pos]
    return block
