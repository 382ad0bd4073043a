"""Read a scan's output files back: ``articles``, ``pairs``, ``stories`` as JSONL or Parquet.

``khabar stories`` and ``khabar report`` read an ``--out`` directory written in either format.  The
format is the one ``summary.json`` names (a scan removes the other format's files, but a directory
may have been filled by hand or by an older khabar); without a summary, whichever file is there,
JSONL first.  Parquet rows come back shaped like the JSONL lines
(:func:`khabar.parquet.read_records`), so callers see the same records.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from khabar.errors import KhabarError

FORMATS = ("jsonl", "parquet")


def read_summary(out: str | Path) -> dict[str, Any] | None:
    """``out/summary.json`` if it is there and a JSON object, else None."""
    try:
        summary = json.loads((Path(out) / "summary.json").read_bytes())
    except (OSError, ValueError):
        return None
    return summary if isinstance(summary, dict) else None


def output_format(out: Path) -> str | None:
    """The format ``summary.json`` of ``out`` names, if it names one."""
    fmt = (read_summary(out) or {}).get("format")
    return fmt if fmt in FORMATS else None


def read_output(out: str | Path, name: str) -> list[dict[str, Any]]:
    """The records of ``out/<name>.jsonl`` or ``out/<name>.parquet``; a missing file or a bad line
    is a :class:`KhabarError` (one line, naming the file)."""
    out = Path(out)
    named = output_format(out)
    order = [named, *(f for f in FORMATS if f != named)] if named else list(FORMATS)
    for fmt in order:
        path = out / f"{name}.{fmt}"
        if path.exists():
            return _jsonl(path) if fmt == "jsonl" else _parquet(path)
    raise KhabarError(f"{out / (name + '.jsonl')}: not found (is this the --out directory of `khabar scan`?)")


def _jsonl(path: Path) -> list[dict[str, Any]]:
    out = []
    try:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise KhabarError(f"{path}:{lineno}: not JSON ({e.msg})") from None
    except UnicodeDecodeError as e:
        raise KhabarError(f"{path}: not UTF-8 ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise KhabarError(f"{path}: cannot read ({e.strerror or e})") from None
    return out


def _parquet(path: Path) -> list[dict[str, Any]]:
    import pyarrow as pa

    from khabar.parquet import read_records

    try:
        return read_records(path)
    except (OSError, pa.ArrowException, ValueError) as e:
        raise KhabarError(f"{path}: cannot read the Parquet file ({e})") from None
