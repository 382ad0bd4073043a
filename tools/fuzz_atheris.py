"""Coverage-guided fuzzing of the normalizer, the cleaner and the aligner with atheris (libFuzzer).

Not part of CI (``tests/test_fuzz.py`` is the hypothesis version that is).  To run::

    pip install atheris
    python tools/fuzz_atheris.py -max_total_time=600          # any libFuzzer flags
    python tools/fuzz_atheris.py crash-<hash>                  # replay a crash

Each input is split in two texts (at the first NUL): both are normalized, cleaned and aligned, and
the offset invariants are checked; any exception or failed check is a crash libFuzzer keeps.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from khabar.align import AlignParams, align_units
    from khabar.article import Article
    from khabar.clean import clean_articles
    from khabar.fingerprint import article_units
    from khabar.normalize import normalize

PARAMS = AlignParams(min_words=2, gap=8)


def check_normalized(text: str) -> None:
    n = normalize(text)
    assert len(n.src) == len(n.text) and n.original_length == len(text)
    if len(n.src):
        assert n.src.min() >= 0 and n.src.max() < len(text)
        assert (n.src[1:] >= n.src[:-1]).all()


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    text = fdp.ConsumeUnicodeNoSurrogates(len(data)) if fdp.ConsumeBool() else fdp.ConsumeUnicode(len(data))
    ta, _, tb = text.partition("\x00")
    tb = tb or ta
    for t in (ta, tb):
        check_normalized(t)
    arts = [Article(id="a", text=ta), Article(id="b", text=tb)]
    clean_articles(arts, learn_templates=False)
    for art in arts:
        if art.text:
            assert art.segments[0].start == 0 and art.segments[-1].end == len(art.text)
    for x in article_units(arts[0], 0):
        for y in article_units(arts[1], 1):
            for p in align_units(x, y, PARAMS):
                assert 0 <= p.a_start < p.a_end <= len(ta) and 0 <= p.b_start < p.b_end <= len(tb)
                assert 0 < p.score <= 1


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
