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

SOURCES = ("wadi", "mirsad", "sahel", "nabd", "akhar")
FOOTER = ["تابعونا على فيسبوك وتويتر", "جميع الحقوق محفوظة © {s} 2018", "عدد المشاهدات: {n}"]


def corpus(ant: list[dict], n: int = 2200, seed: int = 3) -> list[dict]:
    """``n`` articles: fresh prose from the sample's vocabulary, copies of earlier articles (partial,
    re-ordered, under new leads), outlet footers, appended articles, untimed ones and bad records."""
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
        lines = [*paras, *(f.format(s=source, n=rng.randint(1, 9999)) for f in FOOTER)]
        if rng.random() < 0.1:
            lines += ["اقرأ أيضاً", " ".join(rng.choices(vocab, k=7)), " ".join(rng.choices(vocab, k=40))]
        doc = {"id": f"a{k:05d}", "title": title, "source": source, "text": "\n".join(lines), "day": day}
        if rng.random() > 0.05:
            doc["published"] = f"2018-05-{1 + day // 2:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00+00:00"
        docs.append(doc)
    return docs


@pytest.fixture(scope="module")
def session():  # type: ignore[no-untyped-def]
    s = spark_engine.session("local[2]")
    yield s
    s.stop()


def test_spark_engine_output_equals_local_engine(tmp_path: Path, ant: list[dict], session) -> None:  # type: ignore[no-untyped-def]
    docs = corpus(ant)
    src = tmp_path / "in.jsonl"
    with open(src, "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
        fh.write("{not json\n")  # bad records are reported the same way
        fh.write(json.dumps({"id": "a00001", "text": "مكرر"}, ensure_ascii=False) + "\n")
    local = khabar.scan([src], out=tmp_path / "local")
    summary = spark_engine.scan([str(src)], str(tmp_path / "spark"), warn=False, spark=session)
    assert local.summary["articles"] == summary["articles"] >= 2000
    assert local.summary["pairs"] > 300 and local.summary["stories"] < local.summary["articles"]
    for name in ("articles", "pairs", "stories", "errors"):
        a = (tmp_path / "local" / f"{name}.jsonl").read_bytes()
        b = (tmp_path / "spark" / f"{name}.jsonl").read_bytes()
        assert a == b, name
    for key in ("records_read", "errors", "cut", "pairs_by_relation", "stories", "segments_by_kind"):
        assert summary[key] == local.summary[key], key
