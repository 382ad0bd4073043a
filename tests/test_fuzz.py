"""Fuzz targets for the normalizer, the cleaner and the aligner (hypothesis).

Kept short in CI; for a long run: ``KHABAR_FUZZ_EXAMPLES=100000 python -m pytest tests/test_fuzz.py``
(see also ``tools/fuzz_atheris.py`` for coverage-guided fuzzing with atheris).
"""

from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khabar.align import AlignParams, Passage, align_units
from khabar.article import Article
from khabar.clean import clean_articles
from khabar.fingerprint import Unit, article_units
from khabar.normalize import normalize, normalize_text
from khabar.reuse import compare_articles
from tests.conftest import assert_offset_map

EXAMPLES = int(os.environ.get("KHABAR_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# any code point, lone surrogates included
any_char = st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr), st.sampled_from("اأإآىةؤئءـ\u0654\u0653"))
any_text = st.lists(any_char, max_size=400).map("".join)
# texts from a small vocabulary, so that alignments happen, with hostile separators
VOCAB = ["قال", "الوزير", "إن", "المحادثات", "في", "العاصمة", "أميركي", "ترامب", "٣", "2024", "مسؤول", "الأمن"]
SEPS = [" ", " ", " ", "\n", "\r\n", "، ", ". ", "\u200f", " 😀 ", "\u0651 ", "\t"]


@st.composite
def vocab_text(draw: st.DrawFn) -> str:
    n = draw(st.integers(0, 120))
    rng = random.Random(draw(st.integers(0, 2**32)))
    return "".join(rng.choice(VOCAB) + rng.choice(SEPS) for _ in range(n))


@st.composite
def edited(draw: st.DrawFn, text: str) -> str:
    """``text`` with words dropped, inserted and swapped."""
    words = text.split(" ")
    rng = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(rng.randint(0, 12)):
        op = rng.randrange(3)
        i = rng.randrange(len(words) + 1)
        if op == 0 and i < len(words):
            del words[i]
        elif op == 1:
            words.insert(i, rng.choice(VOCAB))
        elif i + 1 < len(words):
            words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


@FUZZ
@given(any_text)
def test_fuzz_normalizer(text: str) -> None:
    n = normalize(text)
    assert_offset_map(n, text)
    for i in range(0, len(n.text), max(1, len(n.text) // 16)):
        s, e = n.original_span(i, i + 1)
        assert 0 <= s < e <= len(text)
    assert normalize_text(n.text) == n.text  # idempotent


def check_passage(p: Passage, a: Unit, b: Unit, ta: str, tb: str) -> None:
    assert 0 <= p.a0 < p.a1 <= len(a) and 0 <= p.b0 < p.b1 <= len(b)
    assert (p.a_start, p.a_end) == (int(a.starts[p.a0]), int(a.ends[p.a1 - 1]))
    assert (p.b_start, p.b_end) == (int(b.starts[p.b0]), int(b.ends[p.b1 - 1]))
    assert 0 <= p.a_start < p.a_end <= len(ta) and 0 <= p.b_start < p.b_end <= len(tb)
    # matched words are counted on one side: with repeated words the other side may hold fewer
    assert 0 < p.score <= 1 and 0 < p.matched <= max(p.a1 - p.a0, p.b1 - p.b0)


def _cleaned(*texts: str) -> list[Article]:
    arts = [Article(id=f"d{k}", text=t) for k, t in enumerate(texts)]
    clean_articles(arts, learn_templates=False)
    return arts


@FUZZ
@given(st.data())
def test_fuzz_aligner(data: st.DataObject) -> None:
    ta = data.draw(st.one_of(vocab_text(), any_text))
    tb = data.draw(st.one_of(edited(ta), vocab_text(), any_text))
    a, b = _cleaned(ta, tb)
    for art in (a, b):
        assert art.segments[0].start == 0 if art.text else art.segments == []
        if art.segments:
            assert art.segments[-1].end == len(art.text)
            assert all(s.end == t.start for s, t in zip(art.segments, art.segments[1:], strict=False))
    params = AlignParams(min_words=data.draw(st.integers(1, 8)), gap=data.draw(st.integers(0, 30)))
    for x in article_units(a, 0):
        for y in article_units(b, 1):
            for p in align_units(x, y, params):
                check_passage(p, x, y, ta, tb)


@FUZZ
@given(vocab_text(), st.data())
def test_fuzz_compare_is_symmetric(ta: str, data: st.DataObject) -> None:
    tb = data.draw(edited(ta))
    a, b = _cleaned(ta, tb)
    ab, ba = compare_articles(a, b), compare_articles(b, a)
    for p in ab["passages"]:
        assert 0 <= p["a_start"] < p["a_end"] <= len(ta) and 0 <= p["b_start"] < p["b_end"] <= len(tb)
    mirrored = sorted((p["b_start"], p["b_end"], p["a_start"], p["a_end"]) for p in ba["passages"])
    assert sorted((p["a_start"], p["a_end"], p["b_start"], p["b_end"]) for p in ab["passages"]) == mirrored
