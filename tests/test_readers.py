from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from khabar.errors import KhabarError, RecordError
from khabar.readers import files
from khabar.scan import read_all, scan
from tests.conftest import json_values

HTML = """<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="{charset}"><title>عنوان الصفحة</title></head>
<body><nav><a href="/">الرئيسية</a> | <a href="/news">أخبار</a> | <a href="/sport">رياضة</a></nav>
<article><h1>وزير الخارجية يبحث ملفات التعاون</h1>
<p>قال وزير الخارجية إن المحادثات التي جرت في العاصمة استمرت ساعات طويلة وتناولت ملفات عديدة بينها الأمن والاقتصاد.</p>
<p>وأوضح المتحدث باسم الحكومة أن اللجنة المشتركة ستعقد اجتماعها الأول الشهر المقبل لبحث تفاصيل الاتفاق.</p>
<p>وأضاف أن الوفود ستضم خبراء من وزارات المالية والتجارة والنقل، وأن النتائج ستعلن في مؤتمر صحفي.</p>
</article><footer>جميع الحقوق محفوظة © 2024</footer></body></html>"""


def write(path: Path, data: str | bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return str(path)


def test_jsonl_bad_records_are_reported_with_file_and_line(tmp_path: Path) -> None:
    good = {"id": "g1", "text": "نص الخبر الأول", "title": "عنوان", "source": "site", "lang": "ar"}
    lines = [
        json.dumps(good, ensure_ascii=False).encode(),
        b"{not json",
        json.dumps({"id": "m1", "title": "no text"}).encode(),
        b'{"id": "u1", "text": "\xff\xfe bad bytes"}',
        json.dumps({"id": "e1", "text": "   "}).encode(),
        json.dumps({"id": "g1", "text": "نص مكرر"}, ensure_ascii=False).encode(),
        json.dumps({"id": 7, "text": "رقم"}, ensure_ascii=False).encode(),
        b"",
        b"[1, 2]",
    ]
    f = write(tmp_path / "in.jsonl", b"\n".join(lines) + b"\n")
    articles, errors, _ = read_all([f])
    assert [a.id for a in articles] == ["g1", "7"]
    assert articles[0].extra == {"lang": "ar"}
    assert [(e.line, e.file) for e in errors] == [(2, f), (3, f), (4, f), (5, f), (6, f), (9, f)]
    messages = [str(e) for e in errors]
    assert messages[0].startswith(f"{f}:2: invalid JSON")
    assert "no 'text' or 'html'" in messages[1]
    assert "invalid UTF-8" in messages[2]
    assert "empty text" in messages[3]
    assert "duplicate id 'g1'" in messages[4]
    assert "expected a JSON object" in messages[5]


def test_scan_accounts_for_every_record(tmp_path: Path) -> None:
    f = write(tmp_path / "in.jsonl", '{"id": "a", "text": "نص"}\n{broken\n')
    result = scan([f], out=tmp_path / "out")
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["records_read"] == s["articles"] + s["errors"] == 2
    errors = [json.loads(line) for line in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert errors == [{"file": f, "line": 2, "id": None, "error": errors[0]["error"]}]
    assert len(result.articles) == 1


def test_gzip_jsonl_and_bom(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl.gz"
    with gzip.open(f, "wb") as fh:
        fh.write(b"\xef\xbb\xbf" + json.dumps({"id": "a", "text": "نص"}, ensure_ascii=False).encode() + b"\n")
    articles, errors, _ = read_all([str(f)])
    assert [a.id for a in articles] == ["a"] and not errors


@pytest.mark.parametrize("decompressor", ["isal", "gzip"])
def test_gzip_jsonl_by_either_decompressor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, decompressor: str) -> None:
    """ISA-L reads a gzipped JSONL (several members too) as the standard library does, and without
    isal the standard library reads it; a corrupt stream is one error after the records before it."""
    if decompressor == "gzip":
        monkeypatch.setattr(files, "_gzip", gzip)
        monkeypatch.setattr(files, "_decompressobj", zlib.decompressobj)
    else:
        assert files._gzip.__name__ == "isal.igzip" and files._decompressobj.__module__.startswith("isal")
    texts = [" ".join(f"نص {j:x}" for j in range(k * 500, k * 500 + 500)) for k in range(300)]
    lines = [json.dumps({"id": str(k), "text": t}).encode() + b"\n" for k, t in enumerate(texts)]
    whole = tmp_path / "in.jsonl.gz"
    whole.write_bytes(gzip.compress(b"".join(lines[:200])) + gzip.compress(b"".join(lines[200:])))
    assert [raw for _, raw in files.jsonl_lines(str(whole))] == lines
    broken = bytearray(gzip.compress(b"".join(lines)))
    for k in range(len(broken) * 4 // 5, len(broken) * 4 // 5 + 8):
        broken[k] ^= 0xA5
    (tmp_path / "bad.jsonl.gz").write_bytes(bytes(broken))
    articles, errors, _ = read_all([str(tmp_path / "bad.jsonl.gz")], warn=False)
    assert 100 < len(articles) < 300 and [a.id for a in articles] == [str(k) for k in range(len(articles))]
    assert len(errors) == 1 and "cannot read the rest of the file" in errors[0].message, errors
    # every whole line before the damage is read (a gzip file object dropped those it had decompressed
    # but not yet returned: all 20 lines of a small file followed by junk)
    small = gzip.compress(b"".join(lines[:20]))
    for damaged, whole_lines in ((small + b"junk", 20), (small[:-12], 19), (small[: len(small) // 2], None)):
        (tmp_path / "d.jsonl.gz").write_bytes(damaged)
        if whole_lines is None:  # as many as the first half of the stream holds
            inflate = zlib.decompressobj(31)
            held = inflate.decompress(damaged) + inflate.flush()
            whole_lines = held.count(b"\n")
        got = list(files.jsonl_lines(str(tmp_path / "d.jsonl.gz")))
        assert [raw for _, raw in got[:-1]] == lines[:whole_lines] and whole_lines > 0
        assert isinstance(got[-1], RecordError) and f"after line {whole_lines}:" in got[-1].message
        if damaged.endswith(b"junk"):
            assert got[-1].message.endswith(": junk after the gzip data")
    (tmp_path / "plain.jsonl.gz").write_bytes(b"".join(lines[:3]))  # named .gz, not gzipped
    (only,) = files.jsonl_lines(str(tmp_path / "plain.jsonl.gz"))
    assert isinstance(only, RecordError) and only.message.endswith("after line 0: not a gzip file")


def test_text_encodings(tmp_path: Path) -> None:
    text = "قال المتحدث إن الاجتماع سيعقد غدا"
    files = [
        write(tmp_path / "utf8.txt", text),
        write(tmp_path / "bom.txt", b"\xef\xbb\xbf" + text.encode()),
        write(tmp_path / "cp1256.txt", text.encode("cp1256")),
        write(tmp_path / "utf16.txt", text.encode("utf-16")),
    ]
    articles, errors, _ = read_all(files)
    assert not errors
    assert [a.text for a in articles] == [text] * 4
    assert [a.id for a in articles] == files


def test_html_extraction_respects_charset(tmp_path: Path) -> None:
    f = write(tmp_path / "page.html", HTML.format(charset="windows-1256").encode("cp1256"))
    articles, errors, _ = read_all([f])
    assert not errors
    text = articles[0].text
    assert "قال وزير الخارجية" in text and "النتائج ستعلن" in text
    assert "الرئيسية" not in text
    assert articles[0].title


def test_html_in_jsonl(tmp_path: Path) -> None:
    rec = {"id": "h", "html": HTML.format(charset="utf-8"), "url": "https://example.org/a"}
    f = write(tmp_path / "in.jsonl", json.dumps(rec, ensure_ascii=False) + "\n")
    articles, errors, _ = read_all([f])
    assert not errors and "اللجنة المشتركة" in articles[0].text


def test_directories_are_walked_in_sorted_order(tmp_path: Path) -> None:
    write(tmp_path / "d" / "b.txt", "ب")
    write(tmp_path / "d" / "a" / "z.txt", "ز")
    write(tmp_path / "d" / "c.jsonl", '{"id": "c1", "text": "ج"}\n')
    write(tmp_path / "d" / "notes.md", "ignored")
    articles, errors, skipped = read_all([str(tmp_path / "d")])
    assert [a.text for a in articles] == ["ز", "ب", "ج"]
    assert skipped == [str(tmp_path / "d" / "notes.md")]


def test_a_scans_output_directory_inside_an_input_directory_is_not_read(tmp_path: Path) -> None:
    """``khabar scan data --out data/out`` run again must not read its own outputs back as articles;
    a killed scan's directory (checkpoints, no summary yet) neither; named itself, it is read."""
    data = tmp_path / "data"
    write(data / "a.txt", "خبر أول عن الاقتصاد")
    write(data / "b.txt", "خبر ثان عن السياسة")
    first = scan([str(data)], out=data / "out")
    again = scan([str(data)], out=data / "out")
    assert [a.id for a in again.articles] == [a.id for a in first.articles] and not again.errors
    assert again.summary["skipped_files"] == [str(data / "out") + "/"]
    (data / "killed" / ".khabar-resume").mkdir(parents=True)
    write(data / "killed" / "pairs.jsonl", '{"a": "x", "b": "y"}\n')
    write(data / "notes" / "summary.json", '{"not": "khabar"}')  # someone else's summary: read
    write(data / "notes" / "c.txt", "خبر ثالث")
    _, errors, skipped = read_all([str(data)])
    assert not errors and skipped == [
        str(data / "killed") + "/",
        str(data / "out") + "/",
        str(data / "notes" / "summary.json"),
    ]
    articles, errors, _ = read_all([str(data / "out")])  # named as an input: read
    assert [a.id for a in articles] == [str(data / "a.txt"), str(data / "b.txt")] and errors
    assert all(e.file.endswith("stories.jsonl") for e in errors)  # a story is no article


def test_a_scan_output_directory_with_a_long_summary_is_recognised(tmp_path: Path) -> None:
    """A crawl with many files of other types makes summary.json long (its skipped_files)."""
    write(tmp_path / "data" / "a.txt", "خبر أول عن الاقتصاد")
    summary = {"khabar_version": "0", "skipped_files": [f"crawl/{k:07d}.png" for k in range(80_000)]}
    write(tmp_path / "data" / "out" / "summary.json", json.dumps(summary))
    assert (tmp_path / "data" / "out" / "summary.json").stat().st_size > 1 << 20
    write(tmp_path / "data" / "out" / "articles.jsonl", '{"id": "x", "text": "نص"}\n')
    articles, errors, skipped = read_all([str(tmp_path / "data")])
    assert [a.id for a in articles] == [str(tmp_path / "data" / "a.txt")] and not errors
    assert skipped == [str(tmp_path / "data" / "out") + "/"]


def test_gzipped_text_and_html_files_read_as_the_plain_ones(tmp_path: Path) -> None:
    text = "قال المتحدث إن الاجتماع انتهى دون اتفاق.\nوأضاف أن المحادثات ستستأنف الأسبوع المقبل."
    html = (
        "<html><head><title>عنوان</title></head><body><article>"
        + "".join(f"<p>{line}</p>" for line in text.split("\n"))
        + "</article></body></html>"
    )
    write(tmp_path / "plain" / "a.txt", text.encode("cp1256"))  # decoded by the same rules, gzipped or not
    write(tmp_path / "plain" / "b.html", html)
    write(tmp_path / "gz" / "a.txt.gz", gzip.compress(text.encode("cp1256")))
    write(tmp_path / "gz" / "b.html.gz", gzip.compress(html.encode()))
    whole = gzip.compress(text.encode())
    write(tmp_path / "gz" / "c.txt.gz", whole[: len(whole) // 2])
    write(tmp_path / "gz" / "d.htm.gz", b"<html>not gzipped</html>")
    plain, _, _ = read_all([str(tmp_path / "plain")])
    got, errors, skipped = read_all([str(tmp_path / "gz")])
    assert not skipped and [(a.text, a.title) for a in got] == [(a.text, a.title) for a in plain]
    assert got[0].text == text and got[1].title == "عنوان"
    assert [(e.file, e.line) for e in errors] == [(str(tmp_path / "gz" / n), 0) for n in ("c.txt.gz", "d.htm.gz")]
    assert all(e.message.startswith("cannot read: ") for e in errors)


def test_undecodable_text_file(tmp_path: Path) -> None:
    f = write(tmp_path / "junk.txt", bytes(range(128, 256)) * 4)
    articles, errors, _ = read_all([f])
    assert not articles and len(errors) == 1 and str(errors[0]).startswith(f"{f}: not UTF-8")


def test_mojibake_is_reported_not_indexed(tmp_path: Path, ant: list[dict]) -> None:
    import json

    from khabar.scan import read_all

    good = ant[0]["text"]
    broken = good.encode("utf-8").decode("cp1252", errors="replace")  # what a mis-configured crawler stores
    latin = good.encode("utf-8").decode("latin-1")
    src = tmp_path / "in.jsonl"
    lines = [{"id": "ok", "text": good}, {"id": "bad1", "text": broken}, {"id": "bad2", "text": latin}]
    src.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    (tmp_path / "page.txt").write_text(latin, encoding="utf-8")
    articles, errors, _ = read_all([str(src), str(tmp_path / "page.txt")], warn=False)
    assert [a.id for a in articles] == ["ok"]
    assert [(e.line, e.id) for e in errors] == [(2, "bad1"), (3, "bad2"), (0, str(tmp_path / "page.txt"))]
    assert all("mojibake" in e.message and "«" in e.message for e in errors)
    # Arabic text with a few Latin letters (names, «Ø» in a Danish name) is not mojibake
    articles, errors, _ = read_all([str(_write(tmp_path, good + "\nSøren Ødegaard"))], warn=False)
    assert len(articles) == 1 and not errors


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mixed.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_iso_8859_6_and_windows_1256_are_told_apart(tmp_path: Path, ant: list[dict]) -> None:
    from khabar.readers.decode import arabic_score, decode

    text = ant[0]["text"][:3000]
    iso = text.encode("iso-8859-6", errors="ignore")
    cp = text.encode("cp1256", errors="ignore")
    assert decode(iso) == (iso.decode("iso-8859-6"), "iso-8859-6")
    assert decode(cp) == (cp.decode("cp1256"), "cp1256")
    # ISO-8859-6 bytes also decode as Windows-1256, into text that still looks 75-85% Arabic ...
    assert 0.7 < arabic_score(iso.decode("cp1256")) < 0.9 < arabic_score(iso.decode("iso-8859-6"))
    # ... while Windows-1256 Arabic uses bytes ISO-8859-6 leaves undefined (غ ـ ف ق ك)
    with pytest.raises(UnicodeDecodeError):
        cp.decode("iso-8859-6")
    # a short text that is Arabic in both is Windows-1256 (the tie rule); one in ISO only is ISO
    assert decode("نعم".encode("iso-8859-6"))[1] == "cp1256"
    assert decode("قال".encode("iso-8859-6")) == ("قال", "iso-8859-6")


def test_iso_8859_6_files_and_pages(tmp_path: Path) -> None:
    text = "قال المتحدث إن الاجتماع سيعقد غدا في العاصمة لبحث ملفات التعاون والطاقة"
    body = HTML.replace('<meta charset="{charset}">', "{meta}")
    files = [
        write(tmp_path / "iso.txt", text.encode("iso-8859-6")),
        write(
            tmp_path / "declared.html", body.format(meta='<meta charset="iso-8859-6">').encode("iso-8859-6", "replace")
        ),
        write(tmp_path / "undeclared.html", body.format(meta="").encode("iso-8859-6", "replace")),
        write(
            tmp_path / "http-equiv.html",
            body.format(meta='<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-6-I">').encode(
                "iso-8859-6", "replace"
            ),
        ),
        # declared ISO-8859-6 but really Windows-1256 (a common mislabel): the declaration does not fit
        write(tmp_path / "mislabelled.html", body.format(meta='<meta charset="iso-8859-6">').encode("cp1256")),
    ]
    articles, errors, _ = read_all(files)
    assert not errors
    assert articles[0].text == text
    for a in articles[1:]:
        assert "قال وزير الخارجية" in a.text and "النتائج ستعلن" in a.text, a.id


def test_iso_8859_6_declared_as_windows_1256_is_read_as_iso(tmp_path: Path) -> None:
    from khabar.readers.decode import decode_declared

    mislabelled = HTML.format(charset="windows-1256").encode("iso-8859-6", "replace")
    (a,), errors, _ = read_all([write(tmp_path / "mislabelled.html", mislabelled)])
    assert not errors and "قال وزير الخارجية" in a.text and "النتائج ستعلن" in a.text
    # what the declaration says is kept when it reads well: Windows-1256 Arabic, and a French page
    cp = HTML.format(charset="windows-1256").encode("cp1256")
    assert decode_declared(cp, "windows-1256") == (cp.decode("cp1256"), "windows-1256")
    french = "Déjà vu : le café est prêt, très bien.".encode("cp1256")
    assert decode_declared(french, "Windows-1256") == (french.decode("cp1256"), "windows-1256")
    assert decode_declared(b"abc", "no-such-charset") is None
    assert decode_declared("قال".encode("cp1256"), "iso-8859-6") is None  # ق is not in ISO-8859-6


def test_latin_junk_is_not_taken_for_a_legacy_arabic_page(tmp_path: Path) -> None:
    f = write(tmp_path / "latin.txt", "Déjà vu: àâçèéêë îïôœùûü ÀÂÇÈÉÊË".encode("cp1252") * 20)
    articles, errors, _ = read_all([f])
    assert not articles and "not Arabic Windows-1256 or ISO-8859-6" in errors[0].message


def test_oversized_pages_and_texts_are_cut_with_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from khabar.readers import html, records

    monkeypatch.setattr(html, "MAX_HTML_CHARS", 3000)
    monkeypatch.setattr(records, "MAX_CHARS", 1000)
    paras = "".join(f"<p>قال وزير الخارجية إن المحادثات التي جرت في العاصمة استمرت ساعات {k}</p>\n" for k in range(100))
    page = f"<html><body><article>{paras}</article></body></html>"
    text = "".join(f"سطر رقم {k} من نص طويل جدا\n" for k in range(200))
    f1 = write(tmp_path / "page.html", page)
    f2 = write(
        tmp_path / "in.jsonl",
        json.dumps({"id": "h", "html": page}) + "\n" + json.dumps({"id": "t", "text": text}) + "\n",
    )
    articles, errors, _ = read_all([f1, f2], warn=False)
    assert not errors
    a, b, c = articles
    for art in (a, b):
        assert art.cut and art.cut.startswith(f"HTML of {len(page):,} characters cut to its first ")
        assert "ساعات 0" in art.text and "ساعات 99" not in art.text
    assert c.cut == f"article of {len(text):,} characters cut to its first {len(c.text):,} (the maximum is 1,000)"
    assert 500 <= len(c.text) <= 1000 and c.text.endswith("\n") and text.startswith(c.text)
    result = scan([f1, f2], out=tmp_path / "out", warn=False)
    assert result.summary["cut"] == 3 and result.summary["errors"] == 0


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.text(
            alphabet=st.one_of(
                st.characters(min_codepoint=0, max_codepoint=0x10FFFF),
                st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
            )
        ),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
        max_leaves=6,
    ),
    st.booleans(),
)
@example("\udc00", True)
@example(["x", {"k": "\ud83d"}], True)
def test_surrogate_prefilter_never_misses_one(value: object, ascii_only: bool) -> None:
    """The JSONL reader skips the lone-surrogate search for lines without a surrogate escape: every
    line that decodes as UTF-8 and holds a lone surrogate must have such an escape."""
    from khabar.readers.files import _SURROGATE_ESCAPE
    from khabar.readers.sanity import lone_surrogate

    try:
        raw = json.dumps({"text": value}, ensure_ascii=ascii_only).encode("utf-8")
    except UnicodeEncodeError:
        return  # a raw surrogate is not UTF-8: the reader reports the line as invalid UTF-8
    if lone_surrogate(json.loads(raw)) is not None:
        assert _SURROGATE_ESCAPE.search(raw)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.recursive(
            st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=5),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
            max_leaves=8,
        ).map(json.dumps),
        st.text(alphabet='{}[]":,0123456789.eE+-tfnulNaIy \ufeff\\', max_size=20),
    ),
    st.booleans(),
)
def test_strict_loads_is_json_loads_with_one_decoder(text: str, as_bytes: bool) -> None:
    """readers.sanity.loads reuses one decoder; it must accept and reject exactly what json.loads does
    with the same hooks (the BOM check, bytes decoding and all)."""
    from khabar.readers import sanity

    doc = text.encode("utf-8", "surrogatepass") if as_bytes else text
    try:
        expected = json.loads(doc, parse_constant=sanity._constant, parse_float=sanity._float)
    except Exception:  # noqa: BLE001 - whatever json.loads rejects, loads must reject (as JSONInvalid)
        with pytest.raises(sanity.JSONInvalid):
            sanity.loads(doc)
        return
    assert sanity.loads(doc) == expected


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet=st.sampled_from([*"\x00\x01\x08\t\n\x0b\x0c\r\x0e\x1f \x7f\x80aب"]), max_size=300),
    st.integers(0, 300),
)
def test_compiled_binary_check_equals_the_regex_reference(text: str, pad: int) -> None:
    from khabar.readers import sanity

    for t in (text, "x" * pad + text, text * 80):  # * 80: past the 20,000-character sample
        assert sanity.binary_junk(t) == sanity.binary_junk_reference(t)


_JSON_VALUES = json_values([*'aب\n"\\/\x00\x7f', "\ud800", "\udc00", "\ufeff", "\U0001f600"])


@settings(max_examples=400, deadline=None)
@given(_JSON_VALUES, st.booleans(), st.integers(0, 70))
@example(None, True, 1010)  # deeper than the careful reader's nesting limit
def test_fast_json_lines_read_as_the_careful_reader_or_defer_to_it(value: object, ascii_: bool, depth: int) -> None:
    """orjson's reading is taken only when it is exactly the strict reader's (same types too)."""
    import json

    from khabar.readers.sanity import NOT_FAST, loads, loads_fast

    text = "[" * depth + json.dumps(value, ensure_ascii=ascii_) + "]" * depth
    raw = text.encode("utf-8", "surrogatepass")
    fast = loads_fast(raw)
    if fast is NOT_FAST:
        return
    assert repr(fast) == repr(loads(text))  # repr tells an int from a float, and shows surrogates
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:  # orjson took bytes that are not UTF-8
        raise AssertionError("invalid UTF-8 read") from None
    assert not isinstance(fast, float)


def test_an_ordinary_record_is_read_fast() -> None:
    from khabar.readers.sanity import loads_fast

    raw = '{"id": "x", "text": "نص الخبر", "n": 3, "tags": ["a", null, true]}'.encode()
    assert loads_fast(raw) == {"id": "x", "text": "نص الخبر", "n": 3, "tags": ["a", None, True]}


def _records(recs: list) -> list[tuple]:  # noqa: ANN401
    out = []
    for r in recs:
        if hasattr(r, "text"):
            out.append(("article", r.id, r.text, r.title, r.origin, r.cut))
        else:
            out.append((type(r).__name__, str(r)))
    return out


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.builds(
                lambda k, t: json.dumps({"id": f"r{k}", "text": t}, ensure_ascii=False),
                st.integers(0, 9),
                st.text(min_size=1, max_size=30),
            ),
            st.sampled_from(["", "   ", "{broken", '{"id": "x"}', '{"id": "bom", "text": "نص"}']),
            st.just('{"text": "بلا معرف"}'),  # its id is its line's: path:line
        ),
        max_size=30,
    ),
    st.integers(1, 64),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_a_jsonl_file_read_in_byte_ranges_gives_the_records_of_reading_it_whole(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], part_bytes: int, sep: str, bom: bool
) -> None:
    """Parts cut at line breaks, each read with its true line numbers: the same records, errors
    (with their line numbers) and order as one read of the file."""
    from khabar.readers.files import read_file
    from khabar.readers.parts import in_order, parts_of, read_part

    path = tmp_path_factory.mktemp("parts") / "in.jsonl"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + sep.join(lines).encode("utf-8"))
    parts = parts_of([str(path)], part_bytes)
    assert parts[0].start == 0 and parts[-1].end == -1
    assert all(a.end == b.start for a, b in zip(parts, parts[1:], strict=False))
    got = list(in_order(parts, [read_part(p) for p in parts]))
    assert _records(got) == _records(list(read_file(str(path))))


def test_pages_read_by_workers_come_back_in_input_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from khabar.readers import parts

    monkeypatch.setattr(parts, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(parts, "FILES_PER_PART", 3)
    monkeypatch.setattr(parts, "PART_BYTES", 300)
    for k in range(10):
        write(tmp_path / "in" / f"p{k:02d}.html", HTML.format(charset="utf-8").replace("عنوان الصفحة", f"صفحة {k}"))
    write(tmp_path / "in" / "bad.html", b"\x00\x01\x02 binary")
    rows = [json.dumps({"id": f"j{k}", "text": f"نص رقم {k} " * 5}, ensure_ascii=False) for k in range(40)]
    write(tmp_path / "in" / "z.jsonl", "\n".join([*rows[:20], "{broken", *rows[20:]]) + "\n")
    files = sorted(str(p) for p in (tmp_path / "in").iterdir())
    assert len(parts.parts_of(files)) > 5  # pages three to a part, the JSONL file in byte ranges
    for jobs in (1, 2):
        one, errors_one, _ = read_all([str(tmp_path / "in")], warn=False, jobs=1)
        many, errors_many, _ = read_all([str(tmp_path / "in")], warn=False, jobs=jobs)
        assert _records(many) == _records(one) and len(many) == 50
        assert [str(e) for e in errors_many] == [str(e) for e in errors_one]
        assert any(":21: invalid JSON" in str(e) for e in errors_many)


def test_links_fifos_and_colons_in_directories(tmp_path: Path) -> None:
    """A linked directory is read (once, even when links lead to it twice or into themselves); a FIFO
    is skipped, not waited on; a path with colons is named whole in an error."""
    import os

    text = "قال المتحدث إن الاجتماع انتهى دون اتفاق على موعد جديد."
    (tmp_path / "real").mkdir()
    (tmp_path / "in").mkdir()
    write(tmp_path / "real" / "a.txt", text)
    write(tmp_path / "in" / "b.txt", text + " وأضاف")
    os.symlink("../real", tmp_path / "in" / "linked")
    os.symlink("../real", tmp_path / "in" / "twice")
    os.symlink("..", tmp_path / "in" / "up")
    os.mkfifo(tmp_path / "in" / "pipe.txt")
    articles, errors, skipped = read_all([str(tmp_path / "in")], warn=False)
    assert sorted(a.id for a in articles) == sorted(
        [str(tmp_path / "in" / "b.txt"), str(tmp_path / "in" / "linked" / "a.txt")]
    )
    assert not errors
    assert str(tmp_path / "in" / "pipe.txt") in skipped
    assert str(tmp_path / "in" / "twice") + os.sep in skipped  # the same directory as linked/
    with pytest.raises(KhabarError, match="not a regular file or a directory"):
        read_all([str(tmp_path / "in" / "pipe.txt")])
    odd = tmp_path / "c:12"
    odd.mkdir()
    f = write(odd / "x:7.txt", text)
    _, errors, _ = read_all([f, f], warn=False)
    assert [(e.file, e.line) for e in errors] == [(f, 0)] and "duplicate id" in errors[0].message


def test_json_errors_say_where_once() -> None:
    from khabar.readers.sanity import JSONInvalid, loads

    with pytest.raises(JSONInvalid, match=r"^Invalid control character at column 7$"):
        loads('{"a":"\x01"}')
