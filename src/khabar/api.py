"""The Python API: the same operations as the CLI, as functions."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from khabar.article import Article
from khabar.clean import clean_articles
from khabar.errors import KhabarError
from khabar.readers.files import read_file
from khabar.reuse import ReuseParams, compare_articles
from khabar.scan import ScanResult
from khabar.scan import scan as _scan
from khabar.stories.link import story_relation


def read(path: str) -> Article:
    """Read one article from a .txt or .html file (or the first record of a .jsonl file)."""
    for rec in read_file(path):
        if isinstance(rec, Article):
            return rec
        raise KhabarError(str(rec))
    raise KhabarError(f"{path}: no article in the file")


def _as_article(x: str | Path | Article) -> Article:
    return x if isinstance(x, Article) else read(str(x))


def scan(
    paths: Iterable[str | Path],
    out: str | Path | None = None,
    quiet: bool = True,
    warn: bool = False,
    jobs: int | None = None,
    output_format: str = "jsonl",
    resume: bool = False,
) -> ScanResult:
    """Scan files and directories for reuse; see :func:`khabar.scan.scan`.  Bad records are in
    ``result.errors`` (and, with ``warn``, printed on stderr); ``jobs``: worker processes (default:
    every core); ``output_format``: ``jsonl`` or ``parquet``; ``resume``: go on from the checkpoints
    a killed scan into the same ``out`` left (like ``khabar scan --resume``)."""
    return _scan(
        [str(p) for p in paths],
        out=out,
        quiet=quiet,
        warn=warn,
        jobs=jobs,
        output_format=output_format,
        resume=resume,
    )


def compare(a: str | Path | Article, b: str | Path | Article, params: ReuseParams = ReuseParams()) -> dict[str, Any]:
    """What two articles share: one pair record (the same fields as a line of pairs.jsonl)."""
    x, y = _as_article(a), _as_article(b)
    clean_articles([x, y], learn_templates=False)
    pair = compare_articles(x, y, params)
    pair.update(story_relation(x, y, pair))
    return pair


def clean(x: str | Path | Article) -> str:
    """The article's clean body text: its body segments, boilerplate and appended articles removed."""
    article = _as_article(x)
    clean_articles([article], learn_templates=False)
    return "".join(article.text[s.start : s.end] for s in article.segments if s.kind == "body").strip()
