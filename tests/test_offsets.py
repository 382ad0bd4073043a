"""Every offset in every output is valid for its article, whatever the text holds: combining marks,
emoji, lone surrogates, CR/LF/CRLF mixes, bidi controls (property tests over generated text)."""

from __future__ import annotations

import json
import random
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import khabar
from khabar.article import Article, Segment
from khabar.fingerprint import article_units
from khabar.normalize import normalize, normalize_text
from khabar.words import view, word_strings
from tests.conftest import assert_offset_map

LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئةى"
MARKS = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670\u0654\u0655\u0653\u0301"
BIDI = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\ufeff"
EMOJI = ["😀", "👍🏽", "👨\u200d👩\u200d👧", "🇸🇦", "❤\ufe0f"]
BREAKS = ["\n", "\r\n", "\r", "\n\n", "\r\n\r\n", "\u2028", "\x85"]
SURROGATES = ["\ud800", "\udfff", "\udc00"]

# a vocabulary of Arabic words, so generated articles share words and passages
VOCAB = st.lists(st.text(alphabet=LETTERS, min_size=2, max_size=7), min_size=40, max_size=40, unique=True)


def noise(draw: Any, extra: list[str]) -> str:
    return draw(st.sampled_from([" ", " ", " ", "، ", ". ", " ـ ", "  ", "\t", "٣ ", " 2024 ", *extra]))


@st.composite
def decorated(draw: Any, words: list[str], surrogates: bool = False, breaks: bool = True) -> str:
    """``words`` as a text with random marks on letters, emoji, bidi controls and mixed line breaks."""
    extra = [*EMOJI, *BIDI, *(BREAKS if breaks else []), *(SURROGATES if surrogates else [])]
    out = []
    for w in words:
        chars = list(w)
        for _ in range(draw(st.integers(0, 2))):
            i = draw(st.integers(1, len(chars)))
            chars.insert(i, draw(st.sampled_from(MARKS + BIDI[:3])))
        out.append("".join(chars))
        out.append(noise(draw, extra))
    return "".join(out)


@st.composite
def article_pair(draw: Any, surrogates: bool = False, breaks: bool = True) -> tuple[str, str]:
    """Two texts sharing a passage of 12-30 distinct words, differently decorated, among their own words
    (``breaks``: line breaks inside the shared passage too)."""
    vocab = draw(VOCAB)
    words = st.lists(st.sampled_from(vocab), min_size=0, max_size=40)
    shared = draw(st.lists(st.sampled_from(vocab), min_size=12, max_size=30, unique=True))
    a = (
        draw(decorated(draw(words), surrogates))
        + draw(st.sampled_from(BREAKS))
        + draw(decorated(shared, surrogates, breaks))
        + draw(st.sampled_from(BREAKS))
        + draw(decorated(draw(words)))
    )
    b = draw(decorated(draw(words))) + draw(st.sampled_from(BREAKS)) + draw(decorated(shared, surrogates, breaks))
    return a, b


def check_article(rec: dict[str, Any]) -> None:
    n = len(rec["text"])
    segs = rec["segments"]
    assert segs and segs[0]["start"] == 0 and segs[-1]["end"] == n
    for s, t in zip(segs, segs[1:], strict=False):
        assert s["end"] == t["start"]
    assert all(s["start"] < s["end"] and s["kind"] in ("body", "appended", "boilerplate") for s in segs)
    for unit in rec.get("units", []):
        assert all(0 <= k < len(segs) for k in unit["segments"])


def norm_words(text: str) -> set[str]:
    v = view(text)
    return set(word_strings(v.norm, v.words))


def check_pair(pair: dict[str, Any], texts: dict[str, str]) -> None:
    ta, tb = texts[pair["a"]], texts[pair["b"]]
    assert pair["passages"]
    for p in pair["passages"]:
        assert 0 <= p["a_start"] < p["a_end"] <= len(ta)
        assert 0 <= p["b_start"] < p["b_end"] <= len(tb)
        wa, wb = norm_words(ta[p["a_start"] : p["a_end"]]), norm_words(tb[p["b_start"] : p["b_end"]])
        assert wa & wb, p  # the passage's two sides share normalized words


def check_stories(stories: list[dict[str, Any]], texts: dict[str, str]) -> None:
    for s in stories:
        for prov in s["provenance"]:
            p = prov["passage"]
            assert 0 <= p["start"] < p["end"] <= len(texts[prov["article"]])
            assert 0 <= p["from_start"] < p["from_end"] <= len(texts[prov["from"]])


def scan_texts(texts: list[str]) -> tuple[dict[str, str], list[dict], list[dict], list[dict], dict]:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        with open(src, "w", encoding="utf-8", errors="surrogatepass") as fh:
            for k, t in enumerate(texts):
                fh.write(json.dumps({"id": f"d{k}", "text": t, "source": "s"}) + "\n")  # ASCII: \ud800 escapes
        khabar.scan([src], out=Path(tmp) / "out", jobs=1)
        out = Path(tmp) / "out"

        def rows(name: str) -> list[dict]:
            return [json.loads(x) for x in (out / name).read_text(encoding="utf-8").splitlines()]

        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        arts, pairs, stories = rows("articles.jsonl"), rows("pairs.jsonl"), rows("stories.jsonl")
    return {a["id"]: a["text"] for a in arts}, arts, pairs, stories, summary


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(article_pair(surrogates=True), article_pair(breaks=False))
def test_every_offset_of_a_scan_is_valid(first: tuple[str, str], second: tuple[str, str]) -> None:
    inputs = [*first, *second]
    texts, arts, pairs, stories, summary = scan_texts(inputs)
    assert summary["records_read"] == summary["articles"] + summary["errors"] == 4
    # a text with a lone surrogate is a bad record (it cannot be written as UTF-8); the others are
    # written back exactly, line breaks and controls included
    bad = {f"d{k}" for k, t in enumerate(inputs) if any("\ud800" <= c <= "\udfff" for c in t)}
    assert set(texts) == {f"d{k}" for k in range(4)} - bad
    for k, t in enumerate(inputs):
        if f"d{k}" in texts:
            assert texts[f"d{k}"] == t
    for rec in arts:
        check_article(rec)
    for pair in pairs:
        check_pair(pair, texts)
    check_stories(stories, texts)


def redecorated(text: str, rng: random.Random) -> str:
    """A real article with emoji, bidi controls and marks between and in its words, and its line
    breaks as LF, CRLF or LF CRLF at random."""
    out = []
    for line in text.split("\n"):
        words = line.split(" ")
        for k, w in enumerate(words):
            if w and rng.randrange(5) == 0:
                i = rng.randint(1, len(w))
                w = w[:i] + rng.choice(MARKS[:9] + BIDI) + w[i:]
            out.append(w)
            if k < len(words) - 1:
                out.append(rng.choice([" ", " ", " ", " 😀 ", " \u200f", "\u202b \u202c", " 🇸🇦 "]))
        out.append(rng.choice(["\n", "\r\n", "\n\r\n"]))
    return "".join(out)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 7), st.integers(0, 2**32))
def test_a_decorated_copy_of_a_real_article_is_found_with_valid_offsets(ant: list[dict], k: int, seed: int) -> None:
    rng = random.Random(seed)
    inputs = [redecorated(ant[k]["text"], rng), redecorated(ant[k]["text"], rng)]
    texts, arts, pairs, stories, _ = scan_texts(inputs)
    assert list(texts) == ["d0", "d1"] and texts["d0"] == inputs[0]
    (pair,) = pairs
    check_pair(pair, texts)
    assert pair["relation"] in ("duplicate", "near_duplicate") and pair["coverage_a"] > 0.8
    for rec in arts:
        check_article(rec)
    check_stories(stories, texts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(article_pair(surrogates=True))
def test_compare_in_memory_offsets_are_valid_even_with_lone_surrogates(pair: tuple[str, str]) -> None:
    a, b = Article(id="a", text=pair[0]), Article(id="b", text=pair[1])
    rec = khabar.compare(a, b)
    for art in (a, b):
        check_article({"text": art.text, "segments": [s.to_json() for s in art.segments]})
    if rec["passages"]:
        check_pair(rec, {"a": a.text, "b": b.text})


mixed = st.lists(
    st.one_of(
        st.sampled_from(list(LETTERS + MARKS + BIDI + "ـ٠١٢٣ ،.«»abcXYZ019\t") + EMOJI + BREAKS + SURROGATES),
        st.characters(),
    ),
    max_size=200,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(mixed)
def test_normalizer_offset_map_and_word_offsets(text: str) -> None:
    n = normalize(text)
    assert_offset_map(n, text)
    v = view(text)
    starts, ends = v.word_starts.tolist(), v.word_ends.tolist()
    # the reuse units' int32 offsets, in one compiled pass, are the same
    unit = article_units(Article(id="x", text=text, segments=[Segment(0, len(text), "body")]), 0)
    assert [u.starts.tolist() for u in unit] == ([starts] if starts else [])
    assert [u.ends.tolist() for u in unit] == ([ends] if ends else [])
    for word, s, e in zip(word_strings(v.norm, v.words), starts, ends, strict=True):
        assert 0 <= s < e <= len(text)
        # the original span (with marks that compose with its last letter) normalizes to the word
        while e < len(text) and unicodedata.category(text[e]) in ("Mn", "Cf"):
            e += 1
        assert word in normalize_text(text[s:e]), (word, text[s:e])
