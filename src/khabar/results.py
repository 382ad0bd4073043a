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


_TEXT = (str,)
_MAYBE_TEXT = (str, type(None))
_NUMBER = (int, float)
#: the fields the commands reading an output rely on, with their types; of each item of a list of
#: objects (``members``…), the fields of the item
SHAPES: dict[str, dict[str, Any]] = {
    "articles": {"id": _TEXT, "text": _TEXT, "segments": [{"start": (int,), "end": (int,), "kind": _TEXT}]},
    "pairs": {
        "a": _TEXT,
        "b": _TEXT,
        "relation": _TEXT,
        "coverage_a": _NUMBER,
        "coverage_b": _NUMBER,
        "passages": [{"a_start": (int,), "a_end": (int,), "b_start": (int,), "b_end": (int,)}],
    },
    "stories": {
        "story": _TEXT,
        "title": _MAYBE_TEXT,
        "size": (int,),
        "first": _TEXT,
        "sources": (list,),
        "start": _MAYBE_TEXT,
        "end": _MAYBE_TEXT,
        "members": [{"article": _TEXT}],
        "provenance": [{"article": _TEXT, "from": _TEXT}],
    },
}


def shape_problem(record: Any, shape: dict[str, Any]) -> str | None:
    """Why ``record`` is not of ``shape`` (:data:`SHAPES`), or None."""
    if not isinstance(record, dict):
        return f"not an object but {type(record).__name__}"
    for key, want in shape.items():
        value = record.get(key, ...)
        if value is ...:
            return f"no field {key!r}"
        if isinstance(want, list):
            if not isinstance(value, list):
                return f"field {key!r} is not a list"
            for item in value:
                problem = shape_problem(item, want[0])
                if problem is not None:
                    return f"an item of {key!r}: {problem}"
        elif not isinstance(value, want) or (isinstance(value, bool) and bool not in want):
            return f"field {key!r} is {type(value).__name__}"
    return None


def read_output(out: str | Path, name: str) -> list[dict[str, Any]]:
    """The records of ``out/<name>.jsonl`` or ``out/<name>.parquet``; a missing file, a bad line or a
    record without the fields (and types) :data:`SHAPES` names is a :class:`KhabarError` (one line,
    naming the file and line)."""
    out = Path(out)
    named = output_format(out)
    order = [named, *(f for f in FORMATS if f != named)] if named else list(FORMATS)
    for fmt in order:
        path = out / f"{name}.{fmt}"
        if path.exists():
            records = _jsonl(path) if fmt == "jsonl" else _parquet(path)
            shape = SHAPES.get(name, {})
            for k, record in enumerate(records, 1):
                problem = shape_problem(record, shape)
                if problem is not None:
                    raise KhabarError(f"{path}:{k}: not a record of {name}.{fmt} ({problem})")  # line or row k
            return records
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
