"""Parquet input: one article per row, with the same columns and rules as JSONL records.

Read in record batches with `pyarrow <https://arrow.apache.org/docs/python/>`_, so memory stays
bounded.  Columns ``id``, ``text`` or ``html``, ``title``, ``source``, ``url``, ``published``; a
timestamp or date ``published`` (and any other temporal column) becomes ISO 8601; a NaN or
infinite number becomes null (JSON has neither); unknown columns are kept.  A binary column of the
article's own fields (``text``, ``html``, ``title`` …) is decoded as a file of that kind is
(:func:`khabar.readers.decode.decode`: BOMs, an HTML page's charset, UTF-8, the legacy Arabic code
pages), and bytes that decode as none make the row a bad record; bytes elsewhere (an unknown column)
are kept as text when they are UTF-8, else as base64 (JSON holds no bytes).  The "line" of a row is
its 1-based row number.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import math
from collections.abc import Iterator
from typing import Any

from khabar.article import Article
from khabar.errors import RecordError
from khabar.readers.decode import DecodeError, decode
from khabar.readers.records import KNOWN, RecordInvalid, record_to_article

BATCH_ROWS = 2048


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # a missing number: JSON has no NaN or infinity
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, decimal.Decimal):  # its exact digits: a JSON number is a float to most readers
        return str(value) if value.is_finite() else None
    if isinstance(value, dt.timedelta):  # a duration: its seconds
        seconds = value.total_seconds()
        return int(seconds) if seconds.is_integer() else seconds
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode("ascii")  # never altered: JSON has no bytes
    return value


def _field(key: str, value: Any) -> Any:
    """A column's value as a JSON record holds it; the article's own fields' bytes are decoded
    as a file's (``RecordInvalid`` if they cannot be)."""
    if isinstance(value, bytes) and key in KNOWN:
        try:
            return decode(value, html=key == "html")[0]
        except DecodeError as e:
            raise RecordInvalid(f"field '{key}': undecodable bytes: {e}") from None
    return _plain(value)


def read_parquet(path: str) -> Iterator[Article | RecordError]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    row = 0
    try:
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            for obj in batch.to_pylist():
                row += 1
                rid = obj.get("id")
                if isinstance(rid, bytes):
                    rid = rid.decode("utf-8", "replace")  # (only to name the row if it is bad)
                try:
                    # a null is no value of the article's own fields (columns are nullable), kept for others
                    obj = {k: _field(k, v) for k, v in obj.items() if v is not None or k not in KNOWN}
                    rid = obj.get("id")
                    yield record_to_article(obj, f"{path}:{row}", f"{path}:{row}")
                except RecordInvalid as e:
                    yield RecordError(path, row, str(e), str(rid) if rid is not None else None)
    except (OSError, pa.ArrowException) as e:
        yield RecordError(path, row + 1 if row else 0, f"cannot read the Parquet file: {e}")
