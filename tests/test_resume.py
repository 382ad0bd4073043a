"""``khabar scan --resume``: a scan killed at any point and run again gives byte for byte the output of
an uninterrupted run; output files are never left half-written."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import khabar
from khabar import resume
from khabar.resume import CRASH_ENV, DIRNAME

LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
OUTPUTS = ("articles.jsonl", "pairs.jsonl", "stories.jsonl", "errors.jsonl")


def corpus(path: Path, n: int, seed: int = 6) -> Path:
    """``n`` generated articles from four outlets; about a third re-run a paragraph of an earlier one,
    each outlet has a footer line on every page (a template), and two records are bad."""
    rng = random.Random(seed)
    vocab = ["".join(rng.choice(LETTERS) for _ in range(rng.randint(2, 7))) for _ in range(4000)]
    footers = [f"جميع الحقوق محفوظة لموقع {w} {k}" for k, w in enumerate(vocab[:4])]
    paragraphs: list[str] = []
    lines = []
    for k in range(n):
        own = [" ".join(rng.choices(vocab, k=rng.randint(20, 35))) + "." for _ in range(rng.randint(2, 4))]
        if paragraphs and rng.random() < 0.35:
            own.insert(rng.randint(0, len(own)), rng.choice(paragraphs))
        paragraphs.extend(own)
        src = k % 4
        doc = {
            "id": f"a{k:05d}",
            "text": "\n".join([*own, footers[src]]),
            "source": f"outlet{src}",
            "published": f"2024-01-{1 + k % 28:02d}T10:00:00+00:00",
        }
        lines.append(json.dumps(doc, ensure_ascii=False))
    lines.insert(n // 2, "{broken")
    lines.append(json.dumps({"id": "a00001", "text": "مكرر"}, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def outputs(out: Path) -> dict[str, bytes]:
    found = {name: (out / name).read_bytes() for name in OUTPUTS}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    summary.pop("seconds")
    found["summary.json"] = json.dumps(summary, sort_keys=True).encode()
    return found


def _crashing_scan(src: str, out: str, point: str, jobs: int = 1) -> None:
    os.environ[CRASH_ENV] = point
    khabar.scan([src], out=out, jobs=jobs)


@pytest.fixture()
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resume, "CHUNK", 100)


@pytest.mark.parametrize("point", ["templates", "prepare-100-200", "prepare-300-400", "reuse", "stories", "written"])
def test_a_scan_killed_at_any_point_resumes_to_the_same_output(
    point: str, tmp_path: Path, small_chunks: None, capsys: pytest.CaptureFixture[str]
) -> None:
    src = str(corpus(tmp_path / "in.jsonl", 400))
    reference = tmp_path / "reference"
    khabar.scan([src], out=reference, jobs=1)
    assert not (reference / DIRNAME).exists()  # a complete run leaves no checkpoints
    out = tmp_path / "out"
    if point == "written":  # over the outputs of an earlier complete run
        shutil.copytree(reference, out)
    child = mp.get_context("fork").Process(target=_crashing_scan, args=(src, str(out), point))
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL
    saved = sorted(p.name for p in (out / DIRNAME).iterdir())
    assert "manifest.json" in saved and f"{point}.pkl" in saved or point == "written"
    assert not (out / "summary.json").exists()  # written last: its absence says the outputs are incomplete
    if point != "written":
        assert not any(out.glob("*.jsonl"))  # killed before writing: no output file at all, never a partial one
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    capsys.readouterr()
    result = khabar.scan([src], out=out, jobs=1, resume=True, warn=True)
    assert f"resumed from {len(saved) - 1} checkpoints" in capsys.readouterr().err
    assert outputs(out) == outputs(reference)
    assert len(result.articles) == 400 and len(result.errors) == 2
    assert not (out / DIRNAME).exists()


def test_checkpoints_of_other_articles_or_corrupt_ones_are_not_used(
    tmp_path: Path, small_chunks: None, capsys: pytest.CaptureFixture[str]
) -> None:
    src = corpus(tmp_path / "in.jsonl", 300)
    out = tmp_path / "out"
    child = mp.get_context("fork").Process(target=_crashing_scan, args=(str(src), str(out), "reuse"))
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL
    # the input changes (one article) before the resume: every checkpoint is stale
    text = src.read_text(encoding="utf-8").replace('"id": "a00007"', '"id": "a00007", "title": "جديد"')
    src.write_text(text, encoding="utf-8")
    capsys.readouterr()
    khabar.scan([str(src)], out=out, jobs=1, resume=True, warn=True)
    err = capsys.readouterr().err
    assert "checkpoints of other inputs or options: starting over" in err and "resumed" not in err
    reference = tmp_path / "reference"
    khabar.scan([str(src)], out=reference, jobs=1)
    assert outputs(out) == outputs(reference)
    # a corrupt checkpoint is recomputed
    out2 = tmp_path / "out2"
    child = mp.get_context("fork").Process(target=_crashing_scan, args=(str(src), str(out2), "prepare-100-200"))
    child.start()
    child.join(120)
    (out2 / DIRNAME / "prepare-0-100.pkl").write_bytes(b"\x80\x05junk")
    khabar.scan([str(src)], out=out2, jobs=1, resume=True, warn=True)
    assert "resumed from 2 checkpoints" in capsys.readouterr().err  # templates and prepare-100-200
    assert outputs(out2) == outputs(reference)
    # without --resume, checkpoints are never used
    child = mp.get_context("fork").Process(target=_crashing_scan, args=(str(src), str(out2), "stories"))
    child.start()
    child.join(120)
    khabar.scan([str(src)], out=out2, jobs=1, warn=True)
    assert "resumed" not in capsys.readouterr().err
    assert outputs(out2) == outputs(reference)


def test_cli_scan_killed_by_sigkill_midway_resumes_to_the_same_output(tmp_path: Path) -> None:
    src = str(corpus(tmp_path / "in.jsonl", 2500))
    env = {**os.environ, "KHABAR_RESUME_CHUNK": "100"}

    def run(out: Path, *flags: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "khabar", "scan", src, "--out", str(out), "-q", "-j", "2", *flags]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)

    reference = tmp_path / "reference"
    assert run(reference).returncode == 0
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "khabar", "scan", src, "--out", str(out), "-q", "-j", "2"]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 300
    while not list((out / DIRNAME).glob("prepare-*.pkl")):
        assert proc.poll() is None, "the scan ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)  # the scan and its worker processes
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "articles.jsonl").exists() and not (out / "summary.json").exists()
    r = run(out, "--resume")
    assert r.returncode == 0, r.stderr
    assert "khabar: resumed from" in r.stderr
    assert outputs(out) == outputs(reference)
    assert not (out / DIRNAME).exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_checkpoint_that_cannot_be_written_is_reported_and_the_scan_goes_on(
    jobs: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Checkpoints are written in line with one job, in the background with more (a forked child
    pickles a stage's result, the workers write the prepared articles); a failed write costs only
    that checkpoint."""
    src = corpus(tmp_path / "in.jsonl", 40)
    reference = tmp_path / "ref"
    khabar.scan([str(src)], out=reference, jobs=1)
    real_write = resume.Checkpoints._write

    def write(self: resume.Checkpoints, name: str, data: bytes, sync: bool = True) -> None:
        if name.startswith(("reuse", "prepare")):
            raise OSError(28, "No space left on device")
        real_write(self, name, data, sync)

    monkeypatch.setattr(resume.Checkpoints, "_write", write)
    out = tmp_path / "out"
    khabar.scan([str(src)], out=out, jobs=jobs)
    assert outputs(out) == outputs(reference)
    err = capfd.readouterr().err
    assert "reuse.pkl: checkpoint not written: No space left on device" in err
    assert "prepare-0-" in err
    assert not (out / DIRNAME).exists()  # removed once every write had ended


@pytest.mark.parametrize("point", ["prepare-0-100", "reuse", "stories"])
def test_a_parallel_scan_killed_resumes_with_its_background_key_and_checkpoints(
    point: str, tmp_path: Path, small_chunks: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """With two jobs the run key is hashed, the checkpoints written and the stories' links computed
    by background processes: what a kill leaves is still a valid, resumable checkpoint directory."""
    src = str(corpus(tmp_path / "in.jsonl", 300))
    reference = tmp_path / "reference"
    khabar.scan([src], out=reference, jobs=1)
    out = tmp_path / "out"
    child = mp.get_context("fork").Process(target=_crashing_scan, args=(src, str(out), point, 2))
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL
    # nothing half-written is left beside the outputs: the background writers end with the scan and
    # remove what they were writing, and the article lines written early have no name to leave
    deadline = time.monotonic() + 10
    while [p for p in out.iterdir() if p.name.endswith(".tmp")] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    manifest = json.loads((out / DIRNAME / "manifest.json").read_text(encoding="utf-8"))
    articles = khabar.scan([src], jobs=1).articles
    from khabar.readers.records import MAX_CHARS
    from khabar.reuse import ReuseParams
    from khabar.stories.link import LinkParams

    assert manifest["key"] == resume.run_key(articles, (ReuseParams(), LinkParams(), MAX_CHARS))
    capsys.readouterr()
    khabar.scan([src], out=out, jobs=2, resume=True, warn=True)
    assert "resumed from" in capsys.readouterr().err
    assert outputs(out) == outputs(reference)


def test_prepared_batches_read_back_mapped_as_written(
    tmp_path: Path, small_chunks: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """A worker's prepared articles go to their checkpoint with the arrays out of band and come back
    mapped from the file: the same articles, writable arrays that leave the file as it was; a file
    that lost bytes, or whose arrays changed, is refused (when verified: a checkpoint of an earlier
    run), and a resume then recomputes it."""
    import numpy as np

    from khabar.prepare import prepare_articles
    from khabar.resume import read_batch, write_batch
    from khabar.scan import read_all

    src = corpus(tmp_path / "in.jsonl", 60)
    articles, _, _ = read_all([str(src)], warn=False)
    batch = prepare_articles(articles, 1)[:20]
    path = tmp_path / "batch.pkl"
    with open(path, "wb") as fh:
        write_batch(fh, batch)
    data = path.read_bytes()
    got = read_batch(path, verify=True)
    assert [p.segments for p in got] == [p.segments for p in batch]
    assert [(u.key, u.hashes.tolist(), u.starts.tolist()) for p in got for u in p.units] == [
        (u.key, u.hashes.tolist(), u.starts.tolist()) for p in batch for u in p.units
    ]
    assert [s.weights.values.tolist() for p in got for s in p.story_units] == [
        s.weights.values.tolist() for p in batch for s in p.story_units
    ]
    unit = got[0].units[0]
    unit.hashes[0] ^= np.uint64(1)  # copy-on-write: the file keeps its bytes
    assert path.read_bytes() == data
    assert read_batch(path, verify=True)[0].units[0].hashes[0] == batch[0].units[0].hashes[0]
    path.write_bytes(data[: len(data) - 10])
    with pytest.raises(ValueError, match="truncated|checksum"):
        read_batch(path, verify=True)
    flipped = bytearray(data)
    flipped[-100] ^= 1  # in the last array
    path.write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="checksum"):
        read_batch(path, verify=True)
    read_batch(path)  # unverified (a file this run wrote): read as it is
    # in a resume: a checkpoint whose arrays changed is recomputed
    out, reference = tmp_path / "out", tmp_path / "reference"
    khabar.scan([str(src)], out=reference, jobs=1)
    child = mp.get_context("fork").Process(target=_crashing_scan, args=(str(src), str(out), "prepare-0-60"))
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL
    saved = out / DIRNAME / "prepare-0-60.pkl"
    flipped = bytearray(saved.read_bytes())
    flipped[-100] ^= 1
    saved.write_bytes(bytes(flipped))
    capsys.readouterr()
    result = khabar.scan([str(src)], out=out, jobs=1, resume=True, warn=True)
    assert "resumed from 1 checkpoints" in capsys.readouterr().err  # the templates only
    assert outputs(out) == outputs(reference) and len(result.articles) == 60


TEXTS = st.one_of(
    st.none(),
    st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=300),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXTS, max_size=6), st.integers(1, 64))
def test_texts_digest_is_blake2b_of_the_stored_characters(values: list[str | None], size: int) -> None:
    """The compiled digest (checkpoint keys, identical article texts) is BLAKE2b of each value's
    kind, length and stored characters, whatever the widths (Latin-1, BMP with lone surrogates,
    astral) and lengths around the 128-byte block."""
    from khabar.digest import texts_digest, texts_digest_reference

    assert texts_digest(values, size) == texts_digest_reference(values, size)
    assert texts_digest(iter(values), size) == texts_digest(values, size)
    # the same on every machine: characters hashed little-endian; the kernel's byte-turning path
    # (taken on big-endian machines) checked here by asking for it on this one
    from khabar._text_kernel import texts_digest as kernel_digest

    turned = "-be" if sys.byteorder == "little" else "-le"
    assert kernel_digest(values, size, swap=True) == texts_digest_reference(values, size, turned)


def test_texts_digest_tells_values_apart() -> None:
    """A None is not an empty string, where one value ends counts, and so does every character."""
    from khabar.digest import texts_digest, texts_digest_reference

    block = "ب" * 64  # one 128-byte block of UCS-2
    cases = [[], [None], [""], ["", ""], ["ab"], ["a", "b"], ["ab", None], [block], [block + "ب"], [block[:-1] + "ت"]]
    digests = [texts_digest(c) for c in cases]
    assert len(set(digests)) == len(cases)
    for n in (118, 119, 120, 247, 375):  # with its 9-byte head, a Latin-1 value ending at a block's end
        assert texts_digest(["a" * n]) == texts_digest_reference(["a" * n])
    from khabar._text_kernel import texts_digest as kernel_digest

    turned = "-be" if sys.byteorder == "little" else "-le"
    for text in ("ب" * 2047, "ب" * 2048, "ب" * 2049, "\U0001f600" * 1025):  # around the 4 KB turning buffer
        assert kernel_digest([text], swap=True) == texts_digest_reference([text], order=turned)
    with pytest.raises(TypeError):
        texts_digest([1])  # type: ignore[list-item]


def test_the_run_key_changes_with_every_field_of_every_article(tmp_path: Path) -> None:
    from khabar.readers.records import MAX_CHARS
    from khabar.scan import read_all

    articles, _, _ = read_all([str(corpus(tmp_path / "in.jsonl", 5))], warn=False)
    options = ("params", MAX_CHARS)
    base = resume.run_key(articles, options)
    assert resume.run_key(articles, options) == base
    assert resume.run_key(articles, ("params", MAX_CHARS + 1)) != base
    assert resume.run_key(articles[:-1], options) != base
    resume.code_digest.cache_clear()
    try:  # other code: another key (an upgrade or an edit that changes a rule makes checkpoints stale)
        with pytest.MonkeyPatch.context() as mp_:
            mp_.setattr(resume, "CODE_SUFFIXES", resume.CODE_SUFFIXES - {".py"})
            assert resume.run_key(articles, options) != base
    finally:
        resume.code_digest.cache_clear()
    assert resume.run_key(articles, options) == base
    for field in ("id", "text", "title", "source", "url", "published", "extra"):
        changed = [dataclasses.replace(a) for a in articles]
        value = getattr(changed[2], field)
        new = {"x": 1} if field == "extra" else (value or "") + "ـ"
        setattr(changed[2], field, new)
        assert resume.run_key(changed, options) != base, field
