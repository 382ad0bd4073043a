"""Parquet output (``--format parquet``): the same records as the JSONL files, with fixed schemas.

``articles.parquet``, ``pairs.parquet`` and ``stories.parquet`` hold exactly the fields of their JSONL
counterparts (nested lists of structs for segments, passages, members, provenance and units), so a
scan's output reads the same from either format.  Unknown input fields, whose types vary from record
to record, go into one column ``extra_json`` (a JSON object as text).  Files are written in batches
and atomically (a temporary file renamed into place), like the JSONL ones.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from khabar.writers import atomic_file

BATCH = 2048

_SEGMENT = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("kind", pa.string())])
_UNIT = pa.struct(
    [
        ("unit", pa.string()),
        ("segments", pa.list_(pa.int64())),
        ("story", pa.string()),
        ("wires", pa.list_(pa.string())),
    ]
)
_PASSAGE = pa.struct(
    [
        ("a_start", pa.int64()),
        ("a_end", pa.int64()),
        ("b_start", pa.int64()),
        ("b_end", pa.int64()),
        ("score", pa.float64()),
        ("words", pa.int64()),
        ("a_unit", pa.string()),
        ("b_unit", pa.string()),
    ]
)
_MEMBER = pa.struct([("article", pa.string()), ("segment", pa.int64()), ("unit", pa.string())])
_SOURCE_PASSAGE = pa.struct(
    [
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("from_start", pa.int64()),
        ("from_end", pa.int64()),
        ("score", pa.float64()),
        ("words", pa.int64()),
    ]
)
_PROVENANCE = pa.struct([("article", pa.string()), ("passage", _SOURCE_PASSAGE), ("from", pa.string())])

ARTICLES = pa.schema(
    [
        ("id", pa.string()),
        ("title", pa.string()),
        ("source", pa.string()),
        ("url", pa.string()),
        ("published", pa.string()),
        ("text", pa.string()),
        ("segments", pa.list_(_SEGMENT)),
        ("time", pa.string()),
        ("time_source", pa.string()),
        ("units", pa.list_(_UNIT)),
        ("extra_json", pa.string()),
    ]
)
PAIRS = pa.schema(
    [
        ("a", pa.string()),
        ("b", pa.string()),
        ("relation", pa.string()),
        ("similarity", pa.float64()),
        ("coverage_a", pa.float64()),
        ("coverage_b", pa.float64()),
        ("passages", pa.list_(_PASSAGE)),
    ]
)
STORIES = pa.schema(
    [
        ("story", pa.string()),
        ("title", pa.string()),
        ("size", pa.int64()),
        ("members", pa.list_(_MEMBER)),
        ("first", pa.string()),
        ("sources", pa.list_(pa.string())),
        ("start", pa.string()),
        ("end", pa.string()),
        ("wires", pa.list_(pa.string())),
        ("provenance", pa.list_(_PROVENANCE)),
    ]
)
SCHEMAS = {"articles": ARTICLES, "pairs": PAIRS, "stories": STORIES}


def _row(record: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
    row = {name: record.get(name) for name in schema.names if name != "extra_json"}
    if "extra_json" in schema.names:
        extra = {k: v for k, v in record.items() if k not in schema.names}
        row["extra_json"] = json.dumps(extra, ensure_ascii=False) if extra else None
    return row


def write_parquet(path: str | Path, records: Iterable[dict[str, Any]], schema: pa.Schema) -> int:
    """Write ``records`` (JSONL-shaped dicts) with ``schema``, atomically; returns the row count."""
    n = 0
    with atomic_file(path) as (fd, tmp):
        os.close(fd)
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            batch: list[dict[str, Any]] = []
            for rec in records:
                batch.append(_row(rec, schema))
                if len(batch) >= BATCH:
                    writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                    n += len(batch)
                    batch = []
            if batch or n == 0:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                n += len(batch)
    return n


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """The records of a khabar Parquet output file, shaped like the JSONL lines (extra fields back
    at the top level)."""
    out = []
    for row in pq.read_table(path).to_pylist():
        extra = row.pop("extra_json", None)
        if extra:
            row.update(json.loads(extra))
        out.append(row)
    return out
