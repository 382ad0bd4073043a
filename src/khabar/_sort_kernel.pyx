# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Stable sorts of uint64 keys (the candidate index's postings, the story links' term ids), compiled.

``argsort_stable(keys)`` is ``numpy.argsort(keys, kind="stable")`` and ``sort_postings`` a stable
sort of (key, value) records, several times faster on the millions of 64-bit hashes of a corpus
(numpy sorts 64-bit keys with a comparison sort).  Keys are hashes, spread evenly over 64 bits: one
scatter by their top bits puts about 16 keys in each bucket, in input order, and each bucket is then
sorted by insertion (stable) while it is in cache.  A bucket far larger than that (keys that are not
random) is sorted with ``qsort`` on (key, input position), so no input takes quadratic time.  The
top bits are those below the highest bit any key sets (63-bit term ids fill every bucket too).
"""

from libc.stdint cimport int64_t, uint64_t
from libc.stdlib cimport free, malloc, qsort
from libc.string cimport memset

import numpy as np


cdef struct Pair:
    uint64_t key
    int64_t value


DEF INSERTION_MAX = 64  # a bucket larger than this is sorted with qsort


cdef int _by_pair(const void* a, const void* b) noexcept nogil:
    cdef const Pair* x = <const Pair*>a
    cdef const Pair* y = <const Pair*>b
    if x.key != y.key:
        return -1 if x.key < y.key else 1
    if x.value != y.value:
        return -1 if x.value < y.value else 1
    return 0


cdef int _sort_pairs(uint64_t* keys, int64_t* values, Py_ssize_t n) noexcept nogil:
    """Sort ``n`` (key, value) pairs held in two arrays by (key, value); -1 if out of memory."""
    cdef Pair* buf = <Pair*>malloc(n * sizeof(Pair))
    cdef Py_ssize_t i
    if buf == NULL:
        return -1
    for i in range(n):
        buf[i].key = keys[i]
        buf[i].value = values[i]
    qsort(buf, n, sizeof(Pair), _by_pair)
    for i in range(n):
        keys[i] = buf[i].key
        values[i] = buf[i].value
    free(buf)
    return 0


cdef int _sort(const uint64_t[::1] keys, const int64_t[::1] values, uint64_t* kb, int64_t* vb) except -1:
    """``keys`` and their ``values`` (ascending; None: the positions 0, 1, …) into ``kb``/``vb``,
    sorted by key, equal keys in input order."""
    cdef Py_ssize_t n = keys.shape[0], i, j, lo, hi, d
    cdef bint positions = values is None
    cdef int bits = 8, width = 64  # bucket by the top ``bits`` of the keys' ``width`` significant bits
    cdef uint64_t seen = 0
    while bits < 24 and (<Py_ssize_t>1 << (bits + 4)) < n:
        bits += 1
    for i in range(n):
        seen |= keys[i]
    while width > bits and not (seen >> (width - 1)):  # e.g. 63-bit term ids: every bucket in use
        width -= 1
    cdef int shift = width - bits
    cdef Py_ssize_t buckets = <Py_ssize_t>1 << bits
    cdef int64_t* start = <int64_t*>malloc((buckets + 1) * sizeof(int64_t))
    cdef int64_t* fill = <int64_t*>malloc(buckets * sizeof(int64_t))
    cdef int64_t total, c, pos, v
    cdef uint64_t k
    cdef bint failed = False
    try:
        if start == NULL or fill == NULL:
            raise MemoryError()
        with nogil:
            memset(fill, 0, buckets * sizeof(int64_t))
            for i in range(n):
                fill[keys[i] >> shift] += 1
            total = 0
            for d in range(buckets):
                c = fill[d]
                start[d] = total
                fill[d] = total
                total += c
            start[buckets] = n
            for i in range(n):  # a bucket keeps the input order
                k = keys[i]
                pos = fill[k >> shift]
                fill[k >> shift] = pos + 1
                kb[pos] = k
                vb[pos] = i if positions else values[i]
            for d in range(buckets):  # each bucket by key, stably (so by (key, value))
                lo, hi = start[d], start[d + 1]
                if hi - lo > INSERTION_MAX:  # keys that are not random hashes: no quadratic time
                    if _sort_pairs(kb + lo, vb + lo, hi - lo) < 0:  # (not stable: it compares values too)
                        failed = True
                        break
                    continue
                for i in range(lo + 1, hi):
                    k, v = kb[i], vb[i]
                    j = i
                    while j > lo and kb[j - 1] > k:
                        kb[j] = kb[j - 1]
                        vb[j] = vb[j - 1]
                        j -= 1
                    kb[j] = k
                    vb[j] = v
        if failed:
            raise MemoryError()
    finally:
        free(start)
        free(fill)
    return 0


def argsort_stable(const uint64_t[::1] keys):
    """The permutation sorting ``keys`` ascending, equal keys in input order."""
    cdef Py_ssize_t n = keys.shape[0]
    order = np.empty(n, dtype=np.int64)
    if n == 0:
        return order
    cdef int64_t[::1] ov = order
    cdef uint64_t* kb = <uint64_t*>malloc(n * sizeof(uint64_t))
    if kb == NULL:
        raise MemoryError()
    try:
        _sort(keys, None, kb, &ov[0])
    finally:
        free(kb)
    return order


def sort_postings(const uint64_t[::1] keys, const int64_t[::1] values):
    """``(keys, values)`` sorted by key, stably, with each repeat of an adjacent equal
    ``(key, value)`` dropped: the candidate index's postings, from n-gram hashes and their unit
    numbers, which must be ascending (so a stable sort by key is a sort by ``(key, value)``).
    The same as ``argsort_stable`` + a gather + a mask, without the gather's random reads."""
    cdef Py_ssize_t n = keys.shape[0], i, m = 0
    if values.shape[0] != n:
        raise ValueError("keys and values differ in length")
    for i in range(1, n):
        if values[i] < values[i - 1]:
            raise ValueError("values must be ascending")
    out_k = np.empty(n, dtype=np.uint64)
    out_v = np.empty(n, dtype=np.int64)
    if n == 0:
        return out_k, out_v
    cdef uint64_t[::1] ok = out_k
    cdef int64_t[::1] ov = out_v
    cdef uint64_t* kb = &ok[0]
    cdef int64_t* vb = &ov[0]
    _sort(keys, values, kb, vb)
    with nogil:
        for i in range(n):  # drop repeats of a (key, value)
            if i == 0 or kb[i] != kb[m - 1] or vb[i] != vb[m - 1]:
                kb[m] = kb[i]
                vb[m] = vb[i]
                m += 1
    return out_k[:m], out_v[:m]

