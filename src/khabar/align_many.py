"""Align many candidate unit pairs in one compiled call: :mod:`khabar.align`'s passages, fast.

:mod:`khabar.align` is the reference, written for reading; this module computes exactly the same
passages for a whole batch of candidate pairs in one call, without a Python step per pair (tests
compare the two on random and real units).  The steps are the same: seed 3-grams (an n-gram
repeated more than ``max_repeat`` times in its unit is no seed), seeds shared by the pair, runs on a
diagonal, chains across gaps, extension to the first unequal word, merging of overlapping chains,
and the filters (``min_words``, ``min_density``, stock phrases of the corpus).

The kernel is ``_align_kernel.pyx`` (Cython, compiled when khabar is installed); this module gathers
the batch's units into flat arrays for it and turns its rows back into :class:`~khabar.align.Passage`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from khabar._align_kernel import align_all
from khabar.align import AlignParams, Passage, identical, passage, whole
from khabar.candidates import DocumentFrequency
from khabar.fingerprint import Unit


def align_many(
    units: Sequence[Unit],
    xs: Sequence[int] | np.ndarray,
    ys: Sequence[int] | np.ndarray,
    params: AlignParams = AlignParams(),
    df: DocumentFrequency | None = None,
) -> list[list[Passage]]:
    """``align.align_indexed`` of every pair ``(units[xs[k]], units[ys[k]])``, sides as given.

    ``df``: the corpus's n-gram document frequencies for the stock-phrase filter (as ``seed_index``'s;
    without them, no passage is a stock phrase)."""
    xs = np.asarray(xs, np.int64)
    ys = np.asarray(ys, np.int64)
    out: list[list[Passage]] = [[] for _ in range(len(xs))]
    if len(xs) == 0:
        return out
    ids, inverse = np.unique(np.concatenate([xs, ys]), return_inverse=True)
    mine = [units[k] for k in ids.tolist()]
    lengths = np.array([len(u) for u in mine], np.int64)
    off = np.zeros(len(mine) + 1, np.int64)
    np.cumsum(lengths, out=off[1:])
    h = np.concatenate([u.hashes for u in mine]).astype(np.uint64, copy=False) if len(mine) else np.zeros(0, np.uint64)
    if df is not None:
        n = df.n
        grams = [u.grams(n) for u in mine]
        n5off = np.zeros(len(mine) + 1, np.int64)
        np.cumsum([len(x) for x in grams], out=n5off[1:])
        n5 = np.concatenate(grams).astype(np.uint64, copy=False)
        df_hashes, df_counts = df.hashes.astype(np.uint64, copy=False), df.counts.astype(np.int64, copy=False)
    else:
        n, n5off, n5 = 0, np.zeros(len(mine) + 1, np.int64), np.zeros(0, np.uint64)
        df_hashes, df_counts = np.zeros(0, np.uint64), np.zeros(0, np.int64)
    lx, ly = inverse[: len(xs)], inverse[len(xs) :]
    # identical units are one whole passage (align._align), whatever their seeds would give: not aligned
    same_length = np.flatnonzero(
        (lengths[lx] == lengths[ly]) & (lengths[lx] >= max(params.min_words, params.long_words))
    )
    aligned = np.ones(len(xs), dtype=bool)
    for k in same_length.tolist():
        ua, ub = mine[lx[k]], mine[ly[k]]
        if identical(ua, ub, params):
            out[k] = [whole(ua, ub)]
            aligned[k] = False
    todo = np.flatnonzero(aligned)
    rows = align_all(
        np.ascontiguousarray(h),
        off,
        n5,
        n5off,
        df is not None,
        n,
        np.ascontiguousarray(df_hashes),
        np.ascontiguousarray(df_counts),
        params.rare_df,
        np.ascontiguousarray(lx[todo]),
        np.ascontiguousarray(ly[todo]),
        params.seed,
        params.gap,
        params.min_words,
        float(params.min_density),
        params.max_repeat,
        params.long_words,
    )
    for j, a0, a1, b0, b1, matched in rows.tolist():
        k = int(todo[j])
        out[k].append(passage(mine[lx[k]], mine[ly[k]], a0, a1, b0, b1, matched))
    return out
