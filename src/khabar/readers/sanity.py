"""Checks that text is text: no binary data, no lone surrogates.

* **Binary data.** A NUL character, or more than 1% C0 control characters (other than tab, line
  feed, vertical tab, form feed and carriage return) in the first 20,000 characters, means the
  bytes are not a text at all (an image, a zip, a truncated database dump): an error, never indexed.
* **Lone surrogates.** JSON can spell a UTF-16 surrogate on its own (``"\\ud800"``); Python reads
  it, but it is no Unicode character and no UTF-8 file can hold it.  khabar reports such a record as
  bad (naming the field and the character offset) instead of guessing what the producer meant.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from khabar import _text_kernel

_SAMPLE = 20000
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_CONTROL_SHARE = 0.01


def binary_junk(text: str) -> str | None:
    """A one-line description if ``text`` looks like binary data, else None (the characters are
    counted in one compiled pass; :func:`binary_junk_reference` is the same with ``re``)."""
    nul, controls = _text_kernel.controls(text, _SAMPLE)
    return _junk(nul, controls, min(len(text), _SAMPLE))


def binary_junk_reference(text: str) -> str | None:
    """:func:`binary_junk` with ``str.find`` and a regex."""
    sample = text[:_SAMPLE]
    return _junk(sample.find("\x00"), len(_CONTROL.findall(sample)), len(sample))


def _junk(nul: int, controls: int, sampled: int) -> str | None:
    if nul >= 0:
        return f"binary data, not text (a NUL character at character {nul})"
    if controls > MAX_CONTROL_SHARE * sampled:
        return f"binary data, not text ({controls} control characters in the first {sampled})"
    return None


def lone_surrogate(value: Any, where: str = "") -> str | None:
    """A one-line description of the first lone surrogate in a decoded JSON value, else None."""
    if isinstance(value, str):
        m = _SURROGATE.search(value)
        if m is None:
            return None
        return f"lone surrogate U+{ord(m.group()):04X} in {where or 'the record'} at character {m.start()}"
    if isinstance(value, dict):
        for k, v in value.items():
            found = lone_surrogate(k, f"a field name of {where}" if where else "a field name") or lone_surrogate(
                v, f"field '{k}'" if not where else f"{where}.{k}"
            )
            if found:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = lone_surrogate(v, f"{where}[{i}]")
            if found:
                return found
    return None


class JSONInvalid(ValueError):
    """Not JSON khabar accepts: a syntax error, NaN or infinity, nesting or a number beyond limits."""


def _constant(name: str) -> Any:
    raise JSONInvalid(f"{name} is not JSON")


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise JSONInvalid(f"number {text[:20]} is out of range")
    return value


_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_float)


def loads(text: str | bytes) -> Any:
    """``json.loads``, strict: NaN, Infinity and out-of-range numbers are errors (they would make the
    output invalid JSON), and so are nesting too deep for the parser and integers over 4300 digits.
    Every failure is a :class:`JSONInvalid` with a one-line message."""
    try:
        # json.loads(text, parse_constant=..., parse_float=...), without building a decoder per call
        if isinstance(text, str):
            if text.startswith("\ufeff"):
                raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        else:
            text = text.decode(json.detect_encoding(text), "surrogatepass")
        return _DECODER.decode(text)
    except json.JSONDecodeError as e:
        raise JSONInvalid(f"{e.msg.removesuffix(' at')} at column {e.colno}") from None
    except RecursionError:
        raise JSONInvalid("nested too deeply") from None
    except JSONInvalid:
        raise
    except ValueError as e:  # e.g. an integer longer than sys.get_int_max_str_digits()
        raise JSONInvalid(str(e).split(";")[0]) from None


NOT_FAST = object()  # what :func:`loads_fast` returns when the careful path must decide
_FAST_DEPTH = 64  # values nested deeper are left to the careful path (its nesting limit is the parser's)


def loads_fast(raw: bytes) -> Any:
    """:func:`loads` of one UTF-8 JSON line by orjson, or :data:`NOT_FAST`.  orjson fails on all that
    ``loads`` reports (invalid UTF-8, a BOM, NaN, infinities) and also on lone surrogates, and it
    reads an integer beyond 64 bits as a float: so a value holding no float (and not deeply nested)
    is exactly ``loads``'s, and anything else is left to ``loads``, for its exact numbers, nesting
    limit and error messages.  A value returned holds no lone surrogate."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return NOT_FAST
    return value if _plain(value, 0) else NOT_FAST


def _plain(value: Any, depth: int) -> bool:
    """No float anywhere in ``value``, nor a list or object nested deeper than :data:`_FAST_DEPTH`
    (orjson makes exactly dict, list, str, int, float, bool and None)."""
    t = type(value)
    if t is dict:
        items = value.values()
    elif t is list:
        items = value
    else:
        return t is not float
    if depth >= _FAST_DEPTH:
        return False
    for v in items:
        t = type(v)
        if t is str or t is int or t is bool or v is None:
            continue
        if not _plain(v, depth + 1):
            return False
    return True
