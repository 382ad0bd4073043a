"""The ``khabar`` command line: a thin layer over the Python API."""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import click

from khabar import __version__, api
from khabar.article import Article
from khabar.clean import classify
from khabar.errors import KhabarError
from khabar.normalize import normalize_text
from khabar.results import FORMATS
from khabar.scan import scan as run_scan
from khabar.stories.show import describe, largest_stories


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="khabar")
def cli() -> None:
    """khabar: find who copied what from whom in Arabic news."""


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar (bad records are still reported).")
@click.option("--strict", is_flag=True, help="Exit with status 1 if any input record was bad.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: every core).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="jsonl",
    show_default=True,
    help="Format of articles, pairs and stories.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="Where to run: this machine, or Apache Spark (pip install 'khabar[spark]'; spark-submit sets the master).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Go on from the checkpoints a killed scan with the same inputs and options left in OUT.",
)
@click.option("--no-checkpoints", is_flag=True, help="Write no checkpoints (a killed run then cannot be resumed).")
def scan(
    inputs: tuple[str, ...],
    out: str,
    quiet: bool,
    strict: bool,
    jobs: int | None,
    output_format: str,
    engine: str,
    resume: bool,
    no_checkpoints: bool,
) -> None:
    """Scan INPUTS (files, directories, .jsonl[.gz], .txt, .html, .warc[.gz], .parquet) and write
    OUT/articles, pairs and stories (.jsonl or .parquet), errors.jsonl and summary.json."""
    if engine == "spark":
        if resume:
            raise KhabarError("--resume works with the local engine (Spark retries failed tasks itself)")
        from khabar.engines import spark

        try:
            s = spark.scan(list(inputs), out, output_format=output_format)
        except Exception as e:
            why = spark.failure(e)
            if why is None:
                raise
            raise KhabarError(why) from None
    else:
        result = run_scan(
            list(inputs),
            out=out,
            quiet=quiet,
            jobs=jobs,
            output_format=output_format,
            resume=resume,
            checkpoint=not no_checkpoints,
            hold=_leave_fast,  # the process exits without freeing them (see _exit)
        )
        _leave_fast.append(result)
        s = result.summary
    rel = ", ".join(f"{k} {v}" for k, v in s["pairs_by_relation"].items() if v)
    click.echo(
        f"khabar: {s['articles']} articles, {s['pairs']} reuse pairs ({rel or 'none'}), "
        f"{s['errors']} bad records, {s['seconds']['total']:.1f}s → {out}",
        err=True,
    )
    if strict and s["errors"]:
        _exit(1)


_leave_fast: list[Any] = []  # a local scan's results: nothing is left to do but free them


def _exit(status: int) -> None:
    """Exit with ``status``; after a local scan, without freeing its millions of objects one by one
    (about a second on ANT): every output is written and closed by then, so only the standard
    streams need flushing."""
    if _leave_fast:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


def _side_by_side(a_text: str, b_text: str, pair: dict[str, Any]) -> str:
    width = max(40, min(shutil.get_terminal_size((160, 20)).columns, 200))
    col = (width - 3) // 2
    lines = [
        f"A: {pair['a']}",
        f"B: {pair['b']}",
        f"relation: {pair['relation']}   similarity: {pair['similarity']:.2f}   "
        f"coverage A: {pair['coverage_a']:.0%}   coverage B: {pair['coverage_b']:.0%}   "
        f"passages: {len(pair['passages'])}",
    ]
    for k, p in enumerate(pair["passages"], 1):
        lines.append("")
        lines.append(
            f"── passage {k}: A[{p['a_start']}:{p['a_end']}] ↔ B[{p['b_start']}:{p['b_end']}]  "
            f"score {p['score']:.2f}, {p['words']} words"
        )
        left = textwrap.wrap(" ".join(a_text[p["a_start"] : p["a_end"]].split()), col) or [""]
        right = textwrap.wrap(" ".join(b_text[p["b_start"] : p["b_end"]].split()), col) or [""]
        for k2 in range(max(len(left), len(right))):
            lt = left[k2] if k2 < len(left) else ""
            rt = right[k2] if k2 < len(right) else ""
            lines.append(f"{lt:<{col}} │ {rt}")
    return "\n".join(lines)


def _article(arg: str) -> Article:
    """The article ``FILE`` or ``FILE#ID`` names; a note on stderr when FILE holds several and no
    ID chose one."""
    article, more = api.read_arg(arg)
    if more:
        click.echo(
            f"khabar: {arg} holds more than one article: this is its first, {article.id} ({arg}#ID picks one)",
            err=True,
        )
    return article


@cli.command()
@click.argument("a")
@click.argument("b")
@click.option("--json", "as_json", is_flag=True, help="Print the pair as one JSON object.")
def compare(a: str, b: str, as_json: bool) -> None:
    """What articles A and B share: relation, coverage and aligned passages.

    A and B are files (a file of many articles: its first) or FILE#ID, the article of that id in a
    .jsonl, .warc or .parquet file."""
    x, y = _article(a), _article(b)
    pair = api.compare(x, y)
    if as_json:
        click.echo(json.dumps(pair, ensure_ascii=False))
    else:
        click.echo(_side_by_side(x.text, y.text, pair))


@cli.command()
@click.argument("page")
@click.option("--explain", is_flag=True, help="Show every line with its kind and the rule that decided it.")
@click.option("--json", "as_json", is_flag=True, help="Print the article with its segments as JSON.")
def clean(page: str, explain: bool, as_json: bool) -> None:
    """The clean body text of PAGE (.html, .txt, a file of many articles: its first, or FILE#ID)."""
    article = _article(page)
    if explain:
        for ln in classify(article.text):
            if not ln.blank:
                snippet = " ".join(article.text[ln.start : ln.end].split())
                click.echo(f"{ln.kind:<12}{ln.rule:<22}{snippet}")
        return
    text = api.clean(article)
    if as_json:
        click.echo(json.dumps(article.to_json(), ensure_ascii=False))
    else:
        click.echo(text)


def _count(name: str, default: int, help: str) -> Callable[[Any], Any]:
    """A whole-number option of at least 1 (a count of stories)."""
    return click.option(name, default=default, type=click.IntRange(min=1), show_default=True, help=help)


@cli.command()
@click.argument("out", type=click.Path(file_okay=False))
@_count("--top", 20, "How many stories to show.")
@_count("--min-size", 2, "Only stories with at least this many articles.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per story (stories.jsonl lines).")
def stories(out: str, top: int, min_size: int, as_json: bool) -> None:
    """The largest stories of a scan written to OUT: headline, outlets, first publisher, time span."""
    found = largest_stories(out, top=top, min_size=min_size)
    for s in found:
        click.echo(json.dumps(s, ensure_ascii=False) if as_json else describe(s))
    if not found and not as_json:
        click.echo(f"khabar: no story with {min_size}+ articles in {out}", err=True)


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--db", "db", default="khabar.db", show_default=True, type=click.Path(dir_okay=False), help="Index file.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--batch",
    default=500,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Articles per transaction (one synced commit each); the index is the same for any batch size.",
)
def ingest(inputs: tuple[str, ...], db: str, quiet: bool, batch: int) -> None:
    """Add the articles of INPUTS to the story index DB (the one `khabar serve` uses)."""
    from khabar.index.ingest import Conflict, Index
    from khabar.readers.files import discover, read_file
    from khabar.readers.records import RecordInvalid
    from khabar.readers.warc import Skipped

    index = Index(db)
    added = bad = 0
    files, _ = discover(inputs)
    from tqdm import tqdm

    pending: list[Article] = []

    def flush() -> None:
        nonlocal added, bad
        try:  # a batch is all or none, and is checked before anything is written ...
            index.ingest([_as_record(a) for a in pending])
            added += len(pending)
        except (Conflict, RecordInvalid):  # ... so a bad record in it sends the batch one at a time
            for a in pending:
                try:
                    index.ingest([_as_record(a)])
                    added += 1
                except (Conflict, RecordInvalid) as e:
                    click.echo(f"khabar: {a.origin}: {e}", err=True)
                    bad += 1
        bar.update(len(pending))
        pending.clear()

    with tqdm(desc="ingest", unit="article", file=sys.stderr, disable=quiet) as bar:
        for f in files:
            for rec in read_file(f):
                if isinstance(rec, Skipped):
                    continue
                if not isinstance(rec, Article):
                    click.echo(f"khabar: {rec}", err=True)
                    bad += 1
                    continue
                if rec.cut:
                    click.echo(f"khabar: {rec.origin}: {rec.cut}", err=True)
                pending.append(rec)
                if len(pending) >= batch:
                    flush()
        if pending:
            flush()
    click.echo(f"khabar: {added} articles added to {db}, {bad} bad records", err=True)


def _as_record(a: Article) -> dict[str, Any]:
    return {
        **a.extra,
        "id": a.id,
        "text": a.text,
        "title": a.title,
        "source": a.source,
        "url": a.url,
        "published": a.published,
    }


@cli.command()
@click.option("--db", "db", default="khabar.db", show_default=True, type=click.Path(dir_okay=False), help="Index file.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--token", envvar="KHABAR_TOKEN", default=None, help="Write token (required beyond loopback).")
def serve(db: str, host: str, port: int, token: str | None) -> None:
    """Serve the story index: JSON API under /api (docs at /docs) and the web UI at /."""
    import uvicorn

    from khabar.serve.app import check_bind, create_app

    check_bind(host, token)
    uvicorn.run(create_app(db, token=token), host=host, port=port, log_level="warning")


@cli.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), help="HTML file to write.")
@_count("--top", 200, "How many stories (2+ articles, largest first).")
def report(out: str, output: str, top: int) -> None:
    """Write the stories of a scan (its OUT directory) as one self-contained HTML file."""
    from khabar.serve.report import write_report

    size = write_report(out, output, top)
    click.echo(f"khabar: wrote {output} ({size // 1024} KB)", err=True)


@cli.command("normalize")
@click.argument("text", required=False)
def normalize_cmd(text: str | None) -> None:
    """Print TEXT (or standard input) normalized.

    Standard input is decoded as a .txt file is (UTF-8, a BOM, or Windows-1256/ISO-8859-6 Arabic)."""
    if text is None:
        from khabar.readers.decode import DecodeError, decode
        from khabar.readers.sanity import binary_junk

        try:
            text = decode(sys.stdin.buffer.read())[0]
        except DecodeError as e:
            raise KhabarError(f"standard input: {e}") from None
        junk = binary_junk(text)
        if junk:
            raise KhabarError(f"standard input: {junk}")
    click.echo(normalize_text(text))


def main() -> None:
    try:
        cli(standalone_mode=False)
        _exit(0)
    except click.exceptions.Abort:
        click.echo("khabar: aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except KhabarError as e:
        click.echo(f"khabar: {e}", err=True)
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as e:  # an output directory that cannot be written, a full disk …
        click.echo(f"khabar: {e.filename or ''}{': ' if e.filename else ''}{e.strerror or e}", err=True)
        sys.exit(2)
