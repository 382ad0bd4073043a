from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import strategies as st

from khabar.article import Article
from khabar.clean import clean_articles
from khabar.normalize import Normalized

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SEED_A = SAMPLES / "000_20b6bbcd6b5c1425.txt"
SEED_B = SAMPLES / "002_96183c5f63df459c.txt"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def ant() -> list[dict]:
    """Eight real, mutually unrelated articles from the ANT corpus (Apache-2.0, see data/README.md)."""
    with open(DATA / "ant_sample.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def article(text: str, id: str = "x", source: str | None = None) -> Article:
    return Article(id=id, text=text, source=source)


def cleaned(*texts: str) -> list[Article]:
    arts = [article(t, id=f"doc{k}") for k, t in enumerate(texts)]
    clean_articles(arts, learn_templates=False)
    return arts


def assert_offset_map(n: Normalized, text: str) -> None:
    """A normalizer offset map points into ``text``, one entry per normalized character, in order."""
    assert len(n.src) == len(n.text) and n.original_length == len(text)
    if len(n.src):
        assert n.src.min() >= 0 and n.src.max() < len(text)
        assert (n.src[1:] >= n.src[:-1]).all()


def json_values(chars: list[str], int_keys: bool = False) -> st.SearchStrategy[object]:
    """Any JSON-like value (null, booleans, integers beyond 64 bits, finite floats, strings of
    ``chars``, lists and objects, with integer keys too if ``int_keys``) for the JSON round-trip tests."""
    keys = st.text(max_size=3) | st.integers(0, 3) if int_keys else st.text(max_size=3)
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**70), 2**70)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(alphabet=st.sampled_from(chars)),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=16,
    )
