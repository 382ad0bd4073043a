"""Corpus-scale formats: WARC and Parquet input, Parquet output."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import khabar
from khabar.article import Article
from khabar.errors import RecordError
from khabar.parquet import read_records
from tests.conftest import SEED_A, SEED_B, json_values


def _page(title: str, body: str) -> str:
    paras = "".join(f"<p>{p}</p>" for p in body.split("\n") if p.strip())
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{paras}</article></body></html>"


def _response(writer: WARCWriter, url: str, body: bytes, content_type: str, status: str = "200 OK") -> None:
    http = StatusAndHeaders(status, [("Content-Type", content_type)] if content_type else [], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))


def _warc(path: Path, ant: list[dict]) -> None:
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=path.suffix == ".gz")
        w.write_record(w.create_warcinfo_record(path.name, {"software": "test"}))
        _response(w, "https://www.example-news.com/a1", _page(ant[0]["title"], ant[0]["text"]).encode(), "text/html")
        # Windows-1256, declared only by the HTTP header
        cp = _page(ant[1]["title"], ant[1]["text"]).encode("cp1256")
        _response(w, "https://other.example.org/b", cp, "text/html; charset=windows-1256")
        # ISO-8859-6 declared as Windows-1256 by the HTTP header (a common mislabel)
        iso = _page(ant[2]["title"], ant[2]["text"]).encode("iso-8859-6", "replace")
        _response(w, "https://third.example.net/c", iso, "text/html; charset=windows-1256")
        _response(w, "https://www.example-news.com/logo.png", b"\x89PNG....", "image/png")
        _response(w, "https://www.example-news.com/gone", b"<html></html>", "text/html", "404 Not Found")
        _response(w, "https://www.example-news.com/empty", b"<html><body></body></html>", "text/html")
        # served without a Content-Type: a page by its first bytes, or not
        untyped = b"\xef\xbb\xbf\n  <!DOCTYPE html>" + _page(ant[3]["title"], ant[3]["text"]).encode()
        _response(w, "https://fourth.example.com/d", untyped, "")
        _response(w, "https://fourth.example.com/blob", b"%PDF-1.4 <html>", "")
        get = io.BytesIO(b"GET /a1 HTTP/1.1\r\n\r\n")
        w.write_record(w.create_warc_record("https://www.example-news.com/a1", "request", payload=get))


def test_warc_pages_become_articles_and_every_record_is_accounted(tmp_path: Path, ant: list[dict]) -> None:
    warc = tmp_path / "crawl.warc.gz"
    _warc(warc, ant)
    result = khabar.scan([warc], out=tmp_path / "out")
    by_id = {a.id: a for a in result.articles}
    assert set(by_id) == {
        "https://www.example-news.com/a1",
        "https://other.example.org/b",
        "https://third.example.net/c",
        "https://fourth.example.com/d",
    }
    assert ant[3]["text"].split("\n")[0][:40] in by_id["https://fourth.example.com/d"].text
    a1, b = by_id["https://www.example-news.com/a1"], by_id["https://other.example.org/b"]
    assert a1.source == "example-news.com" and b.source == "other.example.org"
    assert ant[0]["text"].split("\n")[0][:40] in a1.text
    assert ant[1]["text"].split("\n")[0][:40] in b.text  # decoded with the HTTP charset
    c = by_id["https://third.example.net/c"].text
    assert not set(c) & set("àâçèéêëîï") and ant[2]["text"].split("\n")[0][:40] in c  # read as ISO-8859-6
    assert a1.extra["crawled"] and a1.published
    (err,) = result.errors  # the empty page: one line naming the file and the record's offset
    assert err.file == str(warc) and err.line > 0 and "no article text" in err.message
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["records_not_articles"] == {
        "warc request": 1,
        "warc response 404": 1,
        "warc response image/png": 1,
        "warc response without type": 1,
        "warc warcinfo": 1,
    }
    assert summary["records_read"] == summary["articles"] + summary["errors"]


def test_truncated_warc_is_one_error_and_the_scan_goes_on(tmp_path: Path, ant: list[dict]) -> None:
    warc = tmp_path / "crawl.warc.gz"
    _warc(warc, ant)
    data = warc.read_bytes()
    (tmp_path / "cut.warc.gz").write_bytes(data[: len(data) - 200])
    result = khabar.scan([tmp_path / "cut.warc.gz", SEED_A])
    assert any(a.id == str(SEED_A) for a in result.articles)
    assert any("cannot read the rest of the WARC" in e.message or "no article" in e.message for e in result.errors)


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_a_warc_cut_anywhere_is_never_read_as_whole(tmp_path: Path, ant: list[dict], name: str) -> None:
    """Wherever a crawl is cut, the record it ends in is an error: never dropped without a word (a cut
    in its headers), never an article shorter than the page (a cut in its body); a cut that loses no
    data (in a gzip member's checksum, in the blank lines after a record) may be no error."""
    from khabar.readers.warc import read_warc

    warc = tmp_path / name
    _warc(warc, ant)
    data = warc.read_bytes()
    whole = [r for r in read_warc(str(warc)) if isinstance(r, Article)]
    starts = [int(a.origin.rpartition(":")[2]) for a in whole]
    step = max(1, len(data) // 150)
    for cut in range(1, len(data), step):
        (tmp_path / f"cut-{name}").write_bytes(data[:cut])
        got = list(read_warc(str(tmp_path / f"cut-{name}")))
        texts = [r.text for r in got if isinstance(r, Article)]
        assert texts == [a.text for a in whole[: len(texts)]], cut  # each one whole
        begun = [a.text for a, at in zip(whole, starts, strict=True) if at < cut]
        assert texts == begun or any(isinstance(r, RecordError) for r in got), cut  # or an error says so


def test_compare_and_clean_read_one_article_of_a_crawl_by_file_and_id(tmp_path: Path, ant: list[dict]) -> None:
    """A WARC starts with records that are no articles (warcinfo): ``compare`` and ``clean`` read its
    first article, say so when the file holds more, and ``FILE#ID`` picks any record of a crawl."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "khabar", *args], capture_output=True, text=True, timeout=120)

    warc = tmp_path / "crawl.warc.gz"
    _warc(warc, ant)
    jsonl = tmp_path / "ant.jsonl"
    jsonl.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in ant[:3]), encoding="utf-8")
    r = run("compare", str(warc), f"{jsonl}#{ant[0]['id']}", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["a"] == "https://www.example-news.com/a1"
    assert json.loads(r.stdout)["relation"] in ("duplicate", "near_duplicate")
    assert r.stderr == (
        f"khabar: {warc} holds more than one article: this is its first, https://www.example-news.com/a1 "
        f"({warc}#ID picks one)\n"
    )
    r = run("compare", f"{warc}#https://other.example.org/b", f"{jsonl}#{ant[1]['id']}", "--json")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert json.loads(r.stdout)["b"] == ant[1]["id"] and json.loads(r.stdout)["passages"]
    r = run("clean", f"{jsonl}#{ant[2]['id']}")
    assert r.returncode == 0 and ant[2]["text"].split("\n")[0].strip()[:40] in r.stdout
    r = run("clean", f"{jsonl}#no-such-id")
    assert r.returncode == 2 and r.stderr == f"khabar: {jsonl}: no article with id 'no-such-id'\n"
    first_bad = tmp_path / "first-bad.warc"  # its first record, at offset 0, is no article: not the whole file
    with open(first_bad, "wb") as fh:
        w = WARCWriter(fh, gzip=False)
        _response(w, "https://x.example/bad", b"<html><body><script>1</script></body></html>", "text/html")
        _response(w, "https://x.example/good", _page(ant[0]["title"], ant[0]["text"]).encode(), "text/html")
    r = run("clean", f"{first_bad}#https://x.example/good")
    assert r.returncode == 0 and ant[0]["text"].split("\n")[0].strip()[:40] in r.stdout, r.stderr
    r = run("clean", f"{first_bad}#https://x.example/bad")
    assert r.returncode == 2 and r.stderr == f"khabar: {first_bad}: no article text found in the HTML\n", r.stderr


def test_parquet_input_with_bad_rows(tmp_path: Path, ant: list[dict]) -> None:
    table = pa.table(
        {
            "id": ["p1", "p2", "p3", "p4"],
            "text": [ant[0]["text"], None, ant[2]["text"], "   "],
            "title": [ant[0]["title"], "no text", ant[2]["title"], "blank"],
            "source": ["bbc", "bbc", "cnn", "cnn"],
            "published": [dt.datetime(2018, 4, 14, 2, 49, tzinfo=dt.UTC)] * 4,
            "lang": ["ar"] * 4,
        }
    )
    path = tmp_path / "in.parquet"
    pq.write_table(table, path)
    result = khabar.scan([path], out=tmp_path / "out")
    assert [a.id for a in result.articles] == ["p1", "p3"]
    assert result.articles[0].published == "2018-04-14T02:49:00+00:00"
    assert result.articles[0].extra == {"lang": "ar"}
    assert [(e.file, e.line, e.id) for e in result.errors] == [(str(path), 2, "p2"), (str(path), 4, "p4")]


def test_parquet_binary_columns_are_decoded_as_files_are_or_reported(tmp_path: Path, ant: list[dict]) -> None:
    """Bytes in a text column are decoded by the rules of a text file (here UTF-8 and Windows-1256),
    never with replacement characters; bytes that are no text make a bad record; an unknown binary
    column is kept: as text when it is UTF-8, else as base64."""
    words = "مرحبا بكم في نشرة الأخبار العربية"
    table = pa.table(
        {
            "id": [b"u8", b"cp", b"junk"],
            "text": pa.array(
                [ant[0]["text"].encode(), words.encode("cp1256"), b"caf\xe9 cr\xe8me br\xfbl\xe9e"], pa.binary()
            ),
            "title": pa.array([words.encode(), None, None], pa.binary()),
            "blob": pa.array([b"\x00\xff\x10", b"plain", None], pa.binary()),
        }
    )
    path = tmp_path / "in.parquet"
    pq.write_table(table, path)
    result = khabar.scan([path], out=tmp_path / "out")
    got = {a.id: a for a in result.articles}
    assert sorted(got) == ["cp", "u8"]
    assert got["u8"].text == ant[0]["text"] and got["u8"].title == words
    assert got["cp"].text == words and "\ufffd" not in got["cp"].text
    assert got["u8"].extra == {"blob": "AP8Q"} and got["cp"].extra == {"blob": "plain"}
    [err] = result.errors
    assert (err.line, err.id) == (3, "junk") and "field 'text': undecodable bytes" in err.message


def test_parquet_output_holds_the_same_records_as_jsonl(tmp_path: Path, ant: list[dict]) -> None:
    src = tmp_path / "in.jsonl.gz"
    with gzip.open(src, "wt", encoding="utf-8") as fh:
        for d in ant:
            fh.write(json.dumps({**d, "extra_field": {"nested": [1, 2]}}, ensure_ascii=False) + "\n")
        for path in (SEED_A, SEED_B):
            fh.write(json.dumps({"id": path.name, "text": path.read_text(encoding="utf-8")}, ensure_ascii=False) + "\n")
    khabar.scan([src], out=tmp_path / "j")
    khabar.scan([src], out=tmp_path / "p", output_format="parquet")
    for name in ("articles", "pairs", "stories"):
        lines = (tmp_path / "j" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        assert read_records(tmp_path / "p" / f"{name}.parquet") == [json.loads(x) for x in lines], name
    assert json.loads((tmp_path / "p" / "summary.json").read_text())["format"] == "parquet"


def test_a_scan_in_one_format_removes_the_other_formats_files_of_an_earlier_scan(tmp_path: Path) -> None:
    out = tmp_path / "out"
    khabar.scan([SEED_A, SEED_B], out=out)
    (out / "notes.txt").write_text("the user's own file")
    khabar.scan([SEED_A], out=out, output_format="parquet")
    assert sorted(p.name for p in out.iterdir()) == [
        "articles.parquet", "errors.jsonl", "notes.txt", "pairs.parquet", "stories.parquet", "summary.json"
    ]  # fmt: skip
    khabar.scan([SEED_A], out=out)
    assert sorted(p.name for p in out.iterdir()) == [
        "articles.jsonl", "errors.jsonl", "notes.txt", "pairs.jsonl", "stories.jsonl", "summary.json"
    ]  # fmt: skip


def test_empty_parquet_output_has_its_schema(tmp_path: Path) -> None:
    khabar.scan([SEED_A], out=tmp_path, output_format="parquet")  # one article: no pairs
    table = pq.read_table(tmp_path / "pairs.parquet")
    assert table.num_rows == 0 and "passages" in table.schema.names


def test_parquet_nan_and_infinity_become_null_so_the_output_is_json(tmp_path: Path, ant: list[dict]) -> None:
    table = pa.table(
        {
            "id": ["n1", "n2"],
            "text": [ant[0]["text"], ant[1]["text"]],
            "score": [float("nan"), 1.5],
            "scores": [[float("inf"), 2.0], []],
        }
    )
    pq.write_table(table, tmp_path / "in.parquet")
    khabar.scan([tmp_path / "in.parquet"], out=tmp_path / "out")
    lines = (tmp_path / "out" / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(x, parse_constant=lambda c: pytest.fail(f"{c} in the output")) for x in lines]
    assert [(r["score"], r["scores"]) for r in rows] == [(None, [None, 2.0]), (1.5, [])]


def test_parquet_decimals_durations_and_nulls_of_other_columns(tmp_path: Path, ant: list[dict]) -> None:
    """Column types JSON lacks become JSON (a decimal its exact digits, a duration its seconds), and a
    null of a column that is not the article's own is kept, as a JSONL line's null is."""
    import decimal

    table = pa.table(
        {
            "id": ["d1", "d2"],
            "text": [ant[0]["text"], ant[1]["text"]],
            "title": [None, "عنوان"],
            "price": pa.array([decimal.Decimal("1.10"), None], pa.decimal128(5, 2)),
            "took": pa.array([dt.timedelta(days=1), dt.timedelta(milliseconds=1500)], pa.duration("ms")),
            "tag": ["x", None],
        }
    )
    pq.write_table(table, tmp_path / "in.parquet")
    result = khabar.scan([tmp_path / "in.parquet"], out=tmp_path / "out")
    assert not result.errors
    rows = [json.loads(x) for x in (tmp_path / "out" / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["price"], r["took"], r["tag"]) for r in rows] == [("1.10", 86400, "x"), (None, 1.5, None)]
    assert [r["title"] for r in rows] == [None, "عنوان"]


def test_output_files_get_the_usual_permissions(tmp_path: Path, ant: list[dict]) -> None:
    """Atomic writes go through a private temporary file; the final files must still be readable
    by whoever the umask lets read a new file (0644 under the common 022)."""
    import os
    import stat

    from khabar.parquet import SCHEMAS, write_parquet
    from khabar.writers import write_jsonl

    old = os.umask(0o022)
    try:
        write_jsonl(tmp_path / "a.jsonl", [{"id": "x"}])
        write_parquet(tmp_path / "a.parquet", [], SCHEMAS["pairs"])
    finally:
        os.umask(old)
    for name in ("a.jsonl", "a.parquet"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644


_JSON_VALUES = json_values([*'aب\n\r\t"\\/\x00\x1f\x7f', "\u2028", "\u2029", "\x85", "\U0001f600"], int_keys=True)


@settings(max_examples=400, deadline=None)
@given(_JSON_VALUES)
def test_json_lines_read_back_as_the_standard_encoders(value: object) -> None:
    """orjson's lines (or the standard encoder's, for what orjson rejects) hold the same JSON as the
    standard library's, on one line; without floats, byte for byte."""
    from khabar.writers import dumps, dumps_bytes, dumps_reference

    line, ref = dumps_bytes(value), dumps_reference(value)
    assert json.loads(line) == json.loads(ref) and dumps(value) == line.decode("utf-8")
    assert len(line.decode("utf-8").splitlines()) == 1
    if not _has_float(value):
        assert line == ref.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(_JSON_VALUES, st.integers(min_value=2**64).map(lambda x: x * (-1) ** (x % 2)))
def test_a_record_with_a_wide_integer_keeps_orjsons_spelling(value: object, wide: int) -> None:
    """orjson rejects integers beyond 64 bits (and keys that are not strings): such a record is still
    spelled as orjson spells the rest of it, floats (``0.00001``) and NaN (``null``) included, with
    the integer's digits in its place."""
    import orjson

    from khabar.writers import dumps_bytes

    try:
        rest = orjson.dumps({"v": value}, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # wide integers in the value itself: no oracle
        assume(False)
    for raw, escaped in (("\u2028", "\\u2028"), ("\u2029", "\\u2029"), ("\x85", "\\u0085")):
        rest = rest.replace(raw.encode(), escaped.encode())
    assert dumps_bytes({"v": value, "wide": [wide]}) == rest[:-1] + b',"wide":[' + str(wide).encode() + b"]}"


def test_wide_integers_and_floats_in_one_record() -> None:
    from khabar.writers import dumps_bytes

    line = dumps_bytes({"n": 2**70, "f": 1e-05, "x": float("nan"), 3: [-(2**65), 2**63, "\u2028"]})
    assert line == (
        b'{"n":1180591620717411303424,"f":0.00001,"x":null,"3":[-36893488147419103232,9223372036854775808,"\\u2028"]}'
    )


def _has_float(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    return isinstance(value, list) and any(_has_float(v) for v in value)


@pytest.mark.parametrize("n", [0, 1, 255, 256, 257, 600])
def test_lines_are_written_a_batch_at_a_time_as_one_line_each(n: int) -> None:
    import io

    from khabar.writers import dumps_bytes, write_lines

    records = [{"id": k, "text": "سطر\u2028" * (k % 3)} for k in range(n)]
    fh = io.BytesIO()
    assert write_lines(fh, iter(records)) == n
    assert fh.getvalue() == b"".join(dumps_bytes(r) + b"\n" for r in records)


def test_a_year_in_the_prose_is_no_publication_date(tmp_path: Path, ant: list[dict]) -> None:
    """A page's date comes from its markup or URL; a year its text mentions is no date (htmldate's
    text search made «في عام 2009» 2009-01-01), so the crawl's WARC-Date stands."""
    body = "".join(f"<p>{p}</p>" for p in ant[0]["text"].split("\n") if p.strip())
    prose = f"<html><body><article><p>قال المتحدث إن الاتفاق وقع في عام 2009 في لندن.</p>{body}</article></body></html>"
    dated = prose.replace("<html>", '<html><head><meta property="article:published_time" content="2018-02-16"></head>')
    warc = tmp_path / "crawl.warc"
    with open(warc, "wb") as fh:
        w = WARCWriter(fh, gzip=False)
        for url, page in (("https://x.example/prose", prose), ("https://x.example/dated", dated)):
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            record = w.create_warc_record(
                url, "response", payload=io.BytesIO(page.encode()), http_headers=http,
                warc_headers_dict={"WARC-Date": "2024-03-05T10:00:00Z"},
            )  # fmt: skip
            w.write_record(record)
    by_id = {a.id: a for a in khabar.scan([warc]).articles}
    assert by_id["https://x.example/prose"].published == "2024-03-05T10:00:00Z"
    assert by_id["https://x.example/dated"].published == "2018-02-16"


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_junk_after_a_warc_is_one_line_at_the_end_of_the_last_record(
    tmp_path: Path, ant: list[dict], name: str
) -> None:
    from khabar.readers.warc import read_warc

    warc = tmp_path / name
    _warc(warc, ant)
    size = warc.stat().st_size
    warc.write_bytes(warc.read_bytes() + b"junk that is no record\r\n" * 3)
    got = list(read_warc(str(warc)))
    err = got[-1]
    assert isinstance(err, RecordError) and "\n" not in err.message and "\r" not in err.message, err
    assert size - 4 <= err.line <= size and "cannot read the rest of the WARC" in err.message, (err.line, size)
    assert sum(isinstance(r, Article) for r in got) == 4  # (of the crawl's pages, one is empty: an error)
