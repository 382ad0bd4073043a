from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from khabar.normalize import VERSION, normalize, normalize_text

ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئةى"
DIACRITICS = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670"
arabic_words = st.text(alphabet=ARABIC_LETTERS, min_size=1, max_size=8)
arabic_text = st.lists(arabic_words, min_size=1, max_size=30).map(" ".join)
mixed_text = st.text(
    alphabet=st.sampled_from(
        list(ARABIC_LETTERS + DIACRITICS + "ـ٠١٢٣٤٥٦٧٨٩۰۱۲کی،؛؟«» \n\r\t.abcXYZ123")
        + ["\u200f", "\u200b", "\u202b", "\ufeff", "ﻻ", "ﷺ", "ﺑ", "\u0654", "\u0653", "😀", "\u0301", "\ud800"]
    ),
    max_size=200,
)


def test_version_is_recorded() -> None:
    assert VERSION == "1"


def test_tables() -> None:
    assert normalize_text("أإآٱ") == "اااا"
    assert normalize_text("مستشفى") == "مستشفي"
    assert normalize_text("مدرسة") == "مدرسه"
    assert normalize_text("مسؤول") == normalize_text("مسئول") == "مسءول"
    assert normalize_text("کتاب یوم") == "كتاب يوم"
    assert normalize_text("٣ ۴ 5") == "3 4 5"
    assert normalize_text("قالـــت") == "قالت"
    assert normalize_text("نعم، لا؛ متى؟ «نص»") == 'نعم, لا; متي? "نص"'
    assert normalize_text("ﻻ") == "لا"
    assert normalize_text("a\u200fb\u200bc\u202bd\ufeffe") == "abcde"
    assert normalize_text("ABC") == "abc"


def test_respellings_agree() -> None:
    assert normalize_text("الأميركية") == normalize_text("الأمريكية")
    assert normalize_text("أميركا") == normalize_text("امريكا")


def test_decomposed_hamza_equals_precomposed() -> None:
    for word in ("أحمد", "إيران", "آمال", "مسؤول", "رئيس"):
        decomposed = unicodedata.normalize("NFD", word)
        assert decomposed != word
        assert normalize_text(decomposed) == normalize_text(word)


@given(arabic_text, st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(DIACRITICS + "ـ")), max_size=40))
def test_diacritized_equals_undiacritized(text: str, marks: list[tuple[int, str]]) -> None:
    chars = list(text)
    for pos, mark in sorted(marks, reverse=True):
        i = pos % (len(chars) + 1)
        if i > 0 and chars[i - 1] != " ":  # marks sit on letters
            chars.insert(i, mark)
    assert normalize_text("".join(chars)) == normalize_text(text)


@settings(max_examples=300)
@given(mixed_text)
@example("وـٔ")  # a hamza above composes with its waw across a tatweel (ؤ, then ء)
@example("و\u200bٔ")  # and across a zero-width space
def test_offset_map_points_into_original(text: str) -> None:
    n = normalize(text)
    assert len(n.src) == len(n.text)
    assert n.original_length == len(text)
    if len(n.src):
        assert n.src.min() >= 0 and n.src.max() < len(text)
        assert all(n.src[i] <= n.src[i + 1] for i in range(len(n.src) - 1))
    for i in range(len(n.text)):
        s, e = n.original_span(i, i + 1)
        assert 0 <= s < e <= len(text)
        # the original character (with the combining marks around it, which may compose with it:
        # و + tanween + hamza above is ؤ, also across what is dropped between them, a tatweel or a
        # zero-width space) normalizes to this output character
        while e < len(text) and (unicodedata.category(text[e]) == "Mn" or not normalize_text(text[e])):
            e += 1
        assert n.text[i] in normalize_text(text[max(0, s - 1) : e + 1])


@given(mixed_text)
def test_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@settings(max_examples=300)
@given(st.one_of(mixed_text, st.text(), st.text(alphabet=st.characters(min_codepoint=0x600, max_codepoint=0x6FF))))
def test_short_text_path_equals_the_offset_mapping_path(text: str) -> None:
    """normalize_text takes str.translate for short texts without ligatures or combining hamza;
    it must give exactly the text of the full normalizer (with its offset map)."""
    assert normalize_text(text) == normalize(text).text


def test_short_text_path_with_ligatures_and_long_text() -> None:
    for text in ("\ufefb الله \ufdf2 \u0627\u0654", "ـ" * 5000 + "أميركا", "\ufe8d\ufe8e " * 3000):
        assert normalize_text(text) == normalize(text).text


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=120))
def test_compiled_words_equal_the_numpy_reference(text: str) -> None:
    import numpy as np

    from khabar.normalize import Normalized
    from khabar.words import word_bounds, words, words_reference

    raw = text + "\ud83dب\udfff" + text  # lone surrogates are code points too
    for norm in (normalize(text), Normalized(raw, np.arange(len(raw)), len(raw))):
        got, ref = words(norm), words_reference(norm)
        assert got.starts.tolist() == ref.starts.tolist() and got.ends.tolist() == ref.ends.tolist()
        assert got.hashes.dtype == ref.hashes.dtype and got.hashes.tolist() == ref.hashes.tolist()
        assert [b.tolist() for b in word_bounds(norm)] == [ref.starts.tolist(), ref.ends.tolist()]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=40), st.integers(1, 7))
def test_compiled_grams_equal_the_numpy_reference(values: list[int], n: int) -> None:
    import numpy as np

    from khabar.fingerprint import grams, grams_reference

    h = np.array(values, dtype=np.uint64)
    assert grams(h, n).tolist() == grams_reference(h, n).tolist()
    assert grams(h[::2], n).tolist() == grams_reference(h[::2], n).tolist()  # a strided view, too


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=12), max_size=8), st.integers(1, 6))
def test_compiled_grams_of_runs_equal_each_run_s_grams(runs: list[list[int]], n: int) -> None:
    """The n-grams of many units at once (never across two units), and where each unit's start."""
    import numpy as np
    import pytest
    from khabar._text_kernel import grams_runs

    from khabar.fingerprint import grams_reference

    h = np.array([v for r in runs for v in r], dtype=np.uint64)
    bounds = np.cumsum([0, *map(len, runs)]).astype(np.int64)
    got, offsets = grams_runs(h, bounds, n)
    each = [grams_reference(np.array(r, dtype=np.uint64), n).tolist() for r in runs]
    assert [got[offsets[k] : offsets[k + 1]].tolist() for k in range(len(runs))] == each
    assert offsets[-1] == len(got) == sum(map(len, each))
    with pytest.raises(ValueError, match="ascend"):
        grams_runs(h, np.array([0, len(h) + 1], np.int64), n)


_ANY_TEXT = st.lists(
    st.one_of(
        st.characters(min_codepoint=0, max_codepoint=0x10FFFF),  # everything, mostly rare planes
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),  # Arabic: marks, hamza, digits
        st.characters(min_codepoint=0xFB50, max_codepoint=0xFEFF),  # presentation forms: expansions
        st.sampled_from(["\u0653", "\u0654", "\u0655", "\u0640", "\u200c", " ", "\n", "أميركي", "٣"]),
    ),
    max_size=80,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(_ANY_TEXT)
def test_compiled_normalize_equals_the_numpy_reference(text: str) -> None:
    from khabar.normalize import normalize_reference

    for t in (text, text + "\ud800"):  # a lone surrogate too
        got, ref = normalize(t), normalize_reference(t)
        assert got.text == ref.text and got.src.tolist() == ref.src.tolist()
        assert got.src.dtype == ref.src.dtype and got.original_length == ref.original_length
