"""A scan gives the same output with any number of worker processes (``--jobs``)."""

from __future__ import annotations

import json
import random
from typing import Any

from khabar.article import Article
from khabar.outputs import article_record
from khabar.scan import analyse
from khabar.stories.link import LinkParams


def _corpus(ant: list[dict], n: int = 320) -> list[Article]:
    """Copies of the ANT sample at several outlets and times: trimmed, re-ordered, with new leads."""
    rng = random.Random(11)
    out = []
    for k in range(n):
        doc = ant[k % len(ant)]
        paras = [p for p in doc["text"].split("\n") if p.strip()]
        keep = sorted(rng.sample(range(len(paras)), max(1, len(paras) * rng.randint(4, 10) // 10)))
        body = [paras[i] for i in keep]
        if rng.random() < 0.3:
            body.reverse()
        lead = f"كتب مراسلنا {k} من العاصمة في يوم {rng.randint(1, 28)}"
        if k % 5 == 0:  # an appended article: its pairs are made from several unit pairs
            other = ant[(k + 3) % len(ant)]
            body += ["اقرأ أيضاً", other["title"], *[p for p in other["text"].split("\n") if p.strip()][:3]]
        out.append(
            Article(
                id=f"v{k:03}",
                text="\n".join([lead, *body, "تابعونا على فيسبوك وتويتر"]),
                title=doc["title"] if rng.random() < 0.7 else None,
                source=f"outlet{k % 7}",
                published=f"2018-05-{1 + k % 20:02}T{k % 24:02}:00:00+00:00" if k % 9 else None,
            )
        )
    return out


def _run(ant: list[dict], jobs: int) -> tuple[list[str], list[str], list[str]]:
    arts = _corpus(ant)
    # small blocks and the default chunks of 128 articles: every parallel path is taken
    pairs, stories = analyse(arts, jobs=jobs, link=LinkParams(block=40))
    dump = lambda recs: [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in recs]  # noqa: E731
    return dump(article_record(a, k, stories) for k, a in enumerate(arts)), dump(pairs), dump(stories.stories)


def test_output_does_not_depend_on_jobs(ant: list[dict], monkeypatch) -> None:  # noqa: ANN001
    from khabar import reuse

    monkeypatch.setattr(reuse, "ALIGN_TASK", 16)  # pair records made in many worker tasks
    one = _run(ant, 1)
    two = _run(ant, 2)
    index = {f"v{k:03}": k for k in range(320)}
    order = [(index[p["a"]], index[p["b"]]) for p in map(json.loads, one[1])]
    assert order == sorted(order)  # in order of article pair, whatever the tasks
    assert any(p["a_unit"] != "body" or p["b_unit"] != "body" for r in map(json.loads, one[1]) for p in r["passages"])
    assert len(one[1]) > 100 and len(one[2]) > 1  # the corpus has reuse pairs and several stories
    assert one == two


def test_stories_from_articles_alone_equal_the_scans(ant: list[dict]) -> None:
    """build_stories computes story features itself (in batches) when not given a scan's prepared
    articles; the stories, times and wire credits must be the scan's."""
    from khabar.reuse import find_pairs
    from khabar.stories.build import build_stories

    arts = _corpus(ant, n=200)
    pairs, scanned = analyse(arts, jobs=1)
    sizes = find_pairs(arts, jobs=1).sizes
    for a in arts:
        a.view = None  # (find_pairs without units leaves each article's view cached)
    alone = build_stories(arts, pairs, sizes)
    assert alone.stories == scanned.stories
    assert alone.times == scanned.times and alone.wires == scanned.wires
    assert all(a.view is None for a in arts)  # no view is left behind on the articles


def test_scan_pauses_garbage_collection_and_restores_it(tmp_path) -> None:  # noqa: ANN001
    import gc

    from khabar.scan import gc_paused, scan
    from tests.conftest import SAMPLES

    seen = []
    with gc_paused():
        seen.append(gc.isenabled())
    assert seen == [False] and gc.isenabled()
    scan([str(SAMPLES)], out=tmp_path, quiet=True, warn=False, jobs=2)
    assert gc.isenabled()  # a scan leaves collection as it found it
    gc.disable()
    try:
        scan([str(SAMPLES)], quiet=True, warn=False, jobs=1)
        assert not gc.isenabled()  # ... also when the caller had it off
    finally:
        gc.enable()
    held: list = []
    try:  # a caller exiting right after (the CLI) keeps the intermediates, and collection stays off
        got = scan([str(SAMPLES)], out=tmp_path / "held", quiet=True, warn=False, jobs=2, hold=held)
        assert not gc.isenabled()
        assert len(held) == 1 and len(held[0]) == len(got.articles)
    finally:
        gc.enable()


def _same(a: object, b: object) -> bool:
    """Equal values, types and dtypes, through lists, tuples, dicts and dataclasses."""
    import dataclasses

    import numpy as np

    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b))  # type: ignore[union-attr]
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)  # type: ignore[attr-defined,index]
    if dataclasses.is_dataclass(a):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    return a == b


def test_a_batch_of_prepared_articles_pickles_packed_to_the_same_values(ant: list[dict]) -> None:
    """Workers send their prepared articles packed into a few arrays: unpacked, every field (arrays
    with their dtypes, segments, story units, wires, times) is what was prepared."""
    import pickle

    from khabar.prepare import PreparedBatch, prepare_many

    arts = _corpus(ant, 40)
    host = ant[0]["text"].split("\n")
    arts.append(Article(id="appended", text="\n".join([*host, "اقرأ أيضاً", *ant[1]["text"].split("\n")]), source="x"))
    arts.append(Article(id="empty-ish", text="١٢ | ٣٤ | ٥٦", source="x"))
    batch = prepare_many([(a, k, frozenset()) for k, a in enumerate(arts)])
    assert any(u.key.startswith("appended") for p in batch for u in p.units)
    blob = pickle.dumps(PreparedBatch(batch), protocol=pickle.HIGHEST_PROTOCOL)
    back = pickle.loads(blob)
    assert isinstance(back, PreparedBatch)
    assert _same(list(back), batch)
    assert len(blob) < len(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
    assert _same(list(pickle.loads(pickle.dumps(PreparedBatch(), protocol=5))), [])


def test_written_files_do_not_depend_on_jobs(ant: list[dict], tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """With two jobs the first articles' template keys are computed while the others are read, and
    pairs.jsonl and the articles' lines up to their units are written while the stories are grouped,
    each article's units spliced in: the same bytes, no file left over."""
    import importlib

    from khabar import prepare
    from khabar.scan import scan

    src = tmp_path / "in.jsonl"
    _early_corpus(ant, src)
    outs = []
    scan_module = importlib.import_module("khabar.scan")
    monkeypatch.setattr(scan_module, "KeysAhead", lambda: prepare.KeysAhead(5))  # template keys while reading
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        scan([str(src)], out=out, jobs=jobs)
        outs.append(out)
        assert sorted(p.name for p in out.iterdir() if p.is_file()) == [
            "articles.jsonl",
            "errors.jsonl",
            "pairs.jsonl",
            "stories.jsonl",
            "summary.json",
        ]
    for name in ("articles.jsonl", "pairs.jsonl", "stories.jsonl", "errors.jsonl"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    lines = (outs[1] / "articles.jsonl").read_bytes().split(b"\n")
    assert len(lines) == 25 and lines[-1] == b""  # one line each
    records = [json.loads(line) for line in lines[:-1]]
    assert list(records[1])[-1] != "units" and records[1]["units"] != "from the input"  # the input's place
    assert all(list(r)[-1] == "units" for k, r in enumerate(records) if k != 1)
    assert b"\\u2028" in lines[2] and b"\\u2029" in lines[4]
    assert records[3]["time"] != "yesterday"


def test_cleaning_with_the_learned_line_keys_equals_cleaning_from_scratch(ant: list[dict]) -> None:
    """A scan's cleaning reuses the line keys template learning computed (sliced per worker task);
    the segments are those of learning and classifying each article on its own, with any jobs."""
    from khabar.clean import clean_articles
    from khabar.clean.segment import classify
    from khabar.prepare import prepare_articles

    expected = _corpus(ant)
    learner = clean_articles(expected)
    templates = learner.templates()
    assert any(  # the corpus's footer is a template of its outlets
        ln.rule == "template" for a in expected[:7] for ln in classify(a.text, templates[a.source or ""])
    )
    for jobs in (1, 2):
        got = _corpus(ant)
        prepare_articles(got, jobs)
        assert [a.segments for a in got] == [a.segments for a in expected]


def test_template_keys_computed_while_reading_give_the_same_templates(ant: list[dict]) -> None:
    """The line keys of the first articles computed by children as they are read (KeysAhead) are
    counted with the workers' keys of the others: the same templates and line keys, in order."""
    import pytest

    from khabar.prepare import KeysAhead, learn_templates

    arts = _corpus(ant)
    keys: list = []
    want = learn_templates(arts, 1, line_keys=keys).templates()
    for chunk, jobs in ((50, 2), (7, 1), (320, 2), (1000, 2)):
        ahead = KeysAhead(chunk)
        read: list = []
        for a in arts:  # as read_all calls it
            read.append(a)
            ahead(read)
        sizes = [hi - lo for lo, hi, _ in ahead.started]
        assert sizes == sorted(sizes) and all(s <= chunk for s in sizes) and (chunk > 320 or sizes)
        got_keys: list = []
        seen: list[int] = []
        assert learn_templates(arts, jobs, seen.append, got_keys, ahead).templates() == want
        assert len(got_keys) == len(keys) and all(
            (x is None and y is None) or (x is not None and y is not None and list(x) == list(y))
            for x, y in zip(got_keys, keys, strict=True)
        )
        assert sum(seen) == 320  # every article counted once on the progress bar
    wrong = KeysAhead(50)
    wrong(arts[:60])
    wrong.started[0] = (10, 60, wrong.started[0][2])
    with pytest.raises(ValueError, match="first articles"):
        learn_templates(arts, 2, ahead=wrong)
    wrong.cancel()


def test_a_background_computation_gives_its_value_or_its_error(monkeypatch) -> None:  # noqa: ANN001
    import os

    import pytest

    from khabar import parallel
    from khabar.parallel import Background, BackgroundError

    job = Background(lambda: (os.getpid(), list(range(5))))
    pid, value = job.result()
    assert value == [0, 1, 2, 3, 4] and pid != os.getpid()  # computed by another process
    assert job.result()[1] == value  # and kept

    def fails() -> None:
        raise ValueError("no such unit")

    with pytest.raises(BackgroundError, match="ValueError: no such unit"):
        Background(fails).result()
    monkeypatch.setattr(parallel.mp, "get_all_start_methods", lambda: ["spawn"])
    here = Background(lambda: os.getpid())
    assert here.result() == os.getpid()  # without fork: computed when asked for, here


def test_stories_from_lexical_links_computed_beforehand_equal_the_stories(ant: list[dict]) -> None:
    import pytest

    from khabar.prepare import prepare_articles
    from khabar.reuse import find_pairs
    from khabar.stories.build import build_stories, lexical_links, story_units
    from khabar.stories.cluster import StoryIndex

    arts = _corpus(ant, 160)
    prepared = prepare_articles(arts)
    reuse = find_pairs(arts, units=[u for p in prepared for u in p.units])
    link = LinkParams(block=40)
    plain = build_stories(arts, reuse.pairs, reuse.sizes, link, prepared)
    blocks = lexical_links(story_units(prepared), link)
    given = build_stories(arts, reuse.pairs, reuse.sizes, link, prepared, lexical=lambda: blocks)
    assert len(plain.stories) > 1 and given.stories == plain.stories and given.unit_story == plain.unit_story
    unlinked = build_stories(arts, reuse.pairs, reuse.sizes, link, prepared, lexical=lambda: [])
    assert unlinked.stories != plain.stories  # the links given are the ones used
    index = StoryIndex(link)
    index.add(story_units(prepared)[:5])
    with pytest.raises(ValueError, match="empty index"):
        index.add(story_units(prepared)[5:], lexical=lambda: blocks)


def _reference_record(sid: str, members: list, result: Any, claims: dict) -> dict[str, Any]:
    """A stories.jsonl record the plain way, for any number of members (sorting them every time)."""
    from khabar.stories.build import _iso, _order_key, provenance

    first = sorted(members, key=_order_key)[0]
    timed = [u.time for u in members if u.time]
    return {
        "story": sid,
        "title": first.title,
        "size": len({u.article for u in members}),
        "members": [
            {"article": u.article_id, "segment": k, "unit": u.key}
            for u in sorted(members, key=lambda u: (u.article, u.key))
            for k in u.segments
        ],
        "first": first.article_id,
        "sources": sorted({u.source for u in members if u.source}),
        "start": _iso(min(timed)) if timed else None,
        "end": _iso(max(timed)) if timed else None,
        "wires": sorted({w for u in members for w in result.wires.get((u.article, u.key), [])}),
        "provenance": provenance(claims),
    }


def test_story_records_single_and_many_units(ant: list[dict]) -> None:
    """Single-unit stories (most of them) take a short path: the same record as the plain one, for
    units with and without a time, source, wires and several segments; so do stories of many."""
    from dataclasses import replace

    from khabar.prepare import prepare_articles
    from khabar.stories.build import StoryResult, _record, story_units

    arts = _corpus(ant, 60)
    prepared = prepare_articles(arts)
    units = story_units(prepared)
    wires = {(k, key): w for k, p in enumerate(prepared) for key, w in p.wires.items()}
    wires[(units[0].article, units[0].key)] = ["رويترز", "أ ف ب", "رويترز"]
    result = StoryResult([], wires=wires)
    variants = [*units, replace(units[1], source=None, time=None), replace(units[2], segments=[2, 0, 1])]
    assert any(u.time is None for u in variants) and any(u.time for u in variants)
    for u in variants:
        assert u.timestamp == (u.time.timestamp() if u.time else None)
        assert _record("s", [u], result, {}) == _reference_record("s", [u], result, {})
    rng = random.Random(7)
    for n in (2, 3, 8):
        group = rng.sample(variants, n)
        assert _record("g", group, result, {}) == _reference_record("g", group, result, {})


def test_a_cancelled_background_computation_stops_with_its_workers(tmp_path) -> None:  # noqa: ANN001
    import os
    import time

    from khabar.parallel import Background, pool

    pids = tmp_path / "pids"

    def slow() -> None:
        with pool(2, {}) as workers:
            workers.map_async(time.sleep, [60, 60])  # the workers busy too
            pids.write_text(" ".join(str(p.pid) for p in workers._pool) + f" {os.getpid()}")
            time.sleep(60)

    job = Background(slow)
    deadline = time.monotonic() + 10
    while not (pids.exists() and len(pids.read_text().split()) == 3) and time.monotonic() < deadline:
        time.sleep(0.05)
    started = [int(p) for p in pids.read_text().split()]
    assert not any(_gone(p) for p in started)
    job.cancel()
    deadline = time.monotonic() + 10
    while not all(_gone(p) for p in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(p) for p in started)  # the child and the two workers it started


def test_a_cancelled_background_write_leaves_no_temporary_file(tmp_path) -> None:  # noqa: ANN001
    """A child cancelled while it writes a file (``atomic_open``, as pairs.jsonl is written early)
    unwinds: its temporary file is removed, not left half-written beside the outputs."""
    import time

    from khabar.parallel import Background
    from khabar.writers import atomic_open

    out = tmp_path / "out"
    out.mkdir()
    started = tmp_path / "started"

    def write() -> None:
        with atomic_open(out / "pairs.jsonl") as fh:
            fh.write("{}\n")
            started.touch()
            time.sleep(60)

    job = Background(write)
    deadline = time.monotonic() + 10
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert started.exists() and len(list(out.iterdir())) == 1  # the temporary file
    t0 = time.monotonic()
    job.cancel()
    assert time.monotonic() - t0 < 10
    assert list(out.iterdir()) == []


def test_a_cancelled_child_removes_only_its_own_unfinished_files(tmp_path) -> None:  # noqa: ANN001
    """The files being written when a child forked are its parent's: the child's clean-up leaves them."""
    from khabar.parallel import Background
    from khabar.writers import remove_unfinished, unfinished

    mine = tmp_path / ".parent.tmp"
    mine.write_text("half")
    with unfinished(str(mine)):
        assert Background(lambda: remove_unfinished() or "done").result() == "done"
        assert mine.exists()
        remove_unfinished()  # this process's own: removed
    assert not mine.exists()


def test_a_pool_worker_terminated_while_writing_leaves_no_temporary_file(tmp_path) -> None:  # noqa: ANN001
    """A pool's workers are terminated (SIGTERM) when the pool ends early: another writer failed, or
    the scan was interrupted.  One that was writing an output (``atomic_open``, as the writers'
    pool does) removes its temporary file first instead of leaving it half-written beside the outputs."""
    import time

    from khabar.parallel import map_tasks, pool

    out = tmp_path / "out"
    out.mkdir()
    started = tmp_path / "started"
    with pool(2, {"out": out, "started": started}) as workers:
        map_tasks(workers, _write_slowly, [()])  # submitted at once; never waited for
        deadline = time.monotonic() + 20
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert started.exists() and len(list(out.iterdir())) == 1  # the temporary file
    # the pool's exit terminated its workers, the writer among them
    deadline = time.monotonic() + 10
    while list(out.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(out.iterdir()) == []


def _write_slowly(shared: dict) -> None:  # type: ignore[type-arg]
    import time

    from khabar.writers import atomic_open

    with atomic_open(shared["out"] / "stories.jsonl") as fh:
        fh.write("{}\n")
        shared["started"].touch()
        time.sleep(60)


def test_sigterm_is_guarded_only_while_a_file_is_written() -> None:
    """``unfinished`` installs its SIGTERM clean-up only where SIGTERM had its default, and puts the
    default back after the write: a process's own handler is left alone."""
    import signal

    from khabar.writers import removing_unfinished, unfinished

    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    with unfinished("/nonexistent/.a.tmp"):
        assert signal.getsignal(signal.SIGTERM) is removing_unfinished
        with unfinished("/nonexistent/.b.tmp"):
            assert signal.getsignal(signal.SIGTERM) is removing_unfinished
        assert signal.getsignal(signal.SIGTERM) is removing_unfinished
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL

    def own(signum: int, frame: object) -> None:
        pass

    signal.signal(signal.SIGTERM, own)
    try:
        with unfinished("/nonexistent/.c.tmp"):
            assert signal.getsignal(signal.SIGTERM) is own
        assert signal.getsignal(signal.SIGTERM) is own
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


_KILLED_PARENT = """
import sys, time
from pathlib import Path
from khabar.parallel import Background

def child():
    import os
    Path(sys.argv[1]).write_text(str(os.getpid()))
    time.sleep(60)

job = Background(child)
time.sleep(60)
"""


def test_a_background_child_ends_when_its_parent_is_killed(tmp_path) -> None:  # noqa: ANN001
    """A scan killed outright (SIGKILL, the OOM killer) cannot cancel its background children: they
    get SIGTERM from the kernel as their parent dies, and end instead of computing and writing on."""
    import os
    import subprocess
    import sys
    import time

    marker = tmp_path / "child"
    parent = subprocess.Popen([sys.executable, "-c", _KILLED_PARENT, str(marker)])
    try:
        deadline = time.monotonic() + 20
        while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
            time.sleep(0.02)
        child = int(marker.read_text())
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert _gone(child)
    finally:
        if not _gone(child):
            os.kill(child, 9)


def _gone(pid: int) -> bool:
    """No such process, or a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rpartition(")")[2].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_pool_workers_of_a_background_child_end_at_sigterm() -> None:
    """A pool forked inside a background child (the stories' links) gets SIGTERM's default back in
    its workers: the pool's own shutdown terminates them with it, and an inherited Python handler
    could miss the signal and hang the scan (seen once in thirty scans of the samples)."""
    import signal

    from khabar.parallel import Background, pool

    def dispositions() -> list[bool]:
        with pool(2, {}) as workers:
            return workers.map(_sigterm_is_default, range(4))

    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    assert Background(dispositions).result() == [True] * 4


def _sigterm_is_default(_: int) -> bool:
    import signal

    return signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_a_cancelled_child_that_does_not_end_is_killed(monkeypatch) -> None:  # noqa: ANN001
    import os
    import signal
    import time

    from khabar import parallel

    monkeypatch.setattr(parallel, "CANCEL_GRACE", 0.3)

    def deaf() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(60)

    job = parallel.Background(deaf)
    pid = job._pid
    time.sleep(0.2)
    t0 = time.monotonic()
    job.cancel()
    assert time.monotonic() - t0 < 5
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive


def test_a_scan_that_fails_after_cleaning_stops_its_background_links(ant: list[dict], monkeypatch) -> None:  # noqa: ANN001
    import importlib

    import pytest

    from khabar.parallel import Background

    scan_module = importlib.import_module("khabar.scan")
    cancelled: list[bool] = []

    class Recorded(Background):  # type: ignore[type-arg]
        def cancel(self) -> None:
            cancelled.append(True)
            super().cancel()

    def fails(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(scan_module, "Background", Recorded)
    monkeypatch.setattr(scan_module, "find_pairs", fails)
    with pytest.raises(RuntimeError, match="disk on fire"):
        scan_module.analyse(_corpus(ant, 40), jobs=2)
    assert cancelled == [True]


def _early_corpus(ant: list[dict], path) -> None:  # noqa: ANN001
    """ANT articles three times over, and records whose lines are not plain to splice: an input
    ``units`` field (it keeps its place in the record), line separators to escape, a ``time`` field."""
    docs = [dict(d, id=f"{d['id']}-{k}") for k in range(3) for d in ant]
    docs[1]["units"] = "from the input"
    docs[2]["title"] = "عنوان\u2028مع فاصل"
    docs[3]["time"] = "yesterday"
    docs[4]["text"] += "\u2029فقرة"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")


def test_a_scan_whose_early_writing_fails_reports_it_and_leaves_no_files(
    ant: list[dict], tmp_path, monkeypatch
) -> None:  # noqa: ANN001
    """pairs.jsonl and the articles' lines are written by a child during the stories: a full disk
    there is the scan's OSError (the CLI's one-line message), and no temporary file stays."""
    import pytest

    from khabar import outputs
    from khabar.scan import scan

    src = tmp_path / "in.jsonl"
    _early_corpus(ant, src)
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("{}", encoding="utf-8")  # of an earlier run: must not survive

    def full(out_dir, path, *args):  # noqa: ANN001, ANN002
        raise OSError(28, "No space left on device", str(out_dir / "pairs.jsonl"))

    monkeypatch.setattr(outputs, "_write_lines", full)
    with pytest.raises(OSError, match="No space left") as failed:
        scan([str(src)], out=out, jobs=2, checkpoint=False)
    assert failed.value.filename == str(out / "pairs.jsonl")
    assert sorted(p.name for p in out.iterdir()) == []


def test_a_scan_failing_while_grouping_stories_stops_its_early_writing(ant: list[dict], tmp_path, monkeypatch) -> None:  # noqa: ANN001
    import importlib

    import pytest

    scan_module = importlib.import_module("khabar.scan")
    src = tmp_path / "in.jsonl"
    _early_corpus(ant, src)
    out = tmp_path / "out"

    def fails(*args: object, **kwargs: object) -> None:
        raise RuntimeError("out of ideas")

    monkeypatch.setattr(scan_module, "build_stories", fails)
    with pytest.raises(RuntimeError, match="out of ideas"):
        scan_module.scan([str(src)], out=out, jobs=2, checkpoint=False)
    left = sorted(p.name for p in out.iterdir())
    assert "summary.json" not in left and not any(n.endswith(".tmp") for n in left), left
