"""Mark boilerplate lines: lexicon rules, outlet templates, line shape, and context."""

from __future__ import annotations

import re
from collections.abc import Collection

from khabar.clean.lexicon import lexicon
from khabar.clean.lines import Line, template_key

LEXICON_MAX_WORDS = 30  # shape rules apply to lines up to this long; longer lines are prose
SUBSTANTIAL_WORDS = 12  # a line this long is prose, the anchor for head/tail rules
SHORT_WORDS = 8  # short lines after the last prose line are page furniture
SANDWICH_WORDS = 5  # a line this short between two boilerplate lines is boilerplate too
TICKER_ITEM_WORDS = 15

DATE_WORDS = frozenset(
    """
    يناير فبراير مارس ابريل مايو يونيو يوليو اغسطس سبتمبر اكتوبر نوفمبر ديسمبر كانون الثاني
    الاول شباط اذار نيسان ايار حزيران تموز اب ايلول تشرين السبت الاحد الاثنين الثلاثاء
    الاربعاء الخميس الجمعه ص م مساء صباحا الساعه gmt utc am pm january february march april
    may june july august september october november december jan feb mar apr jun jul aug sep
    sept oct nov dec st nd rd th monday tuesday wednesday thursday friday saturday sunday
    """.split()
)
WORD = re.compile(r"[^\W_]+")  # a word of a normalized line: a run of letters or digits
URL = re.compile(r"^(?:https?://|www\.)\S+$")
_PIPE_CELL = re.compile(r"\s*[|•·]\s*")
_MENU_SEP = re.compile(r"\s+[|/»›•·>-]\s+")


def _date_only(line: Line) -> bool:
    """Only numbers and date words (stops at the first other word: most lines are prose)."""
    found = False
    for m in WORD.finditer(line.norm):
        w = m.group()
        if not (w.isdigit() or w in DATE_WORDS or w.rstrip("0123456789") in ("", "ه")):
            return False
        found = True
    return found


def menu_like(norm: str) -> bool:
    """Several short items separated by pipes, bullets or slashes."""
    if norm.count("|") >= 2:
        cells = [c for c in _PIPE_CELL.split(norm) if c.strip()]
        if all(len(WORD.findall(c)) <= 6 for c in cells):  # (no cells at all counts too)
            return True
    if sum(map(norm.count, MENU_SEP_CHARS)) < 3:  # four items need three separators
        return False
    items = _MENU_SEP.split(norm)
    return len(items) >= 4 and all(len(WORD.findall(i)) <= 3 for i in items)


MENU_SEP_CHARS = "|/»›•·>-"  # one of them in each _MENU_SEP
LIST_INTRO = ":"  # a line of prose ending with it introduces a list («… وهي:»)


def classify_line(line: Line, templates: Collection[int], seen: set[str]) -> None:
    """Give one non-blank line its kind from its own content (no context)."""
    lex = lexicon()
    if line.n_words == 0:
        line.kind, line.rule = "boilerplate", "no-words"
        return
    if lex.is_credit(line.norm) and line.n_words <= SHORT_WORDS:
        line.kind, line.rule = "body", "credit"
        return
    rule = lex.match(line.norm, line.n_words)  # before templates: a marker repeated on every page of
    if rule:  # an outlet («اقرأ أيضاً») must still be seen as a marker
        line.kind, line.rule = "boilerplate", rule
        return
    if templates and template_key(line.norm) in templates:
        line.kind, line.rule = "boilerplate", "template"
        return
    if line.n_words <= LEXICON_MAX_WORDS:
        if _date_only(line):
            line.kind, line.rule = "boilerplate", "date"
            return
        if URL.match(line.norm):
            line.kind, line.rule = "boilerplate", "url"
            return
        if menu_like(line.norm):
            line.kind, line.rule = "boilerplate", "menu"
            return
        if line.n_words <= TICKER_ITEM_WORDS and line.norm.endswith("-"):
            line.kind, line.rule = "boilerplate", "ticker"
            return
        if line.norm in seen:
            line.kind, line.rule = "boilerplate", "repeated-line"
            return
    seen.add(line.norm)
    line.kind, line.rule = "body", ""


def _content(lines: list[Line]) -> list[int]:
    return [i for i, ln in enumerate(lines) if not ln.blank]


def mark_lists(lines: list[Line], idx: list[int]) -> None:
    """The items of a list a line of prose introduces («… وهي:», «… على النحو التالي:»): the run of
    body lines under :data:`SUBSTANTIAL_WORDS` words right after a body line of that many words or
    more that ends with :data:`LIST_INTRO` (``idx``: the non-blank lines).  They are the article's
    content however short (a ranking, winners by year, verses): rule ``list-item``, which the
    context rules leave alone.  The run ends at the first line that is boilerplate by its own rules,
    a credit, or prose."""
    for pos, i in enumerate(idx):
        ln = lines[i]
        if ln.kind == "body" and ln.n_words >= SUBSTANTIAL_WORDS and ln.norm.rstrip().endswith(LIST_INTRO):
            for j in idx[pos + 1 :]:
                item = lines[j]
                if item.kind != "body" or item.rule == "credit" or item.n_words >= SUBSTANTIAL_WORDS:
                    break
                item.rule = "list-item"


KEPT = ("credit", "list-item")  # body lines the context rules leave alone
FULL_STOP = "."  # a short line ending in one (not in an ellipsis) is a sentence, not page furniture
CLOSING_QUOTE = '"'  # (normalized: «» and ”“ are this) may follow it


def ends_sentence(norm: str) -> bool:
    """``norm`` (a normalized line) ends with one full stop, a quotation closing after it or not:
    «ولم يتسن التأكد من صحة الأنباء.», «وأضاف "نشعر بالحزن".»; not «اضغط هنا...»."""
    end = norm.rstrip().rstrip(CLOSING_QUOTE).rstrip()
    return end.endswith(FULL_STOP) and not end.endswith(FULL_STOP * 2)


def apply_context(lines: list[Line]) -> None:
    """Rules that look at neighbours: ticker blocks, sandwiches, and the page's tail (lists that
    prose introduces excepted, :func:`mark_lists`)."""
    idx = _content(lines)
    mark_lists(lines, idx)
    # a very short line between two boilerplate lines is boilerplate
    for _ in range(2):
        for pos in range(1, len(idx) - 1):
            ln = lines[idx[pos]]
            if (
                ln.kind == "body"
                and ln.rule not in KEPT
                and ln.n_words <= SANDWICH_WORDS
                and lines[idx[pos - 1]].kind == "boilerplate"
                and lines[idx[pos + 1]].kind == "boilerplate"
            ):
                ln.kind, ln.rule = "boilerplate", "between-boilerplate"
    # after the last line of prose, short lines are page furniture (credits, list items and short
    # sentences excepted: «ولم يتسن التأكد من صحة الأنباء.» ends many a wire story)
    prose = [i for i in idx if lines[i].kind != "boilerplate" and lines[i].n_words >= SUBSTANTIAL_WORDS]
    if prose:
        for i in idx:
            ln = lines[i]
            if (
                i > prose[-1]
                and ln.kind == "body"
                and ln.rule not in KEPT
                and ln.n_words <= SHORT_WORDS
                and not ends_sentence(ln.norm)
            ):
                ln.kind, ln.rule = "boilerplate", "after-last-paragraph"
