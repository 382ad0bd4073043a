from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khabar.article import Article
from khabar.clean import TemplateLearner, classify, clean_articles, segment
from khabar.clean.lexicon import first_chars
from khabar.clean.templates import LONG, PROSE, line_keys
from tests.conftest import SEED_A, SEED_B

PARA = (
    "قال وزير الخارجية إن المحادثات التي جرت في العاصمة استمرت ساعات طويلة وتناولت ملفات عديدة "
    "بينها الأمن والاقتصاد والطاقة، مضيفا أن الجانبين اتفقا على مواصلة التشاور خلال الأسابيع المقبلة."
)
PARA2 = (
    "وأوضح المتحدث باسم الحكومة أن اللجنة المشتركة ستعقد اجتماعها الأول الشهر المقبل لبحث تفاصيل "
    "الاتفاق الذي تم التوصل إليه، وأن الوفود ستضم خبراء من وزارات المالية والتجارة والنقل."
)


PARA3 = (
    "وفي سياق متصل أعلنت وزارة الصحة عن افتتاح ثلاثة مستشفيات جديدة في المحافظات الجنوبية خلال العام "
    "الجاري، مشيرة إلى أن المشروعات تأتي ضمن خطة شاملة لتطوير الخدمات الطبية وتوسيع التغطية."
)


# an appended article's lead: a news lead opens with its news, not with «وأوضح» (PARA2 goes on from PARA)
LEAD = (
    "أعلنت شركة الطيران الوطنية استئناف رحلاتها إلى ثلاث عواصم أوروبية اعتبارا من الأسبوع المقبل، بعد "
    "توقف دام عدة أشهر بسبب أعمال صيانة في أسطولها، على أن تعود الرحلات تدريجيا إلى جدولها المعتاد."
)


def kinds_of(text: str, needle: str) -> set[str]:
    """Kinds of all segments overlapping the first occurrence of ``needle``."""
    start = text.index(needle)
    end = start + len(needle)
    return {s.kind for s in segment(text) if s.start < end and start < s.end}


def test_seed_000_boilerplate() -> None:
    text = SEED_A.read_text(encoding="utf-8")
    for needle in (
        "أخبار عاجلة",
        "جيد: المغرب يطور حكام كرة القدم -",
        "خطر صحى محتمل بالساعات الذكية لن تتوقعه -",
        "716.jpeg",
        "اشترك فى النشرة البريدية",
        "تابعنا على مواقع التواصل الاجتماعى",
        "السابق محمد فضل",
        "التالى هات الكورة",
    ):
        assert kinds_of(text, needle) == {"boilerplate"}, needle
    assert kinds_of(text, "بعد نحو شهر من السقوط الدراماتيكي") == {"body"}
    assert kinds_of(text, "لتعلن الحكومة السابقة في اليوم التالي") == {"body"}
    assert "appended" not in {s.kind for s in segment(text)}


def test_seed_002_appended_and_footer() -> None:
    text = SEED_B.read_text(encoding="utf-8")
    segs = segment(text)
    appended = [s for s in segs if s.kind == "appended"]
    assert len(appended) == 1
    app = text[appended[0].start : appended[0].end]
    assert app.lstrip().startswith("أردوغان يتوقع دعم سوريا لمعركة تركيا")
    assert app.rstrip().endswith("رويترز")
    for needle in (
        "طباعة المشاهدات: 1148",
        "لا يوجد تعليقات",
        "الاسم : *",
        "رمز التحقق",
        "جميع حقوق النشر محفوظة",
        'ترحب "سرايا" بتعليقاتكم',
        "إقرأ أيضاً:",
        "تاريخ النشر",
    ):
        assert kinds_of(text, needle) == {"boilerplate"}, needle
    assert kinds_of(text, "سوريا – صرح كامل صقر") == {"body"}
    assert kinds_of(text, "أمر لم يسر الطرف الروسي") == {"body"}


def test_related_link_list_keeps_body_going() -> None:
    # BBC Arabic puts a list of related headlines in the middle of the article
    text = "\n".join([PARA, "اقرأ أيضاً:", "عنوان أول عن موضوع قريب", "عنوان ثان عن موضوع آخر", "عنوان ثالث", PARA2])
    assert kinds_of(text, PARA2) == {"body"}
    assert kinds_of(text, "عنوان ثان عن موضوع آخر") == {"boilerplate"}


def test_marker_then_title_then_prose_is_appended() -> None:
    text = "\n".join([PARA, "اقرأ أيضا:", "عنوان خبر آخر لا علاقة له", LEAD, "رويترز", "جميع الحقوق محفوظة © 2024"])
    assert kinds_of(text, PARA) == {"body"}
    assert kinds_of(text, LEAD) == {"appended"}
    assert kinds_of(text, "عنوان خبر آخر لا علاقة له") == {"appended"}
    assert kinds_of(text, "رويترز") == {"appended"}
    assert kinds_of(text, "جميع الحقوق") == {"boilerplate"}


def test_an_inline_link_keeps_body_going() -> None:
    # BBC, CNN and France24 Arabic link mid-article with the headline on the marker's line: the prose
    # after it is the host's own (on ANT, 88 of 99 «appended» segments came after such a link)
    inline = ("اقرأ أيضا: سجن رجل أعمال أمريكي عرض مكافأة", "اقرأ أيضا| أول تعليق من ترامب", "إقرأ أيضاً/ عنوان آخر")
    for marker in inline:
        text = "\n".join([PARA, marker, PARA2, "رويترز"])
        assert kinds_of(text, PARA2) == {"body"}, marker
        assert kinds_of(text, marker) == {"boilerplate"}
    # further headlines after an inline link are links too
    text = "\n".join([PARA, "اقرأ أيضا: عنوان خبر عن الانتخابات", "ماذا بعد فوز أردوغان بولاية جديدة؟", PARA2])
    assert kinds_of(text, "ماذا بعد فوز") == {"boilerplate"}
    assert kinds_of(text, PARA2) == {"body"}
    # a marker with one word after it is still a marker alone: an article glued behind it is appended
    text = "\n".join([PARA, "اقرأ أيضا: المزيد", "عنوان خبر آخر لا علاقة له", LEAD])
    assert kinds_of(text, LEAD) == {"appended"}


def test_headlines_ending_in_a_quotation_are_headlines() -> None:
    # BBC Arabic's link lists: headlines of 8 to 20 words that end in a quotation («…: "…"»)
    heads = [
        'اتهامات بالفساد لرئيس وزراء ماليزيا السابق: "عقد ألماس لزوجته، ولوحة فان كوخ، ويخت"',
        'نجيب رزاق: رئيس وزراء ماليزيا السابق الذي دخل السياسة بـ "الوراثة"',
    ]
    text = "\n".join([PARA, "اقرأ أيضاً:", *heads, LEAD])
    assert kinds_of(text, heads[1]) == {"boilerplate"}
    assert kinds_of(text, LEAD) == {"body"}  # a list of links: the host goes on
    # a sentence ends inside its quotation: a paragraph of headline length, not a headline
    quoted = 'وطالبت منظمة أطباء بلا حدود "جميع الأطراف المتحاربة بالسماح بإعادة إمداد الأدوية دون عقبات."'
    text = "\n".join([PARA, "اقرأ أيضاً:", "عنوان خبر آخر لا علاقة له", quoted, LEAD])
    assert kinds_of(text, quoted) == {"appended"}
    text = "\n".join([PARA, "اقرأ أيضاً:", quoted, PARA3, "عنوان خبر آخر لا علاقة له", LEAD])
    assert kinds_of(text, quoted) == {"appended"}


def test_a_paragraph_going_on_after_a_marker_keeps_body_going() -> None:
    # CNN Arabic: a bare marker, maybe a headline, then the host's next paragraph «وأضاف …», «ولفت …»
    for marker in ("اقرأ أيضا:", "اقرأ أيضا|", "قد يعجبك"):
        for heads in ([], ["أول تعليق من ترامب بشأن جمال خاشقجي.. وتصريح من خالد بن سلمان"]):
            for opener in ("وأضاف", "ولفت", "وقالت", "بدوره،", "من جهته،"):
                para = f"{opener} المسؤول أن {PARA3}"
                text = "\n".join([PARA, marker, *heads, para, PARA3 + "."])
                assert kinds_of(text, para) == {"body"}, (marker, heads, opener)
                assert kinds_of(text, PARA3 + ".") == {"body"}
                if heads:
                    assert kinds_of(text, heads[0]) == {"boilerplate"}
    # a word that only begins like a conjunction («وزير», «واشنطن») opens a lead: the article is appended
    for lead in (f"وزير الخارجية {LEAD}", f"واشنطن - {LEAD}", f"وقالتا {LEAD}", f"كما {LEAD}"):
        text = "\n".join([PARA, "اقرأ أيضا:", "عنوان خبر آخر لا علاقة له", lead])
        assert kinds_of(text, lead) == {"appended"}, lead


def test_prose_mentioning_boilerplate_words_is_body() -> None:
    long_line = "وقال المسؤول إن " + PARA + " وأضاف أن جميع الحقوق محفوظة للمواطنين في الدستور الجديد"
    assert kinds_of(long_line, "وقال المسؤول") == {"body"}


# a line of prose that introduces a list, and a list as the ANT pages print them (FIFA's ranking)
INTRO = "وجاء ترتيب المنتخبات العربية في التصنيف الجديد الذي نشره الاتحاد الدولي اليوم على النحو التالي:"
RANKING = ["24- تونس (-3)", "46- المغرب (-5)", "65- مصر (-20)", "66- الجزائر", "70- السعودية (-3)"]


def test_a_list_that_prose_introduces_is_body_however_short() -> None:
    """Short lines after the last paragraph are page furniture, unless a line of prose ending with a
    colon introduced them: then they are its list (rule ``list-item``), up to the first line that is
    boilerplate by its own rules; the same lines after prose without the colon stay furniture."""
    from khabar.clean.lines import split_lines
    from khabar.clean.segment import classify_lines, classify_lines_reference

    text = "\n".join([PARA, INTRO, *RANKING, "شارك هذا المقال", "تونس"])
    for classified in (classify(text), classify_lines_reference(split_lines(text))):
        got = {text[ln.start : ln.end].strip(): (ln.kind, ln.rule) for ln in classified if not ln.blank}
        for item in RANKING:
            assert got[item] == ("body", "list-item"), item
        assert got["شارك هذا المقال"][0] == "boilerplate"  # a lexicon line ends the list ...
        assert got["تونس"] == ("boilerplate", "after-last-paragraph")  # ... and what follows is furniture
    text = "\n".join([PARA, INTRO.rstrip(":") + ".", *RANKING])
    assert {ln.rule for ln in classify(text) if text[ln.start : ln.end].strip() in RANKING} == {"after-last-paragraph"}
    text = "\n".join([PARA, "المنتخبات:", *RANKING])  # a heading is not prose: no list
    assert {ln.kind for ln in classify(text) if text[ln.start : ln.end].strip() in RANKING} == {"boilerplate"}
    lines = split_lines("\n".join([PARA, INTRO, *RANKING]))
    assert [ln.rule for ln in classify_lines(lines)][2:] == ["list-item"] * len(RANKING)


SHORT_ENDS = ["ولم يتسن التأكد من صحة الأنباء.", 'وأضاف "نشعر بالحزن العميق".', "وقال: «لن نتراجع.»"]


def test_a_short_sentence_after_the_last_paragraph_is_body() -> None:
    """A short line after the last paragraph that ends with a full stop (a quotation closing after it
    or not) ends the article: body; one ending in an ellipsis or without a stop is page furniture."""
    from khabar.clean.lines import split_lines
    from khabar.clean.segment import classify_lines_reference

    furniture = ["لمتابعة المباشر اضغط هنا...", "الأخبار الأكثر قراءة", "من هو رئيس الوزراء الجديد؟"]
    furniture.append("حقوق نشر كافة الصور محفوظة.")  # a sentence, but a copyright line (the lexicon)
    text = "\n".join([PARA, *SHORT_ENDS, *furniture])
    for classified in (classify(text), classify_lines_reference(split_lines(text))):
        got = {text[ln.start : ln.end].strip(): ln.kind for ln in classified if not ln.blank}
        assert [got[s] for s in SHORT_ENDS] == ["body"] * len(SHORT_ENDS)
        assert [got[s] for s in furniture] == ["boilerplate"] * len(furniture)


def _lead_text(k: int) -> str:
    words = ("المحكمة", "الحكومة", "الوزير", "البرلمان", "الشركة", "المدينة", "الرئيس", "المجلس", "الجيش")
    return (
        f"أعلن {words[k % 9]} رقم {k} الخميس أن {words[(k + 3) % 9]} قرر تأجيل موعد {words[(k + 5) % 9]} "
        "إلى الأسبوع المقبل بعد مشاورات."
    )


def test_teasers_are_other_articles_leads_after_the_body() -> None:
    from khabar.clean.teasers import OutletLines

    # CNN Arabic ends a page with other articles' leads, their datelines dropped, no marker before them
    others = [
        Article(id=f"o{k}", text=f"دبي (CNN)-- {_lead_text(k)}\n{_lead_text(k + 50)}", source="cnn") for k in range(4)
    ]
    tail = [_lead_text(1), _lead_text(2), LEAD]  # LEAD's article is not in the scan: a teaser still
    host = Article(id="h", text="\n".join([PARA, PARA2, *tail, "جميع الحقوق محفوظة © 2018"]), source="cnn")
    one = Article(id="one", text="\n".join([PARA, PARA2, _lead_text(3)]), source="cnn")  # background: reuse
    # the article's own lead is no teaser: PARA is host's lead, and a line of this article's lead after it
    first = Article(id="first", text="\n".join([PARA, _lead_text(1), PARA3]), source="cnn")
    elsewhere = Article(id="e", text="\n".join([PARA, PARA2, _lead_text(1), _lead_text(2)]), source="bbc")
    learner = clean_articles([*others, host, one, first, elsewhere])
    templates = learner.templates()
    assert isinstance(templates["cnn"], OutletLines) and len(templates["cnn"].leads) >= 4
    kinds = {seg.kind for seg in host.segments if host.text[seg.start : seg.end].strip().startswith(tail[0])}
    assert kinds == {"boilerplate"}
    assert {s.kind for s in host.segments if s.start >= host.text.index(tail[0])} == {"boilerplate"}
    assert [ln.rule for ln in classify(host.text, templates["cnn"]) if ln.norm][2:5] == ["teasers"] * 3
    assert {s.kind for s in host.segments if s.end <= host.text.index(tail[0])} == {"body"}
    for a in (*others, one, first, elsewhere):  # its own lead, one line alone, another outlet
        assert {s.kind for s in a.segments} == {"body"}, a.id


def test_outlet_lines_are_a_set_of_template_keys_with_leads() -> None:
    import pickle

    from khabar.clean.teasers import OutletLines, lead_key

    lines = OutletLines({1, 2}, {3})
    assert lines == frozenset({1, 2}) and 3 not in lines and lines.leads == frozenset({3})
    back = pickle.loads(pickle.dumps(lines))
    assert type(back) is OutletLines and back == lines and back.leads == lines.leads
    assert not OutletLines() and OutletLines((), {5}).leads  # no templates, leads still
    # a lead's key is its line's without a dateline
    plain = lead_key("اعلن الوزير")
    assert lead_key("دبي, الامارات (cnn)-- اعلن الوزير") == plain == lead_key("القاهرة (رويترز) - اعلن الوزير")


def test_templates_are_learned_per_outlet_only(ant: list[dict]) -> None:
    footer = "موقع الخبر اليومي - كل ما يهمك من أخبار العالم العربي والدولي لحظة بلحظة"
    arts = [Article(id=f"a{k}", text=f"{ant[k]['text']}\n{footer}\n", source="site1") for k in range(5)]
    other = Article(id="b", text=f"{PARA2}\n{footer}\n", source="site2")
    clean_articles([*arts, other])
    for a in arts:
        assert a.segments[-1].kind == "boilerplate"
        assert a.text[a.segments[-1].start :].strip() == footer
        assert a.segments[0].kind == "body"
    # site2 printed the line once: not its template
    assert [s.kind for s in other.segments] == ["body"]


def test_duplicate_articles_do_not_become_templates() -> None:
    learner = TemplateLearner()
    for _ in range(5):
        learner.add("site", PARA + "\n" + PARA2)
    assert learner.templates()["site"] == frozenset()


def test_explain_gives_rules() -> None:
    lines = [ln for ln in classify("716.jpeg\n" + PARA) if not ln.blank]
    assert (lines[0].kind, lines[0].rule) == ("boilerplate", "image-file")
    assert lines[1].kind == "body"


@given(
    st.lists(
        st.sampled_from(
            [PARA, PARA2, "", "   ", "اقرأ أيضا:", "عنوان", "716.jpeg", "المشاهدات: 5", "رويترز", "\r", "x" * 3]
        ),
        max_size=25,
    ),
    st.sampled_from(["\n", "\r\n", "\r", "\u2029"]),
)
def test_segments_tile_the_text(parts: list[str], sep: str) -> None:
    text = sep.join(parts)
    segs = segment(text)
    if not text:
        assert segs == []
        return
    assert segs[0].start == 0 and segs[-1].end == len(text)
    for x, y in zip(segs, segs[1:], strict=False):
        assert x.end == y.start and x.kind != y.kind
    assert all(s.start < s.end and s.kind in ("body", "appended", "boilerplate") for s in segs)


def test_marker_repeated_on_every_page_of_an_outlet_still_starts_an_appended_article(ant: list[dict]) -> None:
    from khabar.article import Article
    from khabar.clean import clean_articles

    arts = [
        Article(
            id=str(k),
            source="outlet",
            text=f"{ant[k]['text']}\nاقرأ أيضاً\n{ant[k + 4]['title']}\n{ant[k + 4]['text']}\nجميع الحقوق محفوظة",
        )
        for k in range(4)
    ]
    learner = clean_articles(arts)
    assert learner.templates()["outlet"]  # the marker (and footer) did become outlet templates ...
    for k, a in enumerate(arts):  # ... and each page still has its appended article
        appended = [a.text[s.start : s.end] for s in a.segments if s.kind == "appended"]
        assert len(appended) == 1 and appended[0].startswith(ant[k + 4]["title"]), k


def test_a_paragraph_an_outlet_reran_in_a_few_articles_is_not_a_template(ant: list[dict]) -> None:
    # three updates of one story by one outlet repeat its background paragraph: that is reuse
    arts = [Article(id=f"a{k}", text=f"{ant[k]['text']}\n{PARA}\n", source="site1") for k in range(4)]
    clean_articles(arts)
    for a in arts:
        assert a.segments[-1].kind == "body" and PARA in a.text[a.segments[-1].start :]


def test_prose_starting_like_a_share_line_is_body() -> None:
    text = "شارك صلاح بقوة بكامل المباراة، وتواجد بشكل أو بآخر في الهجمات وأرسل كرات خطيرة\n" + PARA
    assert kinds_of(text, "شارك صلاح") == {"body"}
    assert kinds_of("تابعونا على فيسبوك وتويتر ويوتيوب لمتابعة آخر الأخبار\n" + PARA, "تابعونا") == {"boilerplate"}


def test_link_list_with_a_long_question_headline_is_not_an_appended_article() -> None:
    text = (
        PARA
        + "\nمواضيع ذات صلة\nلماذا عاد أسطورة الكرة جورج ويا إلى الملاعب بعد أن أصبح رئيس ليبيريا؟\n"
        + "الأهلي يفوز على الزمالك\n"
        + PARA2
    )
    assert kinds_of(text, "لماذا عاد") == {"boilerplate"}
    assert kinds_of(text, PARA2[:20]) == {"body"}  # the host's body goes on after the list


def test_template_learning_lines_equal_the_full_split(ant: list[dict]) -> None:
    """Template learning reads lines without hashing words; they must be split_lines' own, and the
    keys it passes on to cleaning their line keys (real articles, and an article with a view)."""
    from khabar.clean.lines import split_lines
    from khabar.clean.templates import article_keys
    from khabar.prepare import _keys

    texts = [d["text"] for d in ant] + ["سطر أول\r\nسطر ثانٍ\r\rسطر\u2028ثالث\n\n", "", "\n", "ـــ\u200f"]
    arts = [Article(id="x", text=text, source="s") for text in texts]
    arts[0].text_view()
    rows = _keys({"articles": arts}, 0, len(arts))
    for k, (a, keys) in enumerate(zip(arts, rows.line_keys(), strict=True)):
        lines = split_lines(a.text)
        assert keys is not None and keys.tolist() == line_keys(lines)
        mine = rows.article == k
        found, flags = rows.keys[mine].tolist(), rows.flags[mine].tolist()
        assert len(found) == len(set(found))  # each counted line once per article
        digest, want, prose, longs = article_keys(a.text, lines)
        assert rows.digests[k] == digest and set(found) == want
        assert {x for x, f in zip(found, flags, strict=True) if f & PROSE} == prose
        assert {x for x, f in zip(found, flags, strict=True) if f & LONG} == longs
    alone = _keys({"articles": [Article(id="y", text="نص")]}, 0, 1)  # no outlet, no templates
    assert alone.digests == [None] and alone.line_keys() == [None] and len(alone.keys) == 0


def _templates_reference(articles: list[tuple[str, bytes, dict[int, int]]]) -> dict[str, frozenset[int]]:
    """Template learning as first written: per outlet, a counter of distinct texts per line."""
    from collections import Counter, defaultdict

    from khabar.clean.templates import support_needed

    counts: dict[str, Counter[int]] = defaultdict(Counter)
    flags: dict[str, dict[int, int]] = defaultdict(dict)
    seen: set[tuple[str, bytes]] = set()
    n: Counter[str] = Counter()
    for source, digest, lines in articles:
        if (source, digest) in seen:
            continue
        seen.add((source, digest))
        n[source] += 1
        counts[source].update(lines.keys())  # each line of a text once
        for key, f in lines.items():
            flags[source][key] = flags[source].get(key, 0) | f
    return {
        source: frozenset(
            k
            for k, c in counter.items()
            if c >= support_needed(n[source], bool(flags[source][k] & PROSE), bool(flags[source][k] & LONG))
        )
        for source, counter in counts.items()
    }


def test_template_support_depends_on_line_length() -> None:
    """Three texts make a short line a template, prose-length lines need five (a line once prose is
    prose), long lines nine: through both ways into the learner."""
    from khabar.clean.templates import TemplateLearner, key_rows, keys_of_lines

    plan = [  # (line key, its words, in how many texts, its words in the first of them)
        (1, 3, 3, 3),  # template
        (2, 12, 4, 12),  # prose in 4: not
        (3, 12, 5, 12),  # prose in 5: template
        (4, 41, 8, 41),  # long in 8: not
        (5, 41, 9, 41),  # long in 9: template
        (6, 3, 5, 12),  # prose once, in 5: template
        (7, 3, 4, 12),  # prose once, in 4: not
    ]
    lines: dict[int, list[tuple[int, int]]] = {}  # text → its lines (key, words)
    for key, words, n, first in plan:
        for t in range(n):
            lines.setdefault(t, []).append((key, first if t == 0 else words))
    items = [(f"text {t}", [k for k, _ in ls], [w for _, w in ls], ["سطر"] * len(ls)) for t, ls in lines.items()]
    one, rows = TemplateLearner(), TemplateLearner()
    for item in items:
        one.add_keys("s", keys_of_lines(*item))
    rows.add_rows(["s"] * len(items), key_rows(items))
    assert one.templates() == rows.templates() == {"s": frozenset({1, 3, 5, 6})}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),  # an article without an outlet
            st.lists(st.tuples(st.integers(0, 4), st.sampled_from([0, 3, 12, 41]), st.booleans()), max_size=8),
        ),
        max_size=8,
    )
)
def test_key_rows_are_each_articles_counted_lines(articles) -> None:  # noqa: ANN001
    """The rows :func:`key_rows` makes with numpy for a run of articles: per article, each line key
    :func:`counted_lines` yields (blank and credit lines left out) once, its flags ORed over the
    article's lines with that key; and every line's key, article after article."""
    import numpy as np

    from khabar.clean.templates import counted_lines, key_rows

    items = []
    for k, lines in enumerate(articles):
        if lines is None:
            items.append(None)
            continue
        keys = [2**64 - 1 - key for key, _, _ in lines]
        norms = [None if not w else "(رويترز)" if credit else "سطر" for _, w, credit in lines]
        items.append((f"text {k}", keys, [w for _, w, _ in lines], norms))
    rows = key_rows(items)
    want: dict[tuple[int, int], int] = {}
    for k, item in enumerate(items):
        if item is not None:
            for key, f in counted_lines(*item[1:]):
                want[(k, key)] = want.get((k, key), 0) | f
    got = list(zip(rows.article.tolist(), rows.keys.tolist(), rows.flags.tolist(), strict=True))
    assert len(got) == len(want) and {(a, key): f for a, key, f in got} == want
    assert rows.article.dtype == np.int64 and rows.keys.dtype == np.uint64 and rows.flags.dtype == np.uint8
    assert [None if x is None else x.tolist() for x in rows.line_keys()] == [
        None if item is None else item[1] for item in items
    ]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.integers(0, 11),  # the text: the same text of an outlet counts once
            st.lists(st.tuples(st.integers(0, 6), st.sampled_from([0, 3, 12, 41])), max_size=6),
        ),
        max_size=60,
    )
)
def test_template_counts_from_rows_equal_counting_each_article(articles) -> None:  # noqa: ANN001
    """The learner counts rows (outlet, line, flags) with numpy: the templates of counting each
    article's line set, whether the keys came one article at a time, as a scan's rows, or merged
    from two learners; thresholds for prose-length and long lines included."""
    from khabar.clean.templates import TemplateLearner, key_rows, keys_of_lines

    big = 2**64 - 1  # keys are 64-bit
    items = []
    for source, text, lines in articles:
        keys = [big - k for k, _ in lines]
        # no words: a blank line; key 5 a credit line (never counted)
        norms = [None if not w else "(رويترز)" if k == 5 else "سطر" for k, w in lines]
        items.append((source, f"{source}:{text}", keys, [w for _, w in lines], norms))
    one = TemplateLearner()
    for source, text, keys, words, norms in items:
        one.add_keys(source, keys_of_lines(text, keys, words, norms))
    rows = TemplateLearner()
    half = len(items) // 2
    for part in (items[:half], items[half:]):
        rows.add_rows([x[0] for x in part], key_rows([x[1:] for x in part]))
    merged = TemplateLearner()
    other = TemplateLearner()
    other.add_rows([x[0] for x in items], key_rows([x[1:] for x in items]))
    merged.merge(other)
    ref_input = []
    for source, text, keys, words, norms in items:
        d, found, prose, longs = keys_of_lines(text, keys, words, norms)
        ref_input.append((source, d, {k: (PROSE if k in prose else 0) | (LONG if k in longs else 0) for k in found}))
    want = _templates_reference(ref_input)
    assert one.templates() == want and rows.templates() == want and merged.templates() == want


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(min_codepoint=0, max_codepoint=0x10FFFF),
            st.sampled_from([*"0123456789٠١٢٣ \t\u00a0\u2003\u3000\u0660\u06f5\uff11", "\u1680", "\u2028", "\x1c"]),
        ),
        max_size=60,
    )
)
def test_compiled_template_canon_equals_the_regex_reference(line: str) -> None:
    from khabar._text_kernel import template_canon

    from khabar.clean.lines import template_canon_reference

    assert template_canon(line) == template_canon_reference(line)


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(
                min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=("Cs",)
            ),  # no lone surrogates: readers reject them
            st.sampled_from([*"0123456789٠١٢٣ \t\u00a0\u3000كلمة\U0001f600"]),
        ),
        max_size=120,
    )
)
def test_compiled_template_key_equals_hashlib(line: str) -> None:
    from khabar.clean.lines import template_key, template_key_reference

    assert template_key(line) == template_key_reference(line)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=400), st.integers(0, 3).map(lambda k: bytes(range(256))[: 128 * k % 256] * 2)))
def test_compiled_blake2b_equals_hashlib(data: bytes) -> None:
    """Every length, block boundaries (0, 128, 256 bytes) included."""
    import hashlib

    from khabar._text_kernel import blake2b_64

    assert blake2b_64(bytearray(data)) == int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


_LINE_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]),
        st.sampled_from([" ", "\t", "\u00a0", "\u3000", "ـ", "\u064e", "أ", "ﻻ", "كلمة", "12", "x"]),
        st.characters(min_codepoint=0, max_codepoint=0x10FFFF),
    ),
    max_size=60,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(_LINE_TEXT)
def test_compiled_lines_equal_the_reference(text: str) -> None:
    from khabar.clean.lines import lines_of, lines_of_reference
    from khabar.normalize import normalize
    from khabar.words import word_bounds

    norm = normalize(text)
    starts = word_bounds(norm)[0]
    assert lines_of(text, norm, starts) == lines_of_reference(text, norm, starts)


@settings(max_examples=400, deadline=None)
@given(_LINE_TEXT)
def test_template_learning_s_compiled_lines_equal_the_lines_and_their_keys(text: str) -> None:
    """One compiled pass gives each line's template key, words and normalized content: those of
    :func:`split_lines` and :func:`line_keys`, line for line."""
    from khabar.clean.lines import split_lines
    from khabar.clean.templates import article_keys, keys_of_lines, learned_lines
    from khabar.normalize import normalize

    keys, words, norms = learned_lines(text, normalize(text))
    lines = split_lines(text)
    assert keys == line_keys(lines)
    assert words == [ln.n_words for ln in lines]
    assert norms == [None if ln.blank else ln.norm for ln in lines]
    assert keys_of_lines(text, keys, words, norms) == article_keys(text, lines)


def _lexicon_snippets() -> list[str]:
    """Pieces of every lexicon pattern's literal text, triggers and credits, to build lines from."""
    import re

    from khabar.clean.lexicon import CREDIT_PATTERNS, RULES, TRIGGERS

    words: set[str] = set()
    for pats in [*RULES.values(), CREDIT_PATTERNS]:
        for p in pats:
            words.update(w for w in re.split(r"[\\^$()?:|*+\[\]{}.,\s]+|\\[sdbw]", p) if w and len(w) > 1)
    for ts in TRIGGERS.values():
        words.update(ts)
    return sorted(words)


_SNIPPETS = _lexicon_snippets()


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(_SNIPPETS),
            st.sampled_from(
                ["", " ", ": ", " | ", " - ", "©", "2018", "١٢", "x.jpg ", "\t", "(c) 2019", "*", "view", "comment"]
            ),
            st.text(max_size=4),
        ),
        max_size=8,
    ),
    st.integers(0, 90),
)
def test_lexicon_match_equals_searching_every_rule_whole(parts: list[str], n_words: int) -> None:
    """Anchored patterns tried at the start only, and triggers, never change which rule matches."""
    from khabar.clean.lexicon import lexicon
    from khabar.normalize import normalize_text

    lex = lexicon()
    for line in ("".join(parts), " ".join(parts), normalize_text(" ".join(parts))):
        assert lex.match(line, n_words) == lex.match_reference(line, n_words)
        assert lex.is_credit(line) == bool(lex.credit.search(line))
        assert lex.trigger_bits.mask(line) == sum(1 << r for r in lex.triggered(line))


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_first_chars_of_an_anchored_pattern_hold_every_match_s_first_character(data: st.DataObject) -> None:
    """A line is spared a rule's anchored pattern when its first character is not one a match can
    begin with: for text generated to match each pattern, that character is in the set."""
    from khabar.clean.lexicon import lexicon

    rules = [r for r in lexicon().rules if r.anchored is not None]
    rule = data.draw(st.sampled_from(rules))
    first = first_chars(rule.anchored)
    text = data.draw(st.from_regex(rule.anchored))
    m = rule.anchored.match(text)
    if m is not None and first is not None:
        assert text[:1] in first and text[:1] != ""


def test_first_chars_knows_when_it_does_not_know() -> None:
    assert first_chars(re.compile("^(?:[-*]\\s*)?(?:ab|ج)x")) == "*-aج"
    assert first_chars(re.compile("^a?b")) == "ab"
    assert first_chars(re.compile("^(?=x)xy|^[a-c]")) == "abcx"
    assert first_chars(re.compile("^(a)\\1")) == "a"  # what follows the first character does not matter
    for pattern in ("^\\s*a", "^.a", "^[^a]", "^a*", "^(?i:a)", "^$", "^\\da", "^(a|)b?"):
        assert first_chars(re.compile(pattern)) is None, pattern
    assert first_chars(re.compile("^[\u0600-\u06ff]x")) is not None  # a narrow range is spelled out


def test_first_chars_without_the_parser_gives_no_shortcut(monkeypatch) -> None:  # noqa: ANN001
    """``re._parser`` is CPython's, not a public interface: where it is missing, no shortcut (every
    line is tried, with the same results)."""
    from khabar.clean import lexicon

    monkeypatch.setattr(lexicon, "sre_parser", None)
    assert first_chars(re.compile("^(?:ab|ج)x")) is None
    assert first_chars(re.compile("^[\u0000-\uffff]x")) is None  # a wide one is not


def test_lexicon_match_equals_the_reference_on_real_lines(ant: list[dict]) -> None:
    from khabar.clean.lexicon import anchored, lexicon
    from khabar.clean.lines import split_lines

    lex = lexicon()
    lines = [ln for d in ant for ln in split_lines(d["text"]) if not ln.blank]
    lines += [ln for t in (SEED_A, SEED_B) for ln in split_lines(t.read_text(encoding="utf-8")) if not ln.blank]
    # an anchored pattern of a rule whose triggers are absent («12 view»: counter needs «views»)
    lines += split_lines("12 view\n12 views\n١٢ مشاهدة\nطباعة © 2018\nالاسم: محمد\nاعلان\nhome | news")
    hits = 0
    for ln in lines:
        got = lex.match(ln.norm, ln.n_words)
        assert got == lex.match_reference(ln.norm, ln.n_words)
        hits += got is not None
    assert hits >= 5  # the seed pages' boilerplate is in there
    assert anchored("^a(b|c)[|]\\|") and not anchored("^a|b") and not anchored("a") and not anchored("^a\\\\|b")


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.text(alphabet="abأبةﻻ\U0001f600", min_size=1, max_size=4), min_size=1, max_size=12),
    st.text(alphabet="abأبةﻻ \U0001f600", max_size=40),
)
def test_compiled_substrings_find_every_string_that_occurs(strings: list[str], text: str) -> None:
    from khabar._text_kernel import Substrings

    strings = [s for s in strings if ord(s[0]) <= 0xFFFF] or ["a"]
    masks = [1 << (k % 64) | 1 << ((3 * k) % 64) for k in range(len(strings))]
    want = 0
    for s, m in zip(strings, masks, strict=True):
        if s in text:
            want |= m
    assert Substrings(strings, masks).mask(text) == want


def _line_pool() -> list[str]:
    """Lines that exercise every rule of the classifier: the seed pages, real articles' lines, lexicon
    phrases, and the shapes of dates, links, menus, tickers, credits and headlines."""
    import json

    from tests.conftest import DATA

    pool = [ln for t in (SEED_A, SEED_B) for ln in t.read_text(encoding="utf-8").splitlines()]
    with open(DATA / "ant_sample.jsonl", encoding="utf-8") as fh:
        pool += [ln for row in fh for ln in json.loads(row)["text"].splitlines()[:6]]
    pool += _SNIPPETS
    pool += [
        "",
        "  ",
        "اقرأ أيضاً",
        "اقرأ أيضا: عنوان خبر قصير",
        "مواضيع ذات صلة",
        "رويترز",
        "(أ ف ب)",
        "المصدر: وكالات",
        "المصدر: وكالة الانباء الرسمية في العاصمة امس واليوم",  # a credit of eight words
        "12 مايو 2018",
        INTRO,
        *RANKING,
        *SHORT_ENDS,
        "اضغط هنا. .",
        "اضغط هنا…",
        "السبت 12 مايو 2018 - 10:30 ص",
        "ه1439",
        "2018/05/12",
        "١٢ ابريل",
        "https://example.com/news/1",
        "www.example.com",
        "http://x y",
        "الرئيسية | أخبار | رياضة | اقتصاد",
        "أخبار / رياضة / فن / منوعات",
        "a | b c d e f g h | c",
        "خبر عاجل عن الطقس -",
        "خبر عاجل عن الطقس في المدينة اليوم وغدا وبعد غد وكل يوم من أيام الاسبوع القادم -",
        "1,234 مشاهدة",
        "عدد المشاهدات: 12",
        "© 2018 جميع الحقوق محفوظة",
        "أضف تعليقك",
        "الاسم:",
        "صورة.jpg",
        "شارك على فيسبوك",
        "المقال السابق",
        "...",
        "؟",
        "_ _ _",
        "كلمة",
        "عنوان من اثنتي عشرة كلمة عن زيارة الوزير الى العاصمة امس وعودته اليوم الى",
        "عنوان من اثنتي عشرة كلمة عن زيارة الوزير الى العاصمة امس وعودته اليوم الى.",
        "هل يعود الوزير الى العاصمة بعد زيارته الطويلة التي استمرت عدة ايام متتالية؟",
        PARA,
        PARA2,
        PARA[:60],
    ]
    return pool


_POOL = _line_pool()


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(_POOL), st.text(alphabet="اب 1|-.»:©\n\r\u2028", max_size=12)), max_size=24),
    st.lists(st.integers(0, len(_POOL) - 1), max_size=6),
    st.sampled_from(["\n", "\n\n", "\r\n", " \n"]),
)
def test_compiled_classifier_equals_the_reference(lines: list[str], template_lines: list[int], sep: str) -> None:
    """Every line's kind and rule, and the segments, as the Python rules give them (templates too)."""
    from khabar.article import Segment
    from khabar.clean.lines import split_lines, template_key
    from khabar.clean.segment import classify_lines, classify_lines_reference, classify_to_segments, to_segments
    from khabar.normalize import normalize_text

    text = sep.join(lines)
    templates = frozenset(template_key(normalize_text(_POOL[k]).strip()) for k in template_lines)
    got, ref = split_lines(text), split_lines(text)
    classify_lines(got, templates)
    classify_lines_reference(ref, templates)
    assert [(ln.kind, ln.rule) for ln in got] == [(ln.kind, ln.rule) for ln in ref]
    segments = classify_to_segments(split_lines(text), templates, len(text))
    assert segments == to_segments(ref, len(text))
    assert all(isinstance(s, Segment) for s in segments)
    lines = split_lines(text)  # the line keys template learning computed give the same segments
    assert classify_to_segments(lines, templates, len(text), line_keys(lines)) == segments


def test_precomputed_line_keys_are_what_the_classifier_tests() -> None:
    """Keys given to the classifier are used as the lines' keys (not computed again), and must be
    one per line."""
    from khabar.clean.lines import split_lines
    from khabar.clean.segment import classify_to_segments

    text = f"{PARA}\nسطر قالب الموقع\n{PARA2}"
    lines = split_lines(text)
    keys = line_keys(lines)
    assert [s.kind for s in classify_to_segments(lines, frozenset({keys[1]}), len(text), keys)] == [
        "body",
        "boilerplate",
        "body",
    ]
    other = [keys[0], 12345, keys[2]]  # the classifier believes the keys it is given
    assert {s.kind for s in classify_to_segments(split_lines(text), frozenset({keys[1]}), len(text), other)} == {"body"}
    with pytest.raises(ValueError, match="template keys for 3 lines"):
        classify_to_segments(split_lines(text), frozenset({keys[1]}), len(text), keys[:2])


def test_compiled_classifier_equals_the_reference_on_every_pool_line_and_page() -> None:
    """Each pool line alone, after prose and between boilerplate; and the two seed pages whole."""
    from khabar.clean.lines import split_lines, template_key
    from khabar.clean.segment import classify_lines, classify_lines_reference, classify_to_segments, to_segments
    from khabar.clean.teasers import OutletLines, lead_key
    from khabar.normalize import normalize_text

    texts = [SEED_A.read_text(encoding="utf-8"), SEED_B.read_text(encoding="utf-8")]
    for ln in _POOL:
        texts += [ln, f"{PARA}\n{ln}", f"{PARA}\nاقرأ أيضا\n{ln}\n{PARA2}", f"© 2018\n{ln}\n1,234 مشاهدة\n{PARA}"]
        texts.append(f"{PARA}\nاقرأ أيضا\n{ln}\nعنوان خبر آخر\n\n{PARA2}\nرويترز")
        texts.append(f"{PARA}\n{ln}\nاقرأ أيضا\n{PARA2}")  # the appended article is the last prose
        texts.append(f"{PARA}\n{ln}\n{PARA2}\n{PARA3}")  # after an inline link (a pool line), the host goes on
        texts.append(f"{PARA}\n{INTRO}\n{RANKING[0]}\n{ln}\n{RANKING[1]}\n© 2018")  # a list, and what ends it
        texts.append(f"{PARA}\nاقرأ أيضا\n{ln}\n{INTRO}\n{RANKING[2]}\n{RANKING[3]}")  # a list in an appended article
        texts.append(f"{PARA}\nاقرأ أيضا\n{ln}\n{LEAD}\n{PARA3}")  # an appended article's lead ...
        texts.append(f"{PARA}\nاقرأ أيضا\n{ln}\nوأضاف {LEAD}\n{PARA3}")  # ... or the host going on
        for end in ('"', '."', ' " ', '""', '.""', '"."'):  # a quotation ends the line: what ends it counts
            texts.append(f"{PARA}\nاقرأ أيضا\nعنوان خبر: {ln[:60]}{end}\nعنوان آخر: {ln[-60:]}{end}\n{LEAD}")
        # an appended article runs past one boilerplate line, up to the first two in a row
        texts.append(f"{PARA}\nاقرأ أيضا\n{ln}\n{PARA2}\n© 2018\n{PARA3}\n© 2019\n1,234 مشاهدة\n{PARA3}.")
    rules: set[str] = set()
    for text in texts:
        got, ref = classify_lines(split_lines(text)), classify_lines_reference(split_lines(text))
        assert [(ln.kind, ln.rule) for ln in got] == [(ln.kind, ln.rule) for ln in ref], text
        rules.update(ln.rule for ln in got)
    # teasers: the leads of other articles of the outlet after the body (never the article's own lead,
    # never before some prose of the host: here PARA2 is a template, so the host has none before them)
    pool = [ln for ln in _POOL if len(ln.split()) >= 12]
    leads = {lead_key(normalize_text(ln)) for ln in [*pool, PARA]}
    plain, templated = OutletLines((), leads), OutletLines({template_key(normalize_text(PARA2))}, leads)
    for k, ln in enumerate(pool):
        nxt = pool[(k + 1) % len(pool)]
        for text, outlet in (
            (f"{PARA}\n{ln}\n{nxt}\n© 2018", plain),
            (f"{ln}\n{nxt}\n{PARA}", plain),
            (f"{PARA2}\n{ln}\n1,234 مشاهدة\n{nxt}\n{PARA3}", plain),
            (f"{PARA2}\n{ln}\n{PARA3}", plain),
            (f"{PARA2}\n{ln}\n{nxt}\n{PARA3}", templated),
        ):
            for keys in (None, line_keys(split_lines(text))):
                got = classify_to_segments(split_lines(text), outlet, len(text), keys)
                ref = to_segments(classify_lines_reference(split_lines(text), outlet), len(text))
                assert got == ref, text
            got_lines = classify_lines(split_lines(text), outlet)
            ref_lines = classify_lines_reference(split_lines(text), outlet)
            assert [(ln.kind, ln.rule) for ln in got_lines] == [(ln.kind, ln.rule) for ln in ref_lines], text
            rules.update(ln.rule for ln in got_lines)
    assert "teasers" in rules
    # every rule of the classifier is exercised
    for rule in ("credit", "date", "url", "menu", "ticker", "repeated-line", "between-boilerplate"):
        assert rule in rules, rule
    for rule in ("after-last-paragraph", "related-links", "after-marker", "no-words", "related-marker", "list-item"):
        assert rule in rules, rule
