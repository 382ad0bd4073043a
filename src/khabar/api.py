"""The Python API: the same operations as the CLI, as functions."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from khabar.article import Article
from khabar.clean import clean_articles
from khabar.errors import KhabarError, RecordError
from khabar.readers.files import kind_of, read_file
from khabar.reuse import ReuseParams, compare_articles
from khabar.scan import ScanResult
from khabar.scan import scan as _scan
from khabar.stories.link import story_relation


def read(path: str, article_id: str | None = None) -> Article:
    """Read one article from a file: a .txt or .html file's, else (.jsonl, .warc, .parquet …) the
    record with id ``article_id``, or without one the file's first article.  A bad record it would
    read is a :class:`KhabarError` naming its file and line."""
    return read_one(path, article_id)[0]


def read_one(path: str, article_id: str | None = None) -> tuple[Article, bool]:
    """:func:`read`, and whether the file holds another article after it (only looked for without
    ``article_id``: then the caller may tell the user which one of several it read)."""
    records = read_file(path)
    unread: list[RecordError] = []  # bad records that may have been the one asked for
    lines = kind_of(path) != "warc"  # (a WARC record's "line" is its offset: the first one's is 0)
    for rec in records:
        if isinstance(rec, Article):
            if article_id is None or rec.id == article_id:
                more = article_id is None and any(isinstance(r, Article) for r in records)
                return rec, more
        elif isinstance(rec, RecordError):
            if article_id is None or rec.id == article_id or (rec.line == 0 and lines):
                raise KhabarError(str(rec))  # (line 0: the file itself could not be read)
            if rec.id is None:
                unread.append(rec)
        # a WARC's other records (warcinfo, requests …) are not articles
    if article_id is None:
        raise KhabarError(f"{path}: no article in the file")
    why = f" ({len(unread)} bad records without an id, the first: {unread[0]})" if unread else ""
    raise KhabarError(f"{path}: no article with id {article_id!r}{why}")


def read_arg(arg: str) -> tuple[Article, bool]:
    """The article a command-line argument names: ``FILE`` (its first article) or ``FILE#ID`` (the
    record of that id in FILE; the file is the longest existing prefix before a ``#``)."""
    if not Path(arg).exists():
        cuts = [k for k, ch in enumerate(arg) if ch == "#"]
        for k in reversed(cuts):
            if Path(arg[:k]).is_file():
                return read_one(arg[:k], arg[k + 1 :])
    return read_one(arg)


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
