"""The two seed pages of ../shared/samples: what the issue promises about them."""

from __future__ import annotations

from pathlib import Path

from khabar import compare, scan
from tests.conftest import SEED_A, SEED_B
from tests.test_reuse import covered

A = SEED_A.read_text(encoding="utf-8")
B = SEED_B.read_text(encoding="utf-8")
B_FIRST, B_LAST = "سوريا – صرح", "أمر لم يسر الطرف الروسي"
A_FIRST, A_LAST = "بعد نحو شهر من السقوط", "أمر لم يسر الطرف الروسي"


def region(text: str, first: str, last: str) -> tuple[int, int]:
    return text.index(first), text.index(last) + len(last)


def test_compare_aligns_the_nine_paragraphs_and_nothing_else() -> None:
    pair = compare(SEED_A, SEED_B)
    assert pair["relation"] == "overlap"
    b0, b1 = region(B, B_FIRST, B_LAST)
    a0, a1 = region(A, A_FIRST, A_LAST)
    assert pair["passages"]
    for p in pair["passages"]:
        assert b0 <= p["b_start"] < p["b_end"] <= b1
        assert a0 <= p["a_start"] < p["a_end"] <= a1
    nine = [line for line in B[b0:b1].split("\n") if line.strip()]
    assert len(nine) == 9
    spans = [(p["b_start"], p["b_end"]) for p in pair["passages"]]
    for para in nine[1:]:
        assert covered(B, spans, para) > 0.9, para[:40]
    # the first copied line starts with 002's own words («سوريا – صرح كامل صقر،»): its copied rest is found
    assert covered(B, spans, nine[0]) > 0.75


def test_scan_marks_the_seed_segments(tmp_path: Path) -> None:
    result = scan([SEED_A.parent], out=tmp_path)
    by_id = {a.id: a for a in result.articles}
    a, b = by_id[str(SEED_A.parent / SEED_A.name)], by_id[str(SEED_B.parent / SEED_B.name)]

    def kinds(article, needle: str) -> set[str]:  # noqa: ANN001
        s = article.text.index(needle)
        e = s + len(needle)
        return {seg.kind for seg in article.segments if seg.start < e and s < seg.end}

    appended = [s for s in b.segments if s.kind == "appended"]
    assert len(appended) == 1
    s0, s1 = region(b.text, "أردوغان يتوقع دعم سوريا", "رويترز")
    assert b.text[appended[0].start : appended[0].end].strip() == b.text[s0:s1]
    for needle in ("الاسم : *", "رمز التحقق", "المشاهدات: 1148", "جميع حقوق النشر محفوظة"):
        assert kinds(b, needle) == {"boilerplate"}
    for needle in (
        "جيد: المغرب يطور",
        "موقف إدارة الأهلي",
        "716.jpeg",
        "اشترك فى النشرة البريدية",
        "تابعنا على مواقع التواصل",
        "السابق محمد فضل",
        "التالى هات الكورة",
    ):
        assert kinds(a, needle) == {"boilerplate"}
    assert len(result.pairs) == 1 and result.pairs[0]["relation"] == "overlap"
