from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SEED_A, SEED_B


def khabar(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "khabar", *args], capture_output=True, text=True, timeout=120)


def test_compare_json_on_the_seeds() -> None:
    r = khabar("compare", str(SEED_A), str(SEED_B), "--json")
    assert r.returncode == 0, r.stderr
    pair = json.loads(r.stdout)
    assert set(pair) >= {"a", "b", "relation", "similarity", "coverage_a", "coverage_b", "passages"}
    assert pair["relation"] == "overlap"


def test_compare_text_shows_passages() -> None:
    r = khabar("compare", str(SEED_A), str(SEED_B))
    assert r.returncode == 0
    assert "relation: overlap" in r.stdout and "passage 1" in r.stdout


def test_scan_writes_the_contract_files(tmp_path: Path) -> None:
    r = khabar("scan", str(SEED_A.parent), "--out", str(tmp_path / "out"), "-q")
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["articles.jsonl", "errors.jsonl", "pairs.jsonl", "stories.jsonl", "summary.json"]
    arts = [json.loads(x) for x in (tmp_path / "out" / "articles.jsonl").read_text().splitlines()]
    for a in arts:
        assert set(a) >= {"id", "title", "source", "published", "text", "segments"}
        assert a["segments"][0]["start"] == 0 and a["segments"][-1]["end"] == len(a["text"])


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_scan_shows_each_stage_on_stderr(tmp_path: Path, jobs: str) -> None:
    """The progress bar names every stage as the scan reaches it (a long stories or write stage on a
    large crawl is not a silent one), with what it counts; ``-q`` hides it."""
    r = khabar("scan", str(SEED_A.parent), "--out", str(tmp_path / "out"), "--jobs", jobs)
    assert r.returncode == 0, r.stderr
    shown = r.stderr.replace("\r", "\n")
    stages = (("read", "article"), ("clean", "article"), ("align", "pair"), ("stories", "story"), ("write", "file"))
    for stage, unit in stages:
        assert re.search(rf"^{stage}: .*{unit}", shown, re.M), (stage, shown)
    # two articles: both cleaning passes count as one article each, not two
    assert re.search(r"^clean: .*\| [0-2]/2 \[", shown, re.M) and not re.search(r"^clean: .*/4 ", shown, re.M), shown
    quiet = khabar("scan", str(SEED_A.parent), "--out", str(tmp_path / "q"), "--jobs", jobs, "-q")
    assert quiet.returncode == 0 and "stories:" not in quiet.stderr and "write:" not in quiet.stderr


def test_clean_prints_body_only() -> None:
    r = khabar("clean", str(SEED_B))
    assert r.returncode == 0
    assert "سوريا – صرح كامل صقر" in r.stdout
    assert "أردوغان يتوقع" not in r.stdout and "المشاهدات" not in r.stdout


def test_clean_explain() -> None:
    r = khabar("clean", str(SEED_A), "--explain")
    assert "image-file" in r.stdout and "prev-next" in r.stdout


def test_bad_input_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    r = khabar("compare", str(tmp_path / "missing.txt"), str(SEED_A))
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "missing.txt" in r.stderr and "Traceback" not in r.stderr
    r = khabar("scan", str(tmp_path / "nothing"), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_strict_exits_non_zero_on_bad_records(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl"
    f.write_text('{"id": "a", "text": "نص"}\n{oops\n', encoding="utf-8")
    r = khabar("scan", str(f), "--out", str(tmp_path / "o"), "-q")
    assert r.returncode == 0
    r = khabar("scan", str(f), "--out", str(tmp_path / "o2"), "-q", "--strict")
    assert r.returncode == 1
    assert f"khabar: {f}:2: invalid JSON" in r.stderr


def test_stories_lists_the_largest_story_first(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert khabar("scan", str(SEED_A.parent), "--out", str(out), "-q").returncode == 0
    r = khabar("stories", str(out), "--min-size", "1")
    assert r.returncode == 0, r.stderr
    first, _, second, _ = r.stdout.splitlines()
    assert first.startswith("[2 articles]") and second.startswith("[1 articles] أردوغان")
    assert "first: samples/002" in r.stdout or SEED_B.name in r.stdout
    r = khabar("stories", str(out), "--json")  # default --min-size 2: the shared story only
    (story,) = [json.loads(x) for x in r.stdout.splitlines()]
    assert story["size"] == 2 and story["first_source"] is None


def test_stories_on_a_missing_scan_is_one_line(tmp_path: Path) -> None:
    r = khabar("stories", str(tmp_path))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "stories.jsonl: not found" in r.stderr


def test_stories_and_report_read_a_parquet_scan_as_they_read_a_jsonl_one(tmp_path: Path) -> None:
    for fmt in ("jsonl", "parquet"):
        r = khabar("scan", str(SEED_A.parent), "--out", str(tmp_path / fmt), "-q", "--format", fmt)
        assert r.returncode == 0, r.stderr
    assert not (tmp_path / "parquet" / "stories.jsonl").exists()
    shown = [khabar("stories", str(tmp_path / fmt), "--min-size", "1", "--json") for fmt in ("jsonl", "parquet")]
    assert all(r.returncode == 0 for r in shown), shown[1].stderr
    assert shown[0].stdout == shown[1].stdout and shown[0].stdout.count("\n") == 2
    for fmt in ("jsonl", "parquet"):
        r = khabar("report", str(tmp_path / fmt), "-o", str(tmp_path / f"{fmt}.html"))
        assert r.returncode == 0, r.stderr
        size = (tmp_path / f"{fmt}.html").stat().st_size  # bytes (the Arabic page is twice its characters)
        assert f"({size // 1024} KB)" in r.stderr
    assert (tmp_path / "jsonl.html").read_bytes() == (tmp_path / "parquet.html").read_bytes()


def test_report_on_a_damaged_scan_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert khabar("scan", str(SEED_A.parent), "--out", str(out), "-q").returncode == 0
    with open(out / "pairs.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"a": "cut short\n')
    r = khabar("report", str(out), "-o", str(tmp_path / "r.html"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1
    assert f"{out / 'pairs.jsonl'}:2: not JSON" in r.stderr


def test_stories_and_report_on_a_hand_edited_scan_are_one_line(tmp_path: Path) -> None:
    """Lines of the wrong shape, or a story naming an article the articles file lacks, are one line
    naming the file and line: never a traceback."""
    out = tmp_path / "out"
    assert khabar("scan", str(SEED_A.parent), "--out", str(out), "-q").returncode == 0
    stories = (out / "stories.jsonl").read_text(encoding="utf-8")
    articles = (out / "articles.jsonl").read_text(encoding="utf-8")
    n = stories.count("\n")
    cases = [
        ("stories", stories + "[]\n", f"stories.jsonl:{n + 1}: not a record of stories.jsonl (not an object but list)"),
        (
            "stories",
            stories + '{"story": "s"}\n',
            f"stories.jsonl:{n + 1}: not a record of stories.jsonl (no field 'title')",
        ),
        ("stories", stories.replace('"size":', '"size":"2",', 1).replace('"size":"2",2', '"size":"2"', 1), None),
    ]
    for name, text, said in cases:
        (out / f"{name}.jsonl").write_text(text, encoding="utf-8")
        for command in (["stories", str(out)], ["report", str(out), "-o", str(tmp_path / "r.html")]):
            r = khabar(*command)
            assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr
            assert said is None or said in r.stderr, r.stderr
    (out / "stories.jsonl").write_text(stories, encoding="utf-8")
    (out / "articles.jsonl").write_text(articles.split("\n", 1)[1], encoding="utf-8")  # its first article gone
    r = khabar("report", str(out), "-o", str(tmp_path / "r.html"))
    assert r.returncode == 2 and "names an article the articles file lacks" in r.stderr, r.stderr


def test_an_output_directory_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    r = khabar("scan", str(SEED_A), "--out", str(blocker / "out"), "-q")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and str(blocker) in r.stderr


def test_normalize_reads_standard_input_as_a_text_file_is_read() -> None:
    def normalize(data: bytes) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "khabar", "normalize"], input=data, capture_output=True, timeout=60
        )

    r = normalize("الأميركيّة".encode("cp1256"))  # Windows-1256, as a legacy Arabic file would be
    assert r.returncode == 0 and r.stdout.decode("utf-8").strip() == "الامريكيه"
    r = normalize(b"\xef\xbb\xbf" + "قالـــت".encode())
    assert r.returncode == 0 and r.stdout.decode("utf-8").strip() == "قالت"
    r = normalize(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xd8")
    assert r.returncode == 2 and b"Traceback" not in r.stderr
    assert r.stderr.decode().startswith("khabar: standard input: ") and r.stderr.count(b"\n") == 1


def test_a_scan_run_again_says_it_does_not_read_its_own_output_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for seed in (SEED_A, SEED_B):
        (data / seed.name).write_bytes(seed.read_bytes())
    first = khabar("scan", str(data), "--out", str(data / "out"), "-q")
    assert first.returncode == 0 and "output directory" not in first.stderr
    again = khabar("scan", str(data), "--out", str(data / "out"), "-q")
    assert again.returncode == 0, again.stderr
    notice, summary = again.stderr.splitlines()
    assert notice == f"khabar: {data / 'out'}/: a scan's output directory, not read (name it as an input to read it)"
    assert summary.startswith("khabar: 2 articles, 1 reuse pairs") and "0 bad records" in summary


@pytest.mark.parametrize("args", [["stories", "--top", "-1"], ["stories", "--min-size", "0"], ["report", "--top", "0"]])
def test_story_counts_below_one_are_refused(tmp_path: Path, args: list[str]) -> None:
    """(``--top -1`` used to show all stories but the last: a slice.)"""
    assert khabar("scan", str(SEED_A.parent), "--out", str(tmp_path), "-q").returncode == 0
    command, *options = args
    extra = ["-o", str(tmp_path / "r.html")] if command == "report" else []
    r = khabar(command, str(tmp_path), *options, *extra)
    assert r.returncode == 2 and "is not in the range x>=1" in r.stderr and not (tmp_path / "r.html").exists()


def test_report_top_takes_the_largest_stories_as_stories_lists_them(tmp_path: Path) -> None:
    """stories.jsonl is ordered by members (units); ``--top`` of the report and of ``stories`` both
    take the stories of most articles."""
    from khabar.serve.report import build_report
    from khabar.stories.show import largest_stories

    def story(sid: str, members: list[tuple[str, str]]) -> dict:
        ids = sorted({a for a, _ in members})
        return {
            "story": sid, "title": sid, "size": len(ids), "first": ids[0], "sources": [], "start": None,
            "end": None, "wires": [], "provenance": [],
            "members": [{"article": a, "segment": 0, "unit": u} for a, u in members],
        }  # fmt: skip

    two = story("story-two", [("a", "body"), ("a", "appended:1"), ("b", "body"), ("b", "appended:1")])
    three = story("story-three", [("x", "body"), ("y", "body"), ("z", "body")])
    out = tmp_path / "out"
    out.mkdir()
    rows = [{"id": i, "text": "نص", "segments": [{"start": 0, "end": 2, "kind": "body"}]} for i in "abxyz"]
    (out / "articles.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (out / "pairs.jsonl").write_text("", encoding="utf-8")
    (out / "stories.jsonl").write_text(json.dumps(two) + "\n" + json.dumps(three) + "\n", encoding="utf-8")
    assert [s["story"] for s in largest_stories(out, top=1)] == ["story-three"]
    page = build_report(out, top=1)
    assert "story-three" in page and "story-two" not in page
