"""Build the reuse benchmark corpus from real ANT articles, with exact truth.

Design
------
* **Pool.** ANT articles with at least 4 paragraphs and 150 words, shuffled with a fixed seed, kept
  only if they share no normalized word 8-gram with an article already kept (ANT has real
  duplicates; they must not leak into the truth).  The first ``n`` are *sources*; the rest are
  *fillers*, each used at most once (as a host page, a new lead, an appended article, or an
  unrelated page), so no two benchmark pages share a filler.
* **Pieces.** A page is built from pieces, each a run of text with a known kind: ``body`` sentences
  that carry their origin ``(source, paragraph, sentence)``, ``body`` text of no shared origin
  (fillers, new leads), ``boilerplate`` lines, ``appended`` articles and ``marker`` lines
  («اقرأ أيضاً», scored as neither).  Offsets of every piece in the final text are known by
  construction, so edits never make the truth approximate.
* **Copies** of a source, 1–3 per source, each of one kind: ``exact``, ``respelled`` (أمريكي/أميركي,
  hamza and alef forms, ة/ه, ى/ي, diacritics, tatweel, Arabic-Indic digits), ``truncated`` (first
  30–70% of paragraphs), ``new_lead`` (a new first paragraph), ``edited`` (verbs swapped, numbers
  written as words, one or two sentences dropped), ``reordered`` (paragraphs shuffled), the
  combinations ``respelled+truncated`` and ``new_lead+edited``, ``copy_of_copy`` (a copy of an
  earlier copy, edited again) and ``paragraph_in_unrelated`` (one or two paragraphs of ≥ 25 words
  inside a filler page).
* **Pages.** Every page is published by one of five invented outlets with its own template (menus,
  tickers, dates, share/follow lines, counters with varying numbers, image file names, comment
  forms, copyright, prev/next links); 15% also get an unrelated filler article appended after a
  «اقرأ أيضاً» marker.  Copies are published by other outlets than their original (that is what
  copying is); unrelated filler pages (no copies) fill the corpus.
* **Truth.** Two pages are a reuse pair iff they hold sentences of the same origin totalling at
  least 8 words; the shared characters on each side are those sentences.  Boilerplate and appended
  truth are the characters of those pieces.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from khabar.normalize import normalize_text

Origin = tuple[int, int, int]  # (source, paragraph, sentence)

OUTLETS = ("wadi-news", "al-mirsad", "sahel24", "nabd-alyoum", "al-khabar-alakhir")
KINDS = (
    "exact",
    "respelled",
    "truncated",
    "new_lead",
    "edited",
    "reordered",
    "respelled+truncated",
    "new_lead+edited",
    "paragraph_in_unrelated",
)
NUMBER_WORDS = {
    "2": "اثنين",
    "3": "ثلاثة",
    "4": "أربعة",
    "5": "خمسة",
    "6": "ستة",
    "7": "سبعة",
    "8": "ثمانية",
    "9": "تسعة",
    "10": "عشرة",
}
VERB_SWAPS = {
    "قال": "أكد",
    "أكد": "قال",
    "أضاف": "وتابع",
    "أعلن": "كشف",
    "ذكر": "أفاد",
    "أوضح": "بيّن",
    "وقال": "وأكد",
    "وأضاف": "وتابع",
    "وأكد": "وقال",
    "أشار": "لفت",
}
RESPELL = (
    ("أمريك", "أميرك"),
    ("أميرك", "أمريك"),
    ("إسرائيل", "اسرائيل"),
    ("أن ", "ان "),
    ("إلى", "الى"),
    ("على", "علي"),
    ("ة ", "ه "),
    ("ى ", "ي "),
)
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DIACRITICS = "\u064e\u064f\u0650\u0651\u0652"


@dataclass
class Piece:
    text: str
    kind: str  # body | boilerplate | appended | marker
    origin: Origin | None = None


@dataclass
class Page:
    id: str
    source: str
    title: str
    kind: str  # original | <copy kind> | unrelated
    of: int | None  # the source it copies
    pieces: list[Piece] = field(default_factory=list)


@dataclass
class Source:
    title: str
    paragraphs: list[list[str]]  # sentences of each paragraph


# --------------------------------------------------------------------------- pool


def _sentences(paragraph: str) -> list[str]:
    parts = re.split(r"(?<=[.!؟?])\s+", paragraph.strip())
    return [p for p in parts if p]


def _grams8(text: str) -> set[int]:
    """Word 8-grams of the normalized text, with words as khabar splits them (runs of letters and
    digits), so that "unrelated" means the same to the pool as to the systems measured."""
    w = _WORDS.findall(normalize_text(text))
    return {hash(" ".join(w[i : i + 8])) for i in range(len(w) - 7)}


_WORDS = re.compile(r"[^\W_]+")


def pool(corpus: Path, rng: random.Random, need: int) -> list[dict]:
    """Mutually unrelated ANT articles (no shared normalized word 8-gram)."""
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        docs = [json.loads(x) for x in fh]
    rng.shuffle(docs)
    seen: set[int] = set()
    out: list[dict] = []
    for d in docs:
        text = d.get("text") or ""
        paras = [p for p in text.split("\n") if len(p.split()) >= 12]
        if len(paras) < 4 or len(text.split()) < 150 or not d.get("title"):
            continue
        g = _grams8(text + "\n" + d["title"])
        if g & seen:
            continue
        seen |= g
        out.append({"title": d["title"], "paragraphs": paras})
        if len(out) >= need:
            break
    return out


# --------------------------------------------------------------------------- edits


def respell(text: str, rng: random.Random) -> str:
    for a, b in RESPELL:
        if rng.random() < 0.7:
            text = text.replace(a, b)
    if rng.random() < 0.5:
        text = text.translate(ARABIC_INDIC)
    chars = []
    for ch in text:
        chars.append(ch)
        if "\u0621" <= ch <= "\u064a":
            r = rng.random()
            if r < 0.04:
                chars.append(rng.choice(DIACRITICS))
            elif r < 0.05:
                chars.append("\u0640")  # tatweel
    return "".join(chars)


def edit(sentence: str, rng: random.Random) -> str:
    words = sentence.split(" ")
    for k, w in enumerate(words):
        if w in VERB_SWAPS and rng.random() < 0.8:
            words[k] = VERB_SWAPS[w]
        elif w in NUMBER_WORDS and rng.random() < 0.8:
            words[k] = NUMBER_WORDS[w]
    return " ".join(words)


# --------------------------------------------------------------------------- templates


def _template(outlet: int) -> tuple[list[str], list[str]]:
    name = ["وادي نيوز", "المرصد", "الساحل 24", "نبض اليوم", "الخبر الآخر"][outlet]
    menus = [
        "الرئيسية | سياسة | اقتصاد | رياضة | فن | منوعات",
        "الرئيسية - أخبار محلية - عربي ودولي - اقتصاد - رياضة",
        "أخبار | تقارير | حوارات | رأي | فيديو | صور",
        "الصفحة الرئيسية • سياسة • اقتصاد • صحة • تكنولوجيا",
        "الرئيسية / العالم / الشرق الأوسط / اقتصاد / ثقافة",
    ]
    header = [f"{name} - الموقع الرسمي", menus[outlet], "عاجل"]
    footer = [
        f"تابعونا على فيسبوك وتويتر ويوتيوب لمتابعة آخر أخبار {name}",
        "اشترك في النشرة البريدية ليصلك كل جديد",
        "شارك هذا الخبر على فيسبوك | تويتر | واتساب",
        "أضف تعليقك",
        "الاسم",
        "البريد الإلكتروني",
        "التعليق",
        "إرسال التعليق",
        "الخبر السابق",
        "الخبر التالي",
        f"جميع الحقوق محفوظة © {name} 2018",
    ]
    return header, footer


def wrap(page: Page, rng: random.Random, outlet: int, ticker: list[str]) -> None:
    """Put the outlet's template around the page's body, with per-page variation."""
    header, footer = _template(outlet)
    head = [Piece(h, "boilerplate") for h in header[:2]]
    head.append(Piece("عاجل", "boilerplate"))
    head += [Piece(f"{t} -", "boilerplate") for t in ticker]
    day = rng.randint(1, 28)
    stamp = f"{day}/{rng.randint(1, 12)}/2018 - {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
    head.append(Piece(stamp, "boilerplate"))
    body = page.pieces
    if body and rng.random() < 0.5:  # an image file name and caption line inside the body
        k = rng.randint(1, max(1, len(body) - 1))
        body.insert(k, Piece(f"IMG_{rng.randint(1000, 99999)}.jpg", "boilerplate"))
    tail = [Piece(f"عدد المشاهدات: {rng.randint(10, 99999)}", "boilerplate")]
    tail += [Piece(f, "boilerplate") for f in footer if rng.random() < 0.9]
    page.pieces = head + body + tail


# --------------------------------------------------------------------------- pages


def body_pieces(src: Source, s: int, paras: list[int], rng: random.Random, how: set[str]) -> list[Piece]:
    out: list[Piece] = []
    dropped = 0
    for p in paras:
        sents = []
        for k, sent in enumerate(src.paragraphs[p]):
            if "edited" in how and dropped < 2 and len(src.paragraphs[p]) > 1 and rng.random() < 0.15:
                dropped += 1
                continue
            text = edit(sent, rng) if "edited" in how else sent
            text = respell(text, rng) if "respelled" in how else text
            sents.append(Piece(text, "body", (s, p, k)))
        # sentences of one paragraph stay on one line: join them with spaces as pieces of one line
        out.extend(_one_line(sents))
    return out


def _one_line(sents: list[Piece]) -> list[Piece]:
    """Sentences of a paragraph, as pieces that render on one line (``render`` adds newlines, so
    all but the last sentence carry their separating space instead)."""
    return [Piece(p.text + (" " if k < len(sents) - 1 else ""), p.kind, p.origin) for k, p in enumerate(sents)]


def filler_pieces(f: dict) -> list[Piece]:
    return [Piece(p, "body") for p in f["paragraphs"]]


def build(corpus: Path, n_sources: int, seed: int) -> list[Page]:
    rng = random.Random(seed)
    docs = pool(corpus, rng, need=n_sources * 4)
    if len(docs) < n_sources * 3:
        raise SystemExit(f"pool too small: {len(docs)} unrelated articles")
    sources = [Source(d["title"], [_sentences(p) for p in d["paragraphs"]]) for d in docs[:n_sources]]
    tickers = [d["title"] for d in docs[n_sources : n_sources + 50]]  # repeat across an outlet's pages
    fillers = iter(docs[n_sources + 50 :])
    pages: list[Page] = []

    def new_page(kind: str, of: int | None, title: str, pieces: list[Piece]) -> Page:
        page = Page(f"p{len(pages):05d}", "", title, kind, of, pieces)
        pages.append(page)
        return page

    for s, src in enumerate(sources):
        allp = list(range(len(src.paragraphs)))
        first = new_page("original", s, src.title, body_pieces(src, s, allp, rng, set()))
        copies = [first]
        for _ in range(rng.choice((1, 1, 2, 3))):
            kind = rng.choice(KINDS)
            how = set(kind.split("+"))
            if kind == "paragraph_in_unrelated":
                long = [p for p in allp if sum(len(x.split()) for x in src.paragraphs[p]) >= 25]
                if not long:
                    continue
                host_doc = next(fillers)
                host = filler_pieces(host_doc)
                taken = sorted(rng.sample(long, min(len(long), rng.choice((1, 2)))))
                at = rng.randint(1, len(host) - 1)
                pieces = host[:at] + body_pieces(src, s, taken, rng, set()) + host[at:]
                new_page(kind, s, host_doc["title"], pieces)
                continue
            paras = list(allp)
            if "truncated" in how:
                paras = paras[: max(1, round(len(paras) * rng.uniform(0.3, 0.7)))]
            if "reordered" in how:
                rng.shuffle(paras)
            if "new_lead" in how:  # the first paragraph rewritten: a lead of no shared origin
                lead = Piece(next(fillers)["paragraphs"][0], "body")
                pieces = [lead, *body_pieces(src, s, paras[1:], rng, how)]
            else:
                pieces = body_pieces(src, s, paras, rng, how)
            copies.append(new_page(kind, s, src.title, pieces))
        if len(copies) > 1 and rng.random() < 0.25:  # a copy of a copy, edited again
            base = rng.choice(copies[1:])
            if base.kind != "paragraph_in_unrelated":
                pieces = [Piece(edit(p.text, rng), p.kind, p.origin) for p in base.pieces]
                new_page("copy_of_copy", s, base.title, pieces)
    for _ in range(n_sources // 2):  # unrelated pages
        f = next(fillers)
        new_page("unrelated", None, f["title"], filler_pieces(f))
    first_outlet: dict[int, int] = {}
    for page in pages:
        if page.kind == "original" and page.of is not None:
            outlet = first_outlet[page.of] = rng.randrange(len(OUTLETS))
        elif page.of is not None:  # copies are published by other outlets than the original
            outlet = rng.choice([o for o in range(len(OUTLETS)) if o != first_outlet[page.of]])
        else:
            outlet = rng.randrange(len(OUTLETS))
        page.source = OUTLETS[outlet]
        if rng.random() < 0.15:
            f = next(fillers)
            page.pieces += [
                Piece(rng.choice(("اقرأ أيضاً", "إقرأ أيضا:", "اقرأ أيضا")), "marker"),
                Piece(f["title"], "appended"),
                *[Piece(p, "appended") for p in f["paragraphs"]],
            ]
        wrap(page, rng, outlet, rng.sample(tickers[outlet * 10 : outlet * 10 + 10], 3))
    return pages


def write(pages: list[Page], path: Path) -> dict:
    """Write the corpus as JSONL and return the truth."""
    path.parent.mkdir(parents=True, exist_ok=True)
    truth_pages = {}
    with open(path, "w", encoding="utf-8") as fh:
        for page in pages:
            text, spans = render(page)
            record = {"id": page.id, "source": page.source, "title": page.title, "text": text}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            truth_pages[page.id] = {
                "kind": page.kind,
                "of": page.of,
                "spans": [(a, b, p.kind, p.origin) for a, b, p in spans],
            }
    return truth_pages


def render(page: Page) -> tuple[str, list[tuple[int, int, Piece]]]:
    """Pieces to text: a piece whose text ends with a space continues the line; others end it."""
    parts: list[str] = []
    spans: list[tuple[int, int, Piece]] = []
    pos = 0
    for p in page.pieces:
        text = p.text if p.text.endswith(" ") else p.text + "\n"
        core = len(p.text.rstrip(" "))
        spans.append((pos, pos + core, p))
        parts.append(text)
        pos += len(text)
    return "".join(parts), spans
