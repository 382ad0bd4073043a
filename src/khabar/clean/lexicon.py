"""A lexicon of common Arabic (and some English) web boilerplate, as patterns over single lines.

Patterns are written in ordinary Arabic spelling and matched against the *normalized* line, so
«إقرأ أيضاً», «اقرأ ايضا» and «اقرأ أيضًا» all match the same rule.  Each rule has a name that
explains why a line was marked (``khabar clean --explain`` prints it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import ahocorasick

from khabar._text_kernel import Substrings
from khabar.normalize import normalize_text

try:  # the parsed form of a pattern, what first_chars reads: CPython's own, not a public interface
    import re._constants as sre_constants
    import re._parser as sre_parser
except ImportError:  # a Python without them: no shortcut, the same results
    sre_constants = sre_parser = None  # type: ignore[assignment]

# Lines that introduce "related" content: a list of links or a whole appended article.
RELATED_MARKERS = (
    r"^(?:[-*•>]\s*)?(?:اقرأ|إقرأ|اقرا|إقرا|طالع|شاهد|اطلع على|تابع)\s+(?:أيضا|أيضاً|كذلك|المزيد)\b",
    r"^(?:[-*•>]\s*)?اقرأ المزيد\b",
    r"^(?:[-*•>]\s*)?(?:مواضيع|أخبار|مقالات|قصص|موضوعات|روابط)\s+(?:ذات صلة|متعلقة|مشابهة|مقترحة)\b",
    r"^(?:[-*•>]\s*)?(?:ذات صلة|قد يهمك(?: أيضا)?|قد يعجبك(?: أيضا)?|المزيد من الأخبار|لمزيد من الأخبار)\s*:?\s*$",
    r"^(?:read more|related|see also|more stories|you may also like)\b",
)

# The first words of a paragraph that goes on from the one before it («وأضاف», «ولفت», «بدوره»): a
# news lead does not open with them (on ANT, 7 of 31,520 articles' first paragraphs do), so prose
# that opens with one after a related-content marker is the host's body going on, not an article.
CONTINUATION_OPENERS = (
    r"^و(?:قال|قالت|أضاف|أضافت|تابع|تابعت|أوضح|أوضحت|أشار|أشارت|لفت|لفتت|شدد|شددت|أكد|أكدت|ذكر|ذكرت"
    r"|اعتبر|اعتبرت|اختتم|ختم|انتقد|انتقدت|تزامن|تزامنت|سبق|عبر|عبرت|كان|كانت|حذر|حذرت|يذكر|يشار|جاء"
    r"|جاءت|أعرب|أعربت|أردف|أردفت|استطرد|مضى|مضت|نقل|نقلت|أفاد|أفادت)\b",
    r"^(?:بدوره|بدورها|من جهته|من جهتها|من جانبه|من جانبها)\b",
)

# name -> patterns; a line matching any pattern of a rule is boilerplate.
RULES: dict[str, tuple[str, ...]] = {
    "related-marker": RELATED_MARKERS,
    "copyright": (
        r"©|\(c\)\s*\d{4}|جميع الحقوق محفوظة|جميع حقوق النشر|حقوق النشر محفوظة|الحقوق محفوظة"
        r"|حقوق (?:ال)?(?:طبع|نشر)(?:\s+[^\s]+){0,4}\s+محفوظ"  # «حقوق نشر كافة الصور محفوظة» (not \S: patterns are lower-cased)
        r"|all rights reserved|copyright",
    ),
    "share-follow": (
        r"^(?:[-*•]\s*)?(?:تابع|تابعنا|تابعونا|تابعوا|اشترك|اشتركوا|للاشتراك|شارك|شاركوا|شاركها|انضم|انضموا|حمل|حملوا"
        r"|تحميل|نزل|follow|subscribe|share|join)\b.{0,120}"
        r"(?:فيسبوك|فيس بوك|تويتر|تويتير|يوتيوب|يوتيب|انستغرام|انستجرام|إنستغرام|انستقرام|تيليجرام|تلغرام|تليجرام"
        r"|واتساب|واتس اب|لينكدإن|تيك توك|سناب|النشرة|نشرتنا|البريدية|القائمة البريدية|قناتنا|صفحتنا|حسابنا|حساباتنا"
        r"|مواقع التواصل|التواصل الاجتماعي|تطبيق|التطبيق|الأخبار|أخبار|آخر|عاجل|facebook|twitter|youtube|instagram"
        r"|telegram|whatsapp|newsletter)",
        r"^(?:شارك|مشاركة|شارك المقال|شارك هذا المقال|شارك الخبر|انشر|نشر)\s*(?:على|عبر)?\s*:?\s*$",
    ),
    "counter": (
        r"(?:عدد )?(?:المشاهدات|مشاهدات|القراءات|قراءات|الزيارات|مرات القراءة|عدد القراء|views|reads)\s*[:：]?\s*\d",
        r"^\d[\d,.]*\s*(?:مشاهدة|قراءة|زيارة|تعليق|تعليقات|views?|comments?)\s*$",
    ),
    "tools": (
        r"^(?:طباعة|اطبع|إرسال|ارسل|أرسل لصديق|حفظ|نسخ الرابط|تكبير الخط|تصغير الخط|تغريد|print|email"
        r"|a\+|a-)(?:\s+(?:طباعة|إرسال|حفظ|مشاركة|تغريد|نسخ الرابط|print|email|share|a\+|a-))*\s*:?\s*$",
        r"^(?:طباعة|اطبع)\b",
    ),
    "comments": (
        r"(?:أضف|اضف|اكتب|أكتب|إضافة|اضافة)\s+(?:تعليق|تعليقك|رأيك|الرمز)",
        r"^(?:إضافة|اضافة|إرسال|ارسال|تعليقات?|التعليقات|التعليق|الرد على تعليق|لا يوجد تعليقات|لا توجد تعليقات"
        r"|comments?|leave a reply|reply)\s*[:|*\s]*$",
        r"^(?:الاسم|الإسم|اسمك|البريد الإلكتروني|البريد الالكتروني|بريدك الإلكتروني|التعليق|تعليقك|رمز التحقق"
        r"|الموقع الإلكتروني|عنوان التعليق|name|e-?mail|website|comment)\s*[:：*]",
        r"بتعليقاتكم|تعليقاتكم|الآراء والتعليقات المنشورة|التعليقات المنشورة|تحديث الرمز|أكتب الرمز|اكتب الرمز",
    ),
    "image-file": (r"[^\s.]\.(?:jpe?g|png|gif|webp|bmp|svg|tiff?)(?:\s|$)",),
    "date": (
        r"^(?:تاريخ النشر|تاريخ الإضافة|تاريخ التحديث|نشر في|نشر بتاريخ|نشر يوم|تم النشر|آخر تحديث|اخر تحديث"
        r"|بتاريخ|published|updated|last updated|posted)\s*[:：]?\s*.{0,60}$",
    ),
    "prev-next": (
        r"^(?:السابق|التالي|التالى|المقال السابق|المقال التالي|الخبر السابق|الخبر التالي|المقالة السابقة"
        r"|المقالة التالية|previous|next|prev)(?:\s|:|$)",
    ),
    "ticker": (
        r"^(?:أخبار عاجلة|اخبار عاجلة|عاجل|آخر الأخبار|أحدث الأخبار|شريط الأخبار|الأكثر قراءة|الأكثر مشاهدة"
        r"|الأكثر تداولا|الأكثر شعبية|الأكثر تعليقا|الأخبار العاجلة|breaking news|trending|most read)\s*:?\s*$",
    ),
    "site-chrome": (
        r"سياسة الخصوصية|شروط الاستخدام|اتصل بنا|من نحن|أعلن معنا|الرجاء الانتظار|جاري التحميل|يرجى الانتظار"
        r"|برمجة و\s*استضافة|تصميم و\s*تطوير|powered by|cookie|ملفات تعريف الارتباط",
        r"^(?:الرئيسية|الصفحة الرئيسية|home)\s*(?:[|/>»›•·-]|$)",
        r"^(?:إعلان|اعلان|advertisement|ads?|sponsored|محتوى مدعوم|مساحة إعلانية)\s*$",
        r"^(?:الكلمات المفتاحية|كلمات مفتاحية|الوسوم|وسوم|الكلمات الدلالية|tags?|keywords)\s*[:：]",
    ),
}

# Short lines that credit a wire service or a source: always content, never boilerplate.
CREDIT_PATTERNS = (
    r"^[\s(*\[-]*(?:المصدر|المصادر|نقلا عن|نقلاً عن|بحسب|وفقا ل|المرجع|source|via)\s*[:：]?",
    r"^[\s(*\[-]*(?:رويترز|أ ف ب|ا ف ب|أ\.ف\.ب|فرانس ?24|فرانس برس|وكالة|وكالات|واس|د ب أ|د\.ب\.أ|الأناضول|الاناضول"
    r"|أسوشيتد برس|اسوشيتد برس|بي بي سي|سي إن إن|سكاي نيوز|العربية نت|العربية\.نت|شينخوا|وام|قنا|كونا|بترا|سانا"
    r"|إرنا|ارنا|تاس|سبوتنيك|reuters|afp|ap|dpa|xinhua|anadolu)[\s)\]*./،,-]*"
    r"(?:[\s/،,-]+(?:رويترز|أ ف ب|ا ف ب|فرانس ?24|وكالات|د ب أ|الأناضول|reuters|afp|ap|dpa))*\s*$",
)


#: Literal substrings (normal spelling) one of which an unanchored rule needs: a cheap test that
#: spares the regex on most lines.  Rules whose patterns are all anchored (``^``) need none.
TRIGGERS: dict[str, tuple[str, ...]] = {
    "copyright": ("©", "(c)", "حقوق", "all rights", "copyright"),
    "counter": ("مشاهد", "قراء", "زيار", "view", "reads", "تعليق", "comment"),
    "comments": (
        "تعليق",
        "رأيك",
        "الرمز",
        "الاسم",
        "الإسم",
        "اسمك",
        "البريد",
        "الموقع",
        "إضافة",
        "اضافة",
        "إرسال",
        "ارسال",
        "reply",
        "comment",
        "name",
        "mail",
        "website",
    ),
    "image-file": (".jp", ".png", ".gif", ".webp", ".bmp", ".svg", ".tif"),
    "site-chrome": (
        "سياسة الخصوصية",
        "شروط الاستخدام",
        "اتصل بنا",
        "من نحن",
        "أعلن معنا",
        "الانتظار",
        "التحميل",
        "استضافة",
        "تصميم",
        "powered",
        "cookie",
        "ملفات تعريف",
        "الرئيسية",
        "home",
        "إعلان",
        "اعلان",
        "advert",
        "ad",
        "sponsored",
        "مدعوم",
        "مفتاحية",
        "وسوم",
        "الدلالية",
        "tag",
        "keyword",
    ),
}

#: Rules apply to lines of at most this many words (prose quoting a phrase is not boilerplate).
MAX_WORDS: dict[str, int] = {
    "comments": 80,
    "share-follow": 12,
}  # share/follow lines are short; prose starting «شارك» is not
DEFAULT_MAX_WORDS = 30


Pattern = re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    max_words: int
    triggers: tuple[str, ...] | None
    pattern: Pattern  # all its patterns in one: what a line is searched with
    anchored: Pattern | None  # its patterns that match only at a line's start (``^…``): tried with ``match``
    floating: Pattern | None  # the others, searched anywhere


_Step = tuple[str, int, Callable[[str], Any] | None, Callable[[str], Any] | None, str | None]


def first_chars(pattern: Pattern) -> str | None:
    """The characters a match of ``pattern`` at a text's start can begin with (sorted, as a string),
    or None when that is not a small known set (a pattern that can match the empty string, or
    starts with ``.``, ``\\s``, a negated class, a case-insensitive part …).  A line starting with
    none of them cannot match it, and is spared the call."""
    if pattern.flags & re.IGNORECASE or sre_parser is None:
        return None
    try:
        found, nullable = _first(sre_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # a construct this does not know: no shortcut
        return None
    return None if found is None or nullable else "".join(sorted(found))


_SMALL_RANGE = 512  # a character range wider than this gives no shortcut


def _first(items: Any) -> tuple[set[str] | None, bool]:
    """(FIRST set, whether the sequence can match empty) of a parsed sequence; None: unknown."""
    out: set[str] = set()
    for op, av in items:
        found, nullable = _first_item(op, av)
        if found is None:
            return None, False
        out |= found
        if not nullable:
            return out, False
    return out, True


def _first_item(op: Any, av: Any) -> tuple[set[str] | None, bool]:
    c = sre_constants
    if op is c.LITERAL:
        return {chr(av)}, False
    if op is c.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is c.LITERAL:
                chars.add(chr(value))
            elif kind is c.RANGE and value[1] - value[0] < _SMALL_RANGE:
                chars.update(chr(x) for x in range(value[0], value[1] + 1))
            else:  # a negated class, a category (\s, \d, \w), a wide range
                return None, False
        return chars, False
    if op is c.BRANCH:
        out: set[str] = set()
        any_empty = False
        for branch in av[1]:
            found, nullable = _first(branch)
            if found is None:
                return None, False
            out |= found
            any_empty = any_empty or nullable
        return out, any_empty
    if op is c.SUBPATTERN:
        _, add_flags, _, inner = av
        return (None, False) if add_flags & re.IGNORECASE else _first(inner)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        low, _, inner = av
        found, nullable = _first(inner)
        return found, found is not None and (low == 0 or nullable)
    if op is c.ATOMIC_GROUP:
        return _first(av)
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):  # zero width: what follows decides
        return set(), True
    return None, False  # ANY, NOT_LITERAL, CATEGORY, GROUPREF, …


def _by_length(rules: tuple[Rule, ...]) -> tuple[tuple[int, tuple[_Step, ...]], ...]:
    steps = [
        (
            rule.max_words,
            (
                rule.name,
                (1 << r) if rule.triggers is not None else 0,
                rule.anchored.match if rule.anchored is not None else None,
                rule.floating.search if rule.floating is not None else None,
                first_chars(rule.anchored) if rule.anchored is not None else None,
            ),
        )
        for r, rule in enumerate(rules)
    ]
    limits = sorted({m for m, _ in steps})
    return tuple((limit, tuple(step for m, step in steps if limit <= m)) for limit in limits)


@dataclass(frozen=True, slots=True)
class Lexicon:
    rules: tuple[Rule, ...]
    related: Pattern
    credit: Pattern  # every credit pattern is anchored: ``match`` is ``search``
    continuation: Pattern  # a paragraph going on from the one before it (anchored, as ``credit``)
    triggers: ahocorasick.Automaton  # every rule's trigger strings → the rules they trigger
    trigger_bits: Substrings  # the same, compiled: a line → the bit mask of the rules it triggers
    #: for lines of up to ``limit`` words (limits ascending), the rules that apply to them, in order,
    #: as ``(name, trigger bit or 0, anchored pattern's match, floating pattern's search, the
    #: characters a match of the anchored one starts with or None)``
    by_length: tuple[tuple[int, tuple[_Step, ...]], ...] = ()

    def triggered(self, normalized_line: str) -> set[int]:
        """The rules (by position) one of whose triggers the line holds (:attr:`trigger_bits` is the same
        as a bit mask)."""
        return {k for _, rules in self.triggers.iter(normalized_line) for k in rules}

    def match(self, normalized_line: str, n_words: int) -> str | None:
        """The name of the first rule the line matches, or None.  A rule with triggers is tried
        only on a line holding one of them (all triggers are found in one pass over the line).
        A rule's anchored patterns are tried at the line's start only: the same answer as searching
        its whole pattern (:meth:`match_reference`), without trying every position."""
        triggered = -1  # not computed yet
        head = normalized_line[:1]
        for name, bit, anchored, floating, first in self._applicable(n_words):
            if bit:
                if triggered < 0:
                    triggered = self.trigger_bits.mask(normalized_line)
                if not triggered & bit:
                    continue
            if (anchored is not None and (first is None or (head and head in first)) and anchored(normalized_line)) or (
                floating is not None and floating(normalized_line)
            ):
                return name
        return None

    def _applicable(self, n_words: int) -> tuple[_Step, ...]:
        for limit, steps in self.by_length:
            if n_words <= limit:
                return steps
        return ()

    def match_reference(self, normalized_line: str, n_words: int) -> str | None:
        """:meth:`match` with each rule's whole pattern searched, and no triggers."""
        for rule in self.rules:
            if n_words <= rule.max_words and rule.pattern.search(normalized_line):
                return rule.name
        return None

    def is_related_marker(self, normalized_line: str) -> bool:
        return bool(self.related.search(normalized_line))

    def is_credit(self, normalized_line: str) -> bool:
        return bool(self.credit.match(normalized_line))

    def continues(self, normalized_line: str) -> bool:
        """Whether the line opens like a paragraph going on from the one before it (:data:`CONTINUATION_OPENERS`)."""
        return bool(self.continuation.match(normalized_line))


def anchored(pattern: str) -> bool:
    """Whether ``pattern`` can only match at the start of the text: it begins with ``^`` and has no
    ``|`` outside a group or a character class."""
    if not pattern.startswith("^"):
        return False
    depth, in_class, escaped = 0, False, False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return False
    return True


def _compile(patterns: tuple[str, ...]) -> Pattern:
    return re.compile("|".join(f"(?:{normalize_text(p)})" for p in patterns))  # normalized text is lower case


def _rule(name: str, patterns: tuple[str, ...]) -> Rule:
    start = tuple(p for p in patterns if anchored(p))
    rest = tuple(p for p in patterns if not anchored(p))
    return Rule(
        name,
        MAX_WORDS.get(name, DEFAULT_MAX_WORDS),
        tuple(normalize_text(t) for t in TRIGGERS[name]) if name in TRIGGERS else None,
        _compile(patterns),
        _compile(start) if start else None,
        _compile(rest) if rest else None,
    )


def _by_trigger(rules: tuple[Rule, ...]) -> dict[str, set[int]]:
    by_trigger: dict[str, set[int]] = {}
    for r, rule in enumerate(rules):
        for t in rule.triggers or ():
            if not t:
                raise ValueError(f"rule {rule.name!r} has an empty trigger")
            by_trigger.setdefault(t, set()).add(r)
    return by_trigger


def _trigger_bits(rules: tuple[Rule, ...]) -> Substrings:
    if len(rules) > 64:
        raise ValueError("at most 64 rules: triggered rules are a 64-bit mask")
    by_trigger = _by_trigger(rules)
    return Substrings(list(by_trigger), [sum(1 << r for r in rs) for rs in by_trigger.values()])


def _automaton(rules: tuple[Rule, ...]) -> ahocorasick.Automaton:
    by_trigger = _by_trigger(rules)
    automaton = ahocorasick.Automaton()
    for t, rs in by_trigger.items():
        automaton.add_word(t, frozenset(rs))
    automaton.make_automaton()
    return automaton


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The compiled lexicon (patterns normalized like the text they are matched against)."""
    rules = tuple(_rule(name, pats) for name, pats in RULES.items())
    if not all(anchored(p) for p in CREDIT_PATTERNS):
        raise ValueError("credit patterns must all be anchored (is_credit matches at the start)")
    if not all(anchored(p) for p in CONTINUATION_OPENERS):
        raise ValueError("continuation openers must all be anchored (continues matches at the start)")
    return Lexicon(
        rules,
        related=_compile(RELATED_MARKERS),
        credit=_compile(CREDIT_PATTERNS),
        continuation=_compile(CONTINUATION_OPENERS),
        triggers=_automaton(rules),
        trigger_bits=_trigger_bits(rules),
        by_length=_by_length(rules),
    )
