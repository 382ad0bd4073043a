"""The batch pipeline: read → clean → fingerprint/align → write, with timings and an error report."""

from __future__ import annotations

import gc
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from tqdm import tqdm

from khabar import __version__
from khabar.article import Article
from khabar.errors import RecordError
from khabar.normalize import VERSION as NORMALIZER_VERSION
from khabar.outputs import EarlyWrite, article_record, write_outputs
from khabar.parallel import Background, default_jobs
from khabar.prepare import KeysAhead, Prepared, prepare_articles
from khabar.readers.files import discover, skipped_outputs
from khabar.readers.parts import read_records, reads_in_workers
from khabar.readers.records import MAX_CHARS
from khabar.readers.warc import Skipped
from khabar.relate import RELATIONS
from khabar.results import FORMATS
from khabar.resume import Checkpoints, run_key
from khabar.reuse import ReuseParams, ReuseResult, find_pairs
from khabar.stories.build import StoryResult, build_stories, lexical_links, story_units
from khabar.stories.link import LinkBlock, LinkParams
from khabar.times import unreadable_notices
from khabar.writers import write_json


@dataclass
class ScanResult:
    articles: list[Article]
    pairs: list[dict[str, Any]]
    errors: list[RecordError]
    summary: dict[str, Any] = field(default_factory=dict)
    stories: list[dict[str, Any]] = field(default_factory=list)


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - t0, 3)


@contextmanager
def gc_paused(restore: bool = True) -> Iterator[None]:
    """No cyclic garbage collection while a scan runs (forked workers inherit this).

    A scan holds millions of long-lived objects and makes almost no reference cycles; each full
    collection would walk all of them (about a tenth of a scan's time on ANT).  Memory is still freed
    by reference counting; collection is restored when the scan ends (unless not ``restore``: for a
    process that exits right after, since the first collection then walks every object the scan
    made, a quarter of a second on ANT)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was and restore:
            gc.enable()


def _bar(total: int | None, desc: str, unit: str, quiet: bool, scale: float = 1.0) -> tqdm:
    """A progress bar on stderr; ``scale``: what one step is worth of ``unit`` (the cleaning stage
    makes two passes over the articles, each step half an article's work)."""
    if scale == 1.0:
        return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=quiet, dynamic_ncols=True, leave=False)
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=scale,
        bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} [{elapsed}<{remaining}, {rate_fmt}{postfix}]",
        file=sys.stderr,
        disable=quiet,
        dynamic_ncols=True,
        leave=False,
    )


def read_all(
    paths: Iterable[str],
    quiet: bool = True,
    warn: bool = True,
    not_articles: Counter[str] | None = None,
    jobs: int = 1,
    on_read: Callable[[list[Article]], None] | None = None,
) -> tuple[list[Article], list[RecordError], list[str]]:
    """Read every input (``jobs`` worker processes); duplicate ids are errors too.  Returns (articles,
    errors, skipped files); records that are not articles (WARC requests, non-HTML responses …) are
    counted by reason in ``not_articles``.  An article whose text was cut to the maximum size gets a
    warning line.  ``on_read(articles)`` is called after each article read in this process (not
    when workers extract pages: forking beside their pool is not safe)."""
    files, skipped = discover(paths)
    if warn:
        for notice in skipped_outputs(skipped):
            tqdm.write(notice, file=sys.stderr)
    in_workers = reads_in_workers(files, jobs)
    if in_workers:
        on_read = None
    articles: list[Article] = []
    errors: list[RecordError] = []
    seen: dict[str, str] = {}
    with _bar(None, "read", "article", quiet) as bar:
        for rec in read_records(files, jobs, in_workers):
            if isinstance(rec, Skipped):
                if not_articles is not None:
                    not_articles[rec.reason] += 1
                continue
            if isinstance(rec, Article) and rec.id in seen:
                rec = RecordError.at(rec.origin, f"duplicate id {rec.id!r} (first at {seen[rec.id]})", rec.id)
            if isinstance(rec, RecordError):
                errors.append(rec)
                if warn:
                    tqdm.write(f"khabar: {rec}", file=sys.stderr)
                continue
            seen[rec.id] = rec.origin
            if rec.cut and warn:
                tqdm.write(f"khabar: {rec.origin}: {rec.cut}", file=sys.stderr)
            articles.append(rec)
            bar.update(1)
            if on_read is not None:
                on_read(articles)
    return articles, errors, skipped


def analyse(
    articles: Sequence[Article],
    params: ReuseParams = ReuseParams(),
    quiet: bool = True,
    timer: _Timer | None = None,
    link: LinkParams = LinkParams(),
    jobs: int | None = None,
    checkpoints: Checkpoints | None = None,
    before_stories: Callable[[Sequence[Prepared], list[dict[str, Any]]], None] | None = None,
    ahead: KeysAhead | None = None,
) -> tuple[list[dict[str, Any]], StoryResult]:
    """Clean the articles in place, find every reuse pair, and group the articles into stories
    (``jobs`` worker processes; default: every core).  With ``checkpoints``, each stage's result is
    saved there, or taken from there when a killed run already computed it.  ``before_stories(prepared,
    pairs)`` is called once the pairs are known (to start writing what does not need the stories);
    ``ahead``: template keys computed while the articles were read (:class:`KeysAhead`)."""
    timer = timer or _Timer()
    jobs = jobs or default_jobs()
    with timer.stage("clean"), _bar(2 * len(articles), "clean", "article", quiet, scale=0.5) as bar:
        if checkpoints is None:
            prepared = prepare_articles(articles, jobs, progress=bar.update, ahead=ahead)
        else:
            prepared = checkpoints.prepare(articles, jobs, progress=bar.update, ahead=ahead)
    links: Background[list[LinkBlock]] | None = None
    if jobs > 1 and (checkpoints is None or not checkpoints.has("stories")):
        # the stories' lexical links need only the prepared articles: a forked child computes them
        # (with its own workers) while this process finds the reuse pairs, whose serial steps would
        # otherwise leave cores idle
        links = Background(partial(lexical_links, story_units(prepared), link, jobs))
    try:
        return _pairs_and_stories(
            articles, prepared, params, quiet, timer, link, jobs, checkpoints, links, before_stories
        )
    except BaseException:
        if links is not None:
            links.cancel()
        raise


def _pairs_and_stories(
    articles: Sequence[Article],
    prepared: list[Prepared],
    params: ReuseParams,
    quiet: bool,
    timer: _Timer,
    link: LinkParams,
    jobs: int,
    checkpoints: Checkpoints | None,
    links: Background[list[LinkBlock]] | None,
    before_stories: Callable[[Sequence[Prepared], list[dict[str, Any]]], None] | None,
) -> tuple[list[dict[str, Any]], StoryResult]:
    lexical = None if links is None else links.result
    with timer.stage("reuse"), _bar(None, "align", "pair", quiet) as bar:
        units = [u for p in prepared for u in p.units]

        def pairs() -> ReuseResult:
            return find_pairs(articles, params, progress=bar.update, units=units, jobs=jobs)

        reuse = pairs() if checkpoints is None else checkpoints.stage("reuse", pairs)
    if before_stories is not None:
        before_stories(prepared, reuse.pairs)
    with timer.stage("stories"), _bar(None, "stories", "story", quiet) as bar:

        def group() -> StoryResult:
            return build_stories(articles, reuse.pairs, reuse.sizes, link, prepared, jobs=jobs, lexical=lexical)

        stories = group() if checkpoints is None else checkpoints.stage("stories", group)
        bar.update(len(stories.stories))
    return reuse.pairs, stories


def scan(
    paths: Iterable[str],
    out: str | Path | None = None,
    params: ReuseParams = ReuseParams(),
    quiet: bool = True,
    warn: bool = True,
    jobs: int | None = None,
    output_format: str = "jsonl",
    resume: bool = False,
    checkpoint: bool = True,
    hold: list[Any] | None = None,
) -> ScanResult:
    """Scan inputs; with ``out``, write articles, pairs and stories (``output_format`` ``jsonl`` or
    ``parquet``), errors.jsonl and summary.json.

    ``quiet`` hides the progress bar; ``warn`` prints one line per bad record on stderr.  With
    ``out``, the stages' results are checkpointed under ``out/.khabar-resume/`` (removed once the
    run is complete); ``resume`` reuses the checkpoints a killed run over the same articles and
    options left there (see :mod:`khabar.resume`); ``checkpoint=False`` writes none.  ``hold``: a
    caller that exits right after the scan without freeing memory (the CLI) gets the scan's
    intermediate results (the prepared articles) appended there instead of freed one by one, and
    cyclic garbage collection stays off after the scan.
    """
    if output_format not in FORMATS:
        raise ValueError(f"unknown output format {output_format!r}")
    with gc_paused(restore=hold is None):
        return _scan(paths, out, params, quiet, warn, jobs, output_format, resume, checkpoint, hold)


def _scan(
    paths: Iterable[str],
    out: str | Path | None,
    params: ReuseParams,
    quiet: bool,
    warn: bool,
    jobs: int | None,
    output_format: str,
    resume: bool,
    checkpoint: bool,
    hold: list[Any] | None = None,
) -> ScanResult:
    timer = _Timer()
    started = time.perf_counter()
    parallel = (jobs or default_jobs()) > 1
    # template learning starts on the first articles while the others are read (unless resuming:
    # the templates are most likely checkpointed)
    ahead = KeysAhead() if parallel and not resume else None
    early: list[EarlyWrite] = []  # pairs.jsonl and the articles' lines but their units, written early
    try:
        not_articles: Counter[str] = Counter()
        with timer.stage("read"):
            articles, errors, skipped = read_all(
                paths, quiet=quiet, warn=warn, not_articles=not_articles, jobs=jobs or default_jobs(), on_read=ahead
            )
        checkpoints = None
        if out is not None and (checkpoint or resume):
            key = partial(run_key, articles, (params, LinkParams(), MAX_CHARS))
            # hashing every article takes a while: unless resuming, a forked child does it meanwhile
            later = parallel and not resume
            checkpoints = Checkpoints(out, Background(key).result if later else key(), resume, background=parallel)
            if warn and checkpoints.stale:
                tqdm.write(
                    f"khabar: {checkpoints.dir}: checkpoints of other inputs or options: starting over", file=sys.stderr
                )

        def write_early(prepared: Sequence[Prepared], found: list[dict[str, Any]]) -> None:
            if hold is not None:
                hold.append(prepared)
            if out is not None and output_format == "jsonl" and parallel:
                early.append(EarlyWrite(Path(out), articles, prepared, found))

        pairs, stories = analyse(
            articles, params, quiet, timer, jobs=jobs, checkpoints=checkpoints, before_stories=write_early, ahead=ahead
        )
        if warn:
            unreadable = [
                (a.origin, a.published)
                for a, (_, src) in zip(articles, stories.times, strict=True)
                if a.published and src != "published"
            ]
            for line in unreadable_notices(unreadable, len(unreadable)):
                tqdm.write(line, file=sys.stderr)
        if warn and checkpoints is not None and checkpoints.reused:
            tqdm.write(
                f"khabar: resumed from {len(checkpoints.reused)} checkpoints in {checkpoints.dir}", file=sys.stderr
            )
        summary = _summary(articles, errors, skipped, not_articles, pairs, stories, timer.seconds, output_format)
        if out is not None:
            with timer.stage("write"), _bar(4, "write", "file", quiet) as bar:
                # summary.json is written last: an output directory without one is incomplete
                (Path(out) / "summary.json").unlink(missing_ok=True)
                if early:
                    early[0].wait()  # pairs.jsonl and the articles' heads are written
                write_outputs(
                    Path(out),
                    output_format,
                    (article_record(a, k, stories) for k, a in enumerate(articles)),
                    iter(pairs),
                    iter(stories.stories),
                    errors,
                    jobs=jobs or default_jobs(),
                    article_lines=partial(early[0].article_lines, stories) if early else None,
                    pairs_written=bool(early),
                )
                bar.update(4)  # articles, pairs, stories and errors (summary.json comes last)
            if checkpoints is not None:
                checkpoints.written()
            summary["seconds"] = dict(timer.seconds, total=round(time.perf_counter() - started, 3))
            write_json(Path(out) / "summary.json", summary)
            if checkpoints is not None:
                checkpoints.finish()
        else:
            summary["seconds"] = dict(timer.seconds, total=round(time.perf_counter() - started, 3))
        return ScanResult(articles, pairs, errors, summary, stories.stories)
    finally:
        if ahead is not None:
            ahead.cancel()
        for e in early:
            e.close()


def _summary(
    articles: list[Article],
    errors: list[RecordError],
    skipped: list[str],
    not_articles: Counter[str],
    pairs: list[dict[str, Any]],
    stories: StoryResult,
    seconds: dict[str, float],
    output_format: str,
) -> dict[str, Any]:
    """summary.json (its ``seconds`` are completed once the files are written)."""
    relations = Counter(p["relation"] for p in pairs)
    return {
        "khabar_version": __version__,
        "normalizer_version": NORMALIZER_VERSION,
        "records_read": len(articles) + len(errors),
        "articles": len(articles),
        "errors": len(errors),
        "cut": sum(1 for a in articles if a.cut),
        "skipped_files": skipped,
        "records_not_articles": dict(sorted(not_articles.items())),
        "pairs": len(pairs),
        "pairs_by_relation": {r: relations.get(r, 0) for r in RELATIONS},
        "stories": len(stories.stories),
        "times_inferred_from_text": sum(1 for _, src in stories.times if src == "text"),
        "published_unreadable": sum(
            1 for a, (_, src) in zip(articles, stories.times, strict=True) if a.published and src != "published"
        ),
        "segments_by_kind": dict(Counter(s.kind for a in articles for s in a.segments)),
        "seconds": seconds,
        "format": output_format,
        "engine": "local",
    }
