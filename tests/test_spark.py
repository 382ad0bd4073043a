"""The Spark engine gives byte-for-byte the same output as the local engine (Spark local mode)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

pytest.importorskip("pyspark")
if shutil.which("java") is None:  # pragma: no cover - .ci/run installs Java
    pytest.fail("the Spark engine test needs Java (apt-get install openjdk-17-jre-headless)")

import khabar  # noqa: E402
from khabar.engines import spark as spark_engine  # noqa: E402
from khabar.readers.records import MAX_CHARS  # noqa: E402

SOURCES = ("wadi", "mirsad", "sahel", "nabd", "akhar")
DATELINE = "دبي (CNN)-- "
TEASED: dict[str, str] = {}  # the articles corpus() ended with other articles' leads → the first of them
FOOTER = ["تابعونا على فيسبوك وتويتر", "جميع الحقوق محفوظة © {s} 2018", "عدد المشاهدات: {n}"]


def corpus(ant: list[dict], n: int = 2200, seed: int = 3) -> list[dict]:
    """``n`` articles: fresh prose from the sample's vocabulary, copies of earlier articles (partial,
        re-ordered, under new leads), outlet footers, appended articles, untimed ones, ``published`` values
    that are not ISO 8601 (a date, or none) and bad records."""
    rng = random.Random(seed)
    vocab = sorted({w for d in ant for w in d["text"].split()})
    docs: list[dict] = []
    for k in range(n):
        source = rng.choice(SOURCES)
        day = rng.randrange(40)
        if docs and rng.random() < 0.3:  # a copy of an earlier article, published soon after
            base = rng.choice(docs[-60:])
            paras = base["text"].split("\n")[: rng.randint(2, 6)]
            if rng.random() < 0.3:
                rng.shuffle(paras)
            if rng.random() < 0.3:
                paras = [" ".join(rng.choices(vocab, k=30)), *paras[1:]]
            title, day = base["title"], base.get("day", day)
        else:
            paras = [" ".join(rng.choices(vocab, k=rng.randint(15, 60))) for _ in range(rng.randint(3, 8))]
            title = " ".join(rng.choices(vocab, k=8))
            if rng.random() < 0.3:
                paras[0] = f"{DATELINE}{paras[0]}"
        teasers: list[str] = []
        if rng.random() < 0.1:  # the leads of earlier articles of the outlet, their datelines dropped
            earlier = [d for d in docs[-200:] if d["source"] == source]
            teasers = [d["text"].split("\n")[0].removeprefix(DATELINE) for d in earlier[-3:]]
            if len(teasers) >= 2:
                TEASED[f"a{k:05d}"] = teasers[0]
        lines = [*paras, *teasers, *(f.format(s=source, n=rng.randint(1, 9999)) for f in FOOTER)]
        if rng.random() < 0.1:
            lines += ["اقرأ أيضاً", " ".join(rng.choices(vocab, k=7)), " ".join(rng.choices(vocab, k=40))]
        doc = {"id": f"a{k:05d}", "title": title, "source": source, "text": "\n".join(lines), "day": day}
        if rng.random() > 0.05:
            doc["published"] = f"2018-05-{1 + day // 2:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00+00:00"
        if k % 17 == 5:
            doc["published"] = f"{1 + day // 2:02d}/05/2018"  # not ISO 8601: read as a date line is
        elif k % 29 == 7:
            doc["published"] = "أمس"  # not a date khabar can know: published_unreadable
        docs.append(doc)
    return docs


def prepared_corpus(docs: list[dict]) -> list:
    """The local engine's prepared articles of :func:`corpus` records (cleaned, units, story units)."""
    from khabar.prepare import prepare_articles
    from khabar.readers.records import record_to_article

    rows = [{k: v for k, v in d.items() if k != "day"} for d in docs]
    return prepare_articles([record_to_article(row, f"in:{n}", str(n)) for n, row in enumerate(rows)])


@pytest.fixture(scope="module")
def session():  # type: ignore[no-untyped-def]
    s = spark_engine.session("local[2]")
    yield s
    s.stop()


def test_spark_engine_output_equals_local_engine(tmp_path: Path, ant: list[dict], session, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    # outputs fetched by the driver in many small partitions (a corpus's default): the same bytes
    monkeypatch.setattr(spark_engine, "OUTPUT_PARTITION", 300)
    docs = corpus(ant)
    src = tmp_path / "in.jsonl"
    with open(src, "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
        fh.write("{not json\n")  # bad records are reported the same way, in input order with cut articles
        fh.write(json.dumps({"id": "long", "text": "نص " * (MAX_CHARS // 3 + 10)}, ensure_ascii=False) + "\n")
        fh.write(json.dumps({"id": "a00001", "text": "مكرر"}, ensure_ascii=False) + "\n")
    local = khabar.scan([src], out=tmp_path / "local", warn=True)
    local_err = capsys.readouterr().err
    summary = spark_engine.scan([str(src)], str(tmp_path / "spark"), spark=session)
    spark_err = capsys.readouterr().err
    # the same lines on stderr: the bad records, the cut articles, the unreadable published values
    said = [[x for x in err.splitlines() if x.startswith("khabar: ")] for err in (local_err, spark_err)]
    assert said[0] == said[1] and sum("is not a date" in x for x in said[0]) > 5
    assert [x.split(": ")[2].split()[0] for x in said[0][:3]] == ["invalid", "article", "duplicate"]
    assert local.summary["articles"] == summary["articles"] >= 2000
    assert local.summary["pairs"] > 300 and local.summary["stories"] < local.summary["articles"]
    records = [json.loads(x) for x in (tmp_path / "local" / "articles.jsonl").open()]
    teased = [r for r in records if r["id"] in TEASED and r["text"].count(TEASED[r["id"]]) == 1]
    at = [(r, r["text"].index(TEASED[r["id"]])) for r in teased]
    kinds = [next(g["kind"] for g in r["segments"] if g["start"] <= i < g["end"]) for r, i in at]
    assert len(teased) > 20 and kinds.count("boilerplate") > 0.8 * len(kinds)  # the teasers are found
    for name in ("articles", "pairs", "stories", "errors"):
        a = (tmp_path / "local" / f"{name}.jsonl").read_bytes()
        b = (tmp_path / "spark" / f"{name}.jsonl").read_bytes()
        assert a == b, name
    for key in (
        "records_read", "errors", "cut", "pairs_by_relation", "stories", "segments_by_kind",
        "times_inferred_from_text", "published_unreadable", "records_not_articles", "skipped_files",
    ):  # fmt: skip
        assert summary[key] == local.summary[key], key
    assert set(summary) == set(local.summary)  # the same fields, whichever engine wrote them
    assert (summary["engine"], local.summary["engine"]) == ("spark", "local")


@pytest.mark.parametrize(("max_df", "chunk"), [(500, 4_000_000), (3, 4_000_000), (500, 7)])
def test_candidates_counted_in_blocks_equal_the_local_engine_s(
    ant: list[dict], session, max_df: int, chunk: int, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The candidate unit pairs, their shared n-gram counts and the common n-grams' document
    frequencies that the Spark engine counts in numpy blocks are the local engine's."""
    import dataclasses

    import numpy as np

    from khabar.candidates import CandidateParams, candidate_pairs

    docs = corpus(ant, 400, seed=5)
    for d in docs[::40]:  # an appended article that repeats its host's paragraph: one article, no pair
        d["text"] += "\nاقرأ أيضاً\n" + " ".join(d["text"].split()[:7]) + "\n" + d["text"].split("\n")[0]
    prepared = prepared_corpus(docs)
    units = [u for p in prepared for u in p.units]
    uid = [(u.article, j) for p in prepared for j, u in enumerate(p.units)]
    assert sum(len(p.units) > 1 for p in prepared) >= 10  # appended units
    params = dataclasses.replace(CandidateParams(), max_df=max_df)
    monkeypatch.setattr(spark_engine, "PAIR_CHUNK", chunk)  # a few groups' pairs at a time, or all
    stats: list = []
    want = {
        (uid[x], uid[y]): c
        for lo, hi, shared in candidate_pairs(units, params, stats, keep_df_above=2)
        for x, y, c in zip(lo.tolist(), hi.tolist(), shared.tolist(), strict=True)
    }
    rdd = session.sparkContext.parallelize(list(zip(uid, units, strict=True)), 5)
    found, df = spark_engine.candidates(rdd, params, 2)
    got = dict(found.collect())
    assert len(want) > 100 and got == want
    assert np.array_equal(df.hashes, stats[0].hashes) and np.array_equal(df.counts, stats[0].counts)


def test_lexical_links_in_day_blocks_equal_the_local_engine_s(ant: list[dict], session) -> None:  # type: ignore[no-untyped-def]
    """Every lexical link and its weight, as the local engine finds them, with the units spread over
    three weeks (links up to the window's three days apart, across the buckets' day blocks) and
    some untimed."""
    import dataclasses
    from datetime import UTC, datetime, timedelta

    from khabar.stories.link import LinkParams, lexical_link_arrays

    prepared = prepared_corpus(corpus(ant, 500, seed=8))
    start = datetime(2018, 5, 1, tzinfo=UTC)
    units, uids = [], []
    for k, p in enumerate(prepared):
        for j, u in enumerate(p.story_units):
            at = None if k % 13 == 0 else start + timedelta(hours=(k * 37) % (21 * 24))
            units.append(dataclasses.replace(u, time=at))
            uids.append(spark_engine._uid(k, j))
    params = LinkParams()
    want: dict[tuple[int, int], float] = {}
    apart = 0  # links between timed units more than two days apart
    for block in lexical_link_arrays(units, params):
        for i, j, w in zip(*(a.tolist() for a in block), strict=True):
            want[(uids[i], uids[j])] = w
            if units[i].time and units[j].time:
                apart += abs(units[i].timestamp - units[j].timestamp) > 2 * 86400
    assert len(want) > 1000 and apart > 20
    items = session.sparkContext.parallelize(list(zip(uids, units, strict=True)), 4)
    assert dict(spark_engine.lexical_links(items, params).collect()) == want


def test_connected_components_label_each_node_with_its_component_s_smallest(session) -> None:  # type: ignore[no-untyped-def]
    """Distributed components equal a union-find's: random sparse graphs, long paths (many rounds)
    and stars, on node numbers as large as story units' (article << 16 | position)."""
    rng = random.Random(4)
    nodes = rng.sample(range(1, 1 << 40), 3000)
    edges = [(nodes[k], nodes[k + 1]) for k in range(400)]  # a path of 401 nodes
    edges += [(nodes[500], nodes[k]) for k in range(501, 600)]  # a star
    edges += [(rng.choice(nodes[600:]), rng.choice(nodes[600:])) for _ in range(1800)]
    edges = [(a, b) for a, b in edges if a != b]
    parent = {n: n for e in edges for n in e}

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in edges:
        ra, rb = root(a), root(b)
        parent[max(ra, rb)] = min(ra, rb)  # the root of a component is its smallest node
    want = {n: root(n) for n in parent}
    got = dict(spark_engine.connected_components(session.sparkContext.parallelize(edges, 3)).collect())
    assert got == want and len(set(want.values())) > 50
    assert spark_engine.connected_components(session.sparkContext.parallelize([], 2)).collect() == []


def test_an_output_is_partitioned_by_its_own_size(session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Pairs and stories are fetched by the driver a partition at a time: their partitions are sized
    by their own number of records, not the articles' (a corpus copied many times has many more pairs
    than articles), sorted, and the count is theirs."""
    monkeypatch.setattr(spark_engine, "OUTPUT_PARTITION", 100)
    sc = session.sparkContext
    keyed = sc.parallelize([(k * 7919 % 2500, k) for k in range(2500)], 3)
    ordered, n = spark_engine._sorted_output(sc, keyed)
    assert n == 2500
    assert ordered.getNumPartitions() == 25
    assert ordered.keys().collect() == list(range(2500))
    assert max(ordered.glom().map(len).collect()) <= 200


@pytest.mark.parametrize("output_format", ["jsonl", "parquet"])
def test_hadoop_filesystem_uris_in_and_out(  # type: ignore[no-untyped-def]
    tmp_path: Path, ant: list[dict], session, monkeypatch, output_format: str
) -> None:
    """Inputs and outputs given as Hadoop file system URIs go through Hadoop's FileSystem API (here
    its local file system, standing in for hdfs:// or s3a://): the same files as the local engine's,
    JSONL byte for byte and Parquet record for record."""
    from khabar.parquet import read_records

    monkeypatch.setattr(spark_engine, "_is_uri", lambda path: "://" in path)  # file:// too, here
    src = tmp_path / "in.jsonl"
    with open(src, "w", encoding="utf-8") as fh:
        for d in corpus(ant, 150, seed=5):
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    local = tmp_path / "local"
    khabar.scan([src], out=local, output_format=output_format)
    out = tmp_path / "spark"
    out.mkdir()
    other = "parquet" if output_format == "jsonl" else "jsonl"
    (out / f"pairs.{other}").write_text("an earlier scan's, in the other format")  # removed: one scan per directory
    summary = spark_engine.scan([src.as_uri()], out.as_uri(), output_format=output_format, warn=False, spark=session)
    assert summary["articles"] == 150 and summary["pairs"] > 0
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith(".") and not p.name.endswith(".crc"))
    assert names == sorted(p.name for p in local.iterdir())
    for name in names:
        if name.endswith(".parquet"):
            assert read_records(out / name) == read_records(local / name), name
        elif name != "summary.json":
            assert (out / name).read_bytes() == (local / name).read_bytes(), name
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


class _JavaError:
    """A Java exception as py4j shows it: a message and a cause."""

    _target_id = "o1"  # py4j's reference to the object in the JVM

    def __init__(self, message: str | None, cause: _JavaError | None = None) -> None:
        self.message, self.cause = message, cause

    def getMessage(self) -> str | None:  # noqa: N802 - Java's name
        return self.message

    def getCause(self) -> _JavaError | None:  # noqa: N802
        return self.cause

    def toString(self) -> str:  # noqa: N802
        return "java.lang.OutOfMemoryError"


def test_a_failed_spark_job_is_one_line_not_a_traceback(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """The deepest cause's first line, exit status 2; an error that is not Spark's stays as it is."""
    from py4j.protocol import Py4JJavaError

    from khabar import cli

    lost = "Job aborted due to stage failure: Task 0 in stage 801.0 failed 1 times: TaskResultLost\nDriver stacktrace:"
    error = Py4JJavaError("An error occurred", _JavaError("Exception thrown in awaitResult: ", _JavaError(lost)))

    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(spark_engine, "scan", fail)
    argv = ["khabar", "scan", str(tmp_path), "--out", str(tmp_path / "o"), "--engine", "spark"]
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as done:
        cli.main()
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert err == (
        "khabar: the Spark job failed: Job aborted due to stage failure: Task 0 in stage 801.0 failed 1 times: "
        "TaskResultLost\n"
    )
    # a cause without a message is named by its class
    unnamed = Py4JJavaError("x", _JavaError(None))
    assert spark_engine.failure(unnamed) == "the Spark job failed: java.lang.OutOfMemoryError"
    assert spark_engine.failure(ValueError("not Spark's")) is None
