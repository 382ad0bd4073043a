"""Hostile input: every broken record is one line naming its file and line, the scan goes on, and
``summary.json`` accounts for every record (``records_read == articles + errors``)."""

from __future__ import annotations

import gzip
import json
import random
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from khabar.readers.records import MAX_CHARS

PARA = (
    "قال وزير الخارجية إن المحادثات التي جرت في العاصمة استمرت ساعات طويلة وتناولت ملفات عديدة "
    "بينها الأمن والاقتصاد والطاقة.\n"
)
JUNK = random.Random(6).randbytes(8192)


def _jsonl(*objs: object) -> bytes:
    return b"".join(json.dumps(o, ensure_ascii=False).encode() + b"\n" for o in objs)


def _big_text(megabytes: int) -> str:
    return PARA * (megabytes * 1024 * 1024 // len(PARA.encode()) + 1)


def _big_html(megabytes: int) -> str:
    p = "<p>" + PARA.strip() + " {k}</p>\n"
    n = megabytes * 1024 * 1024 // len(p.encode())
    return "<html><body><article>" + "".join(p.format(k=k) for k in range(n)) + "</article></body></html>"


def _truncated_gzip() -> bytes:
    whole = gzip.compress(_jsonl({"id": "t", "text": " ".join(f"{k:x}" for k in range(100_000))}))
    return whole[: len(whole) // 2]  # the end of the one record is missing


def _corrupt_gzip() -> bytes:
    whole = bytearray(gzip.compress(_jsonl({"id": "t", "text": " ".join(f"{k:x}" for k in range(100_000))})))
    for k in range(len(whole) // 2, len(whole) // 2 + 8):
        whole[k] ^= 0xA5  # the deflate stream itself broken (not its end, not its checksum)
    return bytes(whole)


@dataclass(frozen=True)
class Case:
    name: str
    file: str  # file name in the input directory
    data: Callable[[], bytes]
    outcome: str  # "error" (a bad record), "cut" (an article cut to MAX_CHARS), "ok" (an article)
    message: str = ""  # regex the stderr line must match after "khabar: <file>[:<line>]: "
    line: int = 0  # the line (or offset) the message names; 0 for a whole file


NESTED = "<html><body>" + "<div>" * 100_000 + "<p>" + PARA * 3 + "</p>" + "</div>" * 100_000 + "</body></html>"
CASES = [
    Case("invalid JSON", "bad.jsonl", lambda: b'{"id": "x", "text": "\xd9\x86\xd8\xb5"\n', "error", r"invalid JSON", 1),
    Case("JSON not an object", "bad.jsonl", lambda: b"[1, 2, 3]\n", "error", r"expected a JSON object", 1),
    Case("NaN", "bad.jsonl", lambda: b'{"id": "x", "text": "t", "n": NaN}\n', "error", r"NaN is not JSON", 1),
    Case("huge number", "bad.jsonl", lambda: b'{"id": "x", "text": "t", "n": 1e999}\n', "error", r"out of range", 1),
    Case("huge integer", "bad.jsonl", lambda: b'{"id": 1' + b"0" * 5000 + b', "text": "t"}\n', "error", r"limit", 1),
    Case("deeply nested JSON", "bad.jsonl", lambda: b"[" * 100_000 + b"\n", "error", r"nested too deeply", 1),
    Case(
        "text not a string", "bad.jsonl", lambda: _jsonl({"id": "x", "text": 5}), "error", r"'text' must be a string", 1
    ),
    Case(
        "title not a string",
        "bad.jsonl",
        lambda: _jsonl({"id": "x", "text": PARA, "title": ["a"]}),
        "error",
        r"'title' must be a string, not list",
        1,
    ),
    Case(
        "id not a string", "bad.jsonl", lambda: _jsonl({"id": 1.5, "text": PARA}), "error", r"'id' must be a string", 1
    ),
    Case("missing text", "bad.jsonl", lambda: _jsonl({"id": "x", "title": "t"}), "error", r"no 'text' or 'html'", 1),
    Case("empty text", "bad.jsonl", lambda: _jsonl({"id": "x", "text": " \n\t "}), "error", r"empty text", 1),
    Case(
        "lone surrogate",
        "bad.jsonl",
        lambda: b'{"id": "x", "text": "\\u0646\\u0635 \\ud83d \\u0646\\u0635"}\n',
        "error",
        r"lone surrogate U\+D83D in field 'text' at character 3",
        1,
    ),
    Case(
        "binary junk line", "bad.jsonl", lambda: JUNK.replace(b"\n", b" ") + b"\n", "error", r"invalid (UTF-8|JSON)", 1
    ),
    Case(
        "control characters in text",
        "bad.jsonl",
        lambda: _jsonl({"id": "x", "text": "".join(chr(c % 32) for c in JUNK[:2000])}),
        "error",
        r"field 'text': binary data",
        1,
    ),
    Case("truncated gzip", "bad.jsonl.gz", _truncated_gzip, "error", r"cannot read the rest of the file", 0),
    Case("corrupt gzip", "bad.jsonl.gz", _corrupt_gzip, "error", r"cannot read the rest of the file", 0),
    Case("binary junk text file", "junk.txt", lambda: JUNK, "error", r"not UTF-8 .* not Arabic", 0),
    Case("binary junk (valid UTF-8)", "junk.txt", lambda: bytes(b % 32 for b in JUNK), "error", r"binary data", 0),
    Case("NUL bytes", "junk.txt", lambda: PARA.encode() + b"\x00" * 10, "error", r"binary data.*NUL", 0),
    Case("broken UTF-16", "junk.txt", lambda: b"\xff\xfe" + b"\x00\xd8a\x00", "error", r"UTF-16 BOM but is not", 0),
    Case("binary junk HTML", "junk.html", lambda: JUNK, "error", r"not UTF-8 .* not Arabic", 0),
    Case("binary junk WARC", "junk.warc", lambda: JUNK, "error", r"cannot read the rest of the WARC", 0),
    Case(
        "WARC response without a target URI",
        "nouri.warc",
        lambda: b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 5\r\n\r\nshort\r\n\r\n",
        "error",
        r"cannot read the rest of the WARC: a malformed record \(warcio: ",
        0,
    ),
    Case("binary junk Parquet", "junk.parquet", lambda: JUNK, "error", r"cannot read the Parquet file", 0),
    Case("deeply nested HTML", "deep.html", lambda: NESTED.encode(), "error", r"nest deeper than the 255 levels", 0),
    Case(
        "deeply nested HTML in JSONL",
        "deep.jsonl",
        lambda: _jsonl({"id": "d", "html": NESTED}),
        "error",
        r"nest deeper than the 255 levels",
        1,
    ),
    Case(
        "HTML with no body",
        "nobody.html",
        lambda: b"<html><head><title>x</title></head></html>",
        "error",
        r"no article text found",
        0,
    ),
    Case("HTML with an empty body", "empty.html", lambda: b"<html><body></body></html>", "error", r"no article", 0),
    Case("empty file", "empty.txt", lambda: b"", "error", r"empty text", 0),
    Case("50 MB article (text file)", "big.txt", lambda: _big_text(50).encode(), "cut", r"cut to its first", 0),
    Case("50 MB article (JSONL)", "big.jsonl", lambda: _jsonl({"id": "big", "text": _big_text(50)}), "cut", r"cut", 1),
    Case(
        "5 MB line without spaces",
        "line.jsonl",
        lambda: _jsonl({"id": "line", "text": "ب" * (5 * 1024 * 1024 // 2)}),
        "cut",
        r"article of 2,621,440 characters cut to its first 2,000,000",
        1,
    ),
    Case(
        "50 MB HTML page",
        "big.html",
        lambda: _big_html(50).encode(),
        "cut",
        r"HTML of [\d,]+ characters cut to its first 4,99\d,\d{3} before extraction \(the maximum is 5,000,000\); "
        r"article of [\d,]+ characters cut to its first 1,99\d,\d{3}",
    ),
    Case("1.5M characters without spaces", "long.txt", lambda: ("x" * 1_500_000).encode(), "ok"),
]


def _good(directory: Path) -> None:
    (directory / "good.jsonl").write_text(
        json.dumps({"id": "good", "text": PARA * 5}, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def _scan(inputs: Path, out: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "khabar", "scan", str(inputs), "--out", str(out), "-q", "-j", "1", *flags]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def _khabar_lines(stderr: str) -> list[str]:
    """stderr without the closing summary line."""
    lines = stderr.splitlines()
    assert lines and re.match(r"khabar: \d+ articles, \d+ reuse pairs", lines[-1]), stderr[-2000:]
    return lines[:-1]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_record_is_one_line_and_accounted_for(case: Case, tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    _good(inputs)
    path = inputs / case.file
    path.write_bytes(case.data())
    r = _scan(inputs, tmp_path / "out", "--strict")
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    lines = _khabar_lines(r.stderr)
    s = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert s["records_read"] == s["articles"] + s["errors"]
    errors = [json.loads(x) for x in (tmp_path / "out" / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    where = f"{path}:{case.line}" if case.line else str(path)
    if case.outcome == "ok":
        assert r.returncode == 0 and lines == [] and s["articles"] == 2 and s["errors"] == 0
        return
    (line,) = lines
    assert line.startswith(f"khabar: {where}: "), line
    assert re.search(case.message, line[len(f"khabar: {where}: ") :]), line
    if case.outcome == "error":
        assert r.returncode == 1  # --strict
        assert (s["articles"], s["errors"], s["cut"]) == (1, 1, 0)
        assert [(e["file"], e["line"]) for e in errors] == [(str(path), case.line)]
    else:
        assert r.returncode == 0  # a cut is a warning, not a bad record
        assert (s["articles"], s["errors"], s["cut"]) == (2, 0, 1) and errors == []
        (big,) = [
            a
            for a in map(json.loads, (tmp_path / "out" / "articles.jsonl").read_text(encoding="utf-8").splitlines())
            if a["id"] != "good"
        ]
        assert 0 < len(big["text"]) <= MAX_CHARS and big["segments"][-1]["end"] == len(big["text"])


def test_all_hostile_inputs_together_exit_0_without_strict(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    _small = [c for c in CASES if c.outcome == "error"]
    for k, case in enumerate(_small):
        (inputs / f"{k:02d}").mkdir(parents=True)
        (inputs / f"{k:02d}" / case.file).write_bytes(case.data())
    _good(inputs)
    r = _scan(inputs, tmp_path / "out")
    assert r.returncode == 0 and "Traceback" not in r.stderr
    lines = _khabar_lines(r.stderr)
    assert len(lines) == len(_small)
    for k, (case, line) in enumerate(zip(_small, sorted(lines), strict=True)):
        assert line.startswith(f"khabar: {inputs / f'{k:02d}' / case.file}"), line
    s = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert s["records_read"] == s["articles"] + s["errors"] == len(_small) + 1 and s["articles"] == 1
