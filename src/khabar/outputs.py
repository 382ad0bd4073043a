"""A scan's output files: the articles.jsonl record, and writing every file atomically.

All of an articles.jsonl line but its units' story ids (the article, its segments, its time, its
units' segments and wire credits) is known once the articles are cleaned.  With ``--jobs`` above 1,
:class:`EarlyWrite` has a forked child write pairs.jsonl and encode each article's line without the
story ids while the parent groups the stories (a core is otherwise idle then); the articles are
then written by putting each story id in its place (the same bytes as encoding the whole record).
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from khabar.article import Article
from khabar.errors import RecordError
from khabar.parallel import Background, map_tasks, pool
from khabar.prepare import Prepared
from khabar.results import FORMATS
from khabar.stories.build import StoryResult
from khabar.writers import atomic_open, dumps_bytes, temp_beside, write_encoded, write_jsonl

Time = tuple[datetime | None, str | None]  # (time, where it came from)


def article_head(article: Article, time: Time) -> dict[str, Any]:
    """An articles.jsonl record without its ``units``: the article, its segments and its time."""
    rec = article.to_json()
    t, source = time
    rec["time"] = t.isoformat() if t else None
    rec["time_source"] = source
    return rec


def article_units(article: Article, k: int, stories: StoryResult) -> list[dict[str, Any]]:
    """The ``units`` of article ``k``'s record: each unit's segments, story and wire credits."""
    return [
        {
            "unit": key,
            "segments": segs,
            "story": stories.unit_story.get((k, key)),
            "wires": stories.wires.get((k, key), []),
        }
        for key, segs in article.units().items()
    ]


def article_record(article: Article, k: int, stories: StoryResult) -> dict[str, Any]:
    """An articles.jsonl line: the article, its segments, and what stories and provenance found."""
    rec = article_head(article, stories.times[k])
    rec["units"] = article_units(article, k, stories)
    return rec


def _spliceable(article: Article) -> bool:
    """Whether the record's ``units`` come last (a ``units`` field of the input keeps its place)."""
    return "units" not in article.extra


class EarlyWrite:
    """pairs.jsonl and the articles.jsonl lines but their story ids, written by a forked child
    (:class:`Background`) from the moment the reuse pairs are known.  ``summary.json`` is removed
    first: a directory without one is incomplete.  :meth:`wait` for it, then :meth:`article_lines`
    gives the finished lines (in this process or a forked one).  Each line's time and wire credits
    are the prepared articles' (the ones ``build_stories`` puts in its :class:`StoryResult`)."""

    def __init__(
        self, out: Path, articles: Sequence[Article], prepared: Sequence[Prepared], pairs: list[dict[str, Any]]
    ):
        (out / "summary.json").unlink(missing_ok=True)
        # the lines' file has no name: it lives as long as a process holds it open, so a scan killed
        # outright (SIGKILL, out of memory) leaves nothing of it behind (on the outputs' file system)
        self.fd, path = temp_beside(out / "articles.jsonl")
        os.unlink(path)
        self.articles = articles
        self._job: Background[_Layout | OSError] = Background(
            lambda: _write_early(out, self.fd, articles, prepared, pairs)
        )

    def article_lines(self, stories: StoryResult) -> Iterator[bytes]:
        """Each articles.jsonl line (without its line break): the encoded line with each unit's
        story id put in its place."""
        offsets, cuts, bounds, keys = self._layout()
        story = stories.unit_story
        size = os.fstat(self.fd).st_size
        lines: Any = mmap.mmap(self.fd, 0, access=mmap.ACCESS_READ) if size else b""
        try:
            for k, article in enumerate(self.articles):
                if offsets[k] == offsets[k + 1]:  # encoded here, whole
                    yield dumps_bytes(article_record(article, k, stories))
                    continue
                line = lines[offsets[k] : offsets[k + 1]]
                pieces: list[bytes] = []
                at = 0
                for j in range(bounds[k], bounds[k + 1]):
                    pieces.append(line[at : cuts[j]])
                    pieces.append(dumps_bytes(story.get((k, keys[j]))))
                    at = cuts[j]
                pieces.append(line[at:])
                yield b"".join(pieces)
        finally:
            if size:
                lines.close()

    def wait(self) -> None:
        """Wait for the child: pairs.jsonl and the lines are written (call it before forking the
        writers, which read the lines)."""
        self._layout()

    def _layout(self) -> _Layout:
        got = self._job.result()
        if isinstance(got, OSError):  # a full disk, a folder gone: reported as when writing here
            raise got
        return got

    def close(self) -> None:
        """Stop the child if it still runs, and let the lines' file go."""
        self._job.cancel()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


# where each article's line starts in the file (n + 1 offsets; none for one encoded whole later),
# where in its line each of its units' story ids goes, which of those are its (n + 1 bounds), and
# the units' keys
_Layout = tuple[list[int], list[int], list[int], list[str]]


def _write_early(
    out: Path, fd: int, articles: Sequence[Article], prepared: Sequence[Prepared], pairs: Any
) -> _Layout | OSError:
    """Write pairs.jsonl, then each article's line without its units' story ids to the open file
    ``fd``: returns the lines' layout, or the error that stopped it."""
    try:
        return _write_lines(out, fd, articles, prepared, pairs)
    except OSError as e:
        return e


def _write_lines(out: Path, fd: int, articles: Sequence[Article], prepared: Sequence[Prepared], pairs: Any) -> _Layout:
    write_jsonl(out / "pairs.jsonl", pairs)
    offsets, cuts, bounds, keys = [0], [], [0], []
    at = 0
    with os.fdopen(os.dup(fd), "wb") as fh:  # (a file of its own here: this process's copy of it)
        batch: list[bytes] = []
        for article, p in zip(articles, prepared, strict=True):
            line = _line_but_stories(article, p, cuts, keys) if _spliceable(article) else b""
            batch.append(line)
            at += len(line)
            offsets.append(at)
            bounds.append(len(cuts))
            if len(batch) == 256:
                fh.write(b"".join(batch))
                batch.clear()
        fh.write(b"".join(batch))
    return offsets, cuts, bounds, keys


def _line_but_stories(article: Article, p: Prepared, cuts: list[int], keys: list[str]) -> bytes:
    """The article's encoded record but its units' story ids (what ``dumps_bytes(article_record)``
    gives with each story id cut out): appends where in the line each goes, and its unit's key."""
    head = dumps_bytes(article_head(article, p.time))
    parts = [head[:-1], b',"units":[']
    n = len(head) - 1 + len(parts[1])
    for i, (key, segs) in enumerate(article.units().items()):
        before = (
            (b"," if i else b"") + b'{"unit":' + dumps_bytes(key) + b',"segments":' + dumps_bytes(segs) + b',"story":'
        )
        after = b',"wires":' + dumps_bytes(p.wires.get(key, [])) + b"}"
        parts += (before, after)
        n += len(before)
        cuts.append(n)
        keys.append(key)
        n += len(after)
    parts.append(b"]}")
    return b"".join(parts)


#: the output files whose format ``--format`` chooses (errors.jsonl and summary.json are always JSON)
FORMAT_FILES = ("articles", "pairs", "stories")


def other_format_files(output_format: str) -> list[str]:
    """The names of the files a scan in the other format writes (``pairs.parquet`` … for ``jsonl``)."""
    other = next(f for f in FORMATS if f != output_format)
    return [f"{name}.{other}" for name in FORMAT_FILES]


def write_outputs(
    out: Path,
    output_format: str,
    articles: Iterator[dict[str, Any]],
    pairs: Iterator[dict[str, Any]],
    stories: Iterator[dict[str, Any]],
    errors: Iterable[RecordError],
    jobs: int = 1,
    article_lines: Callable[[], Iterator[bytes]] | None = None,
    pairs_written: bool = False,
) -> None:
    """Write the output files (all but summary.json), each atomically, streaming the records.

    With ``jobs`` > 1, articles are encoded and written by one forked process while another writes
    the pairs, stories and errors (the record iterators are inherited, never sent).  JSONL articles
    given as ``article_lines()`` (encoded lines, see :class:`EarlyWrite`) are written as they are;
    ``pairs_written``: pairs.jsonl is there already.  The other format's files of an earlier scan
    into ``out`` are removed (:func:`other_format_files`): an output directory holds one scan."""
    for stale in other_format_files(output_format):
        (out / stale).unlink(missing_ok=True)
    first: list[tuple[Any, ...]]
    if article_lines is not None and output_format == "jsonl":
        first = [("articles", article_lines, "lines")]
    else:
        first = [("articles", articles, output_format)]
    rest: list[tuple[Any, ...]] = [] if pairs_written else [("pairs", pairs, output_format)]
    rest += [("stories", stories, output_format), ("errors", (e.to_json() for e in errors), "jsonl")]
    shared = {"groups": [first, rest], "out": out}
    with pool(min(jobs, 2), shared) as workers:
        for _ in map_tasks(workers, _write_group, [(0,), (1,)]):
            pass


def _write_group(shared: dict[str, Any], g: int) -> None:
    for name, recs, fmt in shared["groups"][g]:
        if fmt == "lines":  # encoded already (a function giving them, called here)
            with atomic_open(shared["out"] / f"{name}.jsonl") as fh:
                write_encoded(fh.buffer, recs())
        elif fmt == "parquet":
            from khabar.parquet import SCHEMAS, write_parquet

            write_parquet(shared["out"] / f"{name}.parquet", recs, SCHEMAS[name])
        else:
            write_jsonl(shared["out"] / f"{name}.jsonl", recs)
