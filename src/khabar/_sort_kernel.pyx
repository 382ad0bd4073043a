# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Stable sorts of uint64 keys (the candidate index's postings, the story links' term ids), compiled.

``argsort_stable(keys)`` is ``numpy.argsort(keys, kind="stable")`` and ``sort_postings`` a stable
sort of (key, value) records, several times faster on the millions of 64-bit hashes of a corpus
(numpy sorts 64-bit keys with a comparison sort).  Keys are hashes, spread evenly over 64 bits: a
scatter by their top bits into at most 2,048 buckets (the writes stay in cache, where one scatter
into a million buckets missed it at every key), then each bucket, in a scratch buffer it fits in,
by the next bits into buckets of about eight keys, in input order, each sorted by insertion (stable).
A final bucket far larger than that (keys that are not random) is sorted with ``qsort`` on (key,
input position), so no input takes quadratic time.  The top bits are those below the highest bit
any key sets (63-bit term ids fill every bucket too).

Then what the candidate index does with its sorted postings: ``run_starts`` finds the n-gram groups
(runs of equal hashes) and ``count_pairs`` counts, for one pass, how many groups each unit pair shares
(a counting sort by first unit; ``candidates.pass_pairs_reference`` is the same in numpy).
"""

from libc.stdint cimport int64_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc, qsort, realloc
from libc.string cimport memcpy, memset

from khabar._hash cimport mix

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


cdef inline void _insertion(uint64_t* kb, int64_t* vb, Py_ssize_t n) noexcept nogil:
    """Sort ``n`` (key, value) pairs by key, stably, by insertion."""
    cdef Py_ssize_t i, j
    cdef uint64_t k
    cdef int64_t v
    for i in range(1, n):
        k, v = kb[i], vb[i]
        j = i
        while j > 0 and kb[j - 1] > k:
            kb[j] = kb[j - 1]
            vb[j] = vb[j - 1]
            j -= 1
        kb[j] = k
        vb[j] = v


cdef inline int _bucket(uint64_t* kb, int64_t* vb, Py_ssize_t n) noexcept nogil:
    """Sort a final bucket: by insertion, or with ``qsort`` if it is crowded; -1 if out of memory."""
    if n > INSERTION_MAX:  # keys that are not random hashes: no quadratic time
        return _sort_pairs(kb, vb, n)  # (not stable: it compares values too)
    _insertion(kb, vb, n)
    return 0


cdef inline int _bits_for(Py_ssize_t n, int most) noexcept nogil:
    """Bits of buckets for ``n`` keys, about eight a bucket (at most ``most``)."""
    cdef int b = 0
    while b < most and (<Py_ssize_t>1 << (b + 3)) < n:
        b += 1
    return b


cdef void _scatter(const uint64_t* keys, const int64_t* values, Py_ssize_t n, int shift, Py_ssize_t buckets,
                   int64_t* start, uint64_t* kb, int64_t* vb) noexcept nogil:
    """Put ``n`` keys (and values; NULL: their positions) into ``kb``/``vb`` by the ``buckets`` values
    of their bits from ``shift`` up, each bucket in input order; ``start[d]`` where bucket ``d`` begins
    (``buckets + 1`` entries)."""
    cdef Py_ssize_t i, d
    cdef uint64_t mask = <uint64_t>(buckets - 1), k
    cdef int64_t total = 0, c, pos
    memset(start, 0, (buckets + 1) * sizeof(int64_t))
    for i in range(n):
        start[((keys[i] >> shift) & mask) + 1] += 1
    for d in range(buckets):
        total += start[d + 1]
        start[d + 1] = total
    for i in range(n):
        k = keys[i]
        d = <Py_ssize_t>((k >> shift) & mask)
        pos = start[d]
        start[d] = pos + 1
        kb[pos] = k
        vb[pos] = i if values == NULL else values[i]
    for d in range(buckets, 0, -1):  # each bucket's end moved to the next one's start: back one
        start[d] = start[d - 1]
    start[0] = 0


cdef int _sort(const uint64_t[::1] keys, const int64_t[::1] values, uint64_t* kb, int64_t* vb) except -1:
    """``keys`` and their ``values`` (ascending; None: the positions 0, 1, …) into ``kb``/``vb``,
    sorted by key, equal keys in input order: scattered by their top bits into at most 2,048 buckets
    (few enough for the writes to stay in cache), then each bucket by the next bits into a scratch
    buffer it fits in (about eight keys a bucket) and those by insertion, then copied back."""
    cdef Py_ssize_t n = keys.shape[0], i, d, e, lo, m, big = 0
    cdef uint64_t seen = 0
    cdef int width = 64, bits, bits2, shift, shift2
    for i in range(n):
        seen |= keys[i]
    while width > 1 and not (seen >> (width - 1)):  # e.g. 63-bit term ids: every bucket in use
        width -= 1
    bits = min(_bits_for(n, 11), width)
    shift = width - bits
    cdef Py_ssize_t buckets = <Py_ssize_t>1 << bits
    cdef int64_t* start = <int64_t*>malloc((buckets + 1) * sizeof(int64_t))
    cdef int64_t* start2 = <int64_t*>malloc(((1 << 16) + 1) * sizeof(int64_t))
    cdef uint64_t* sk = NULL
    cdef int64_t* sv = NULL
    cdef bint failed = False
    try:
        if start == NULL or start2 == NULL:
            raise MemoryError()
        with nogil:
            _scatter(&keys[0], NULL if values is None else &values[0], n, shift, buckets, start, kb, vb)
        for d in range(buckets):
            big = max(big, start[d + 1] - start[d])
        sk = <uint64_t*>malloc(max(1, big) * sizeof(uint64_t))
        sv = <int64_t*>malloc(max(1, big) * sizeof(int64_t))
        if sk == NULL or sv == NULL:
            raise MemoryError()
        with nogil:
            for d in range(buckets):
                lo, m = start[d], start[d + 1] - start[d]
                if m <= INSERTION_MAX or shift == 0:
                    if _bucket(kb + lo, vb + lo, m) < 0:
                        failed = True
                        break
                    continue
                bits2 = min(_bits_for(m, 16), shift)
                shift2 = shift - bits2
                _scatter(kb + lo, vb + lo, m, shift2, <Py_ssize_t>1 << bits2, start2, sk, sv)
                for e in range(<Py_ssize_t>1 << bits2):
                    if _bucket(sk + start2[e], sv + start2[e], start2[e + 1] - start2[e]) < 0:
                        failed = True
                        break
                if failed:
                    break
                memcpy(kb + lo, sk, m * sizeof(uint64_t))
                memcpy(vb + lo, sv, m * sizeof(int64_t))
        if failed:
            raise MemoryError()
    finally:
        free(start)
        free(start2)
        free(sk)
        free(sv)
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


cdef int _by_u32(const void* a, const void* b) noexcept nogil:
    cdef uint32_t x = (<const uint32_t*>a)[0], y = (<const uint32_t*>b)[0]
    return (x > y) - (x < y)


cdef void _sort_u32(uint32_t* v, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef uint32_t x
    if n > 32:
        qsort(v, n, sizeof(uint32_t), _by_u32)
        return
    for i in range(1, n):  # insertion sort: most units share n-grams with few others
        x = v[i]
        j = i
        while j > 0 and v[j - 1] > x:
            v[j] = v[j - 1]
            j -= 1
        v[j] = x


def count_pairs(
    const int64_t[::1] units,
    const int64_t[::1] starts,
    const int64_t[::1] sizes,
    const int64_t[::1] article,
    Py_ssize_t first_unit,
    Py_ssize_t end_unit,
    int64_t min_shared,
):
    """The candidate pairs of one pass of ``candidates.candidate_pairs``: every pair of units
    ``lo < hi`` of two groups' members (group ``g``: ``units[starts[g]:starts[g] + sizes[g]]``,
    strictly ascending) with ``first_unit <= lo < end_unit``, of different ``article``, in at least
    ``min_shared`` groups: ``(lo, hi, shared)`` sorted by ``(lo, hi)``.  Units are numbered
    ``0 … len(article) - 1`` (``article[u]``: unit ``u``'s article).

    A counting sort by ``lo`` (each ``lo``'s partners sorted where they lie), so memory is four bytes
    per pair met: the same pairs as ``candidates._count_pairs`` and its filters."""
    cdef Py_ssize_t n_lo = max(0, end_unit - first_unit), n_groups = starts.shape[0]
    cdef Py_ssize_t k, total = 0, kept = 0
    if sizes.shape[0] != n_groups:
        raise ValueError("starts and sizes differ in length")
    if end_unit > article.shape[0] or first_unit < 0:
        raise ValueError("unit range outside the units")
    if article.shape[0] > 0xFFFFFFFF:
        raise ValueError("more than 2**32 units")
    cdef int64_t* off = <int64_t*>calloc(n_lo + 1, sizeof(int64_t))
    cdef int64_t* fill = NULL
    cdef uint32_t* partners = NULL
    cdef int64_t[::1] vlo
    cdef int64_t[::1] vhi
    cdef int64_t[::1] vshared
    if off == NULL:
        raise MemoryError()
    try:
        _meet(units, starts, sizes, first_unit, end_unit, off, NULL, NULL)  # how many partners each lo meets
        for k in range(n_lo):
            off[k + 1] += off[k]
        total = off[n_lo]
        fill = <int64_t*>malloc((n_lo + 1) * sizeof(int64_t))
        partners = <uint32_t*>malloc(max(1, total) * sizeof(uint32_t))
        if fill == NULL or partners == NULL:
            raise MemoryError()
        for k in range(n_lo + 1):
            fill[k] = off[k]
        _meet(units, starts, sizes, first_unit, end_unit, NULL, fill, partners)  # ... and who they are
        for k in range(n_lo):  # each lo's partners sorted where they lie
            _sort_u32(partners + off[k], off[k + 1] - off[k])
        kept = _kept(partners, off, n_lo, first_unit, article, min_shared, NULL, NULL, NULL)
        lo = np.empty(kept, np.int64)
        hi = np.empty(kept, np.int64)
        shared = np.empty(kept, np.int64)
        if kept:
            vlo, vhi, vshared = lo, hi, shared
            _kept(partners, off, n_lo, first_unit, article, min_shared, &vlo[0], &vhi[0], &vshared[0])
        return lo, hi, shared
    finally:
        free(off)
        free(fill)
        free(partners)


cdef void _meet(const int64_t[::1] units, const int64_t[::1] starts, const int64_t[::1] sizes, Py_ssize_t first_unit,
                Py_ssize_t end_unit, int64_t* counts, int64_t* fill, uint32_t* partners) noexcept:
    """Every pair of the groups' members whose first unit is in ``[first_unit, end_unit)``: counted
    per first unit into ``counts[lo - first_unit + 1]``, or (``partners`` not NULL) its second unit
    written at ``fill[lo - first_unit]`` (which advances)."""
    cdef Py_ssize_t g, i, j, s, m, a, k
    for g in range(starts.shape[0]):
        s, m = starts[g], sizes[g]
        for i in range(m - 1):
            a = units[s + i]
            if a >= end_unit:
                break
            if a < first_unit:
                continue
            k = a - first_unit
            if partners == NULL:
                counts[k + 1] += m - 1 - i
            else:
                for j in range(i + 1, m):
                    partners[fill[k]] = <uint32_t>units[s + j]
                    fill[k] += 1


cdef Py_ssize_t _kept(const uint32_t* partners, const int64_t* off, Py_ssize_t n_lo, Py_ssize_t first_unit,
                      const int64_t[::1] article, int64_t min_shared, int64_t* lo, int64_t* hi, int64_t* shared) noexcept:
    """The pairs kept from each lo's sorted partners (runs of one partner: the groups the pair
    shares), counted, and written to ``lo``/``hi``/``shared`` unless they are NULL."""
    cdef Py_ssize_t k, i, j, w = 0
    for k in range(n_lo):
        i = off[k]
        while i < off[k + 1]:
            j = i + 1
            while j < off[k + 1] and partners[j] == partners[i]:
                j += 1
            if j - i >= min_shared and article[k + first_unit] != article[partners[i]]:
                if lo != NULL:
                    lo[w] = k + first_unit
                    hi[w] = partners[i]
                    shared[w] = j - i
                w += 1
            i = j
    return w


def run_starts(const uint64_t[::1] keys):
    """Where each run of equal adjacent ``keys`` starts (``np.flatnonzero(np.diff(keys)) + 1``
    after a 0; empty for no keys)."""
    cdef Py_ssize_t n = keys.shape[0], i, m = 0
    out = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] o = out
    with nogil:
        for i in range(n):
            if i == 0 or keys[i] != keys[i - 1]:
                o[m] = i
                m += 1
    return out[:m]


def distinct_index(const uint64_t[::1] keys):
    """``(distinct, index)``: the distinct keys in order of first appearance, and for each key its
    position among them (``distinct[index] == keys``), with a hash table (fast when keys repeat:
    millions of term ids of a few tens of thousands of terms, where a sort meets long runs)."""
    cdef Py_ssize_t n = keys.shape[0], i, k, cap = 1 << 12, d = 0, j, dcap = 1 << 10
    cdef uint64_t mask, x
    cdef void* grown
    cdef uint64_t[::1] dv
    cdef uint64_t* slot_key = <uint64_t*>malloc(cap * sizeof(uint64_t))
    cdef int64_t* slot_pos = <int64_t*>malloc(cap * sizeof(int64_t))
    cdef uint64_t* found = <uint64_t*>malloc(dcap * sizeof(uint64_t))
    index = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] idx = index
    try:
        if slot_key == NULL or slot_pos == NULL or found == NULL:
            raise MemoryError()
        memset(slot_pos, 0xFF, cap * sizeof(int64_t))  # -1: empty
        mask = cap - 1
        for i in range(n):
            x = keys[i]
            j = <Py_ssize_t>(mix(x) & mask)
            while slot_pos[j] >= 0 and slot_key[j] != x:
                j = (j + 1) & mask
            if slot_pos[j] < 0:  # a new key
                if d == dcap:
                    grown = realloc(found, 2 * dcap * sizeof(uint64_t))
                    if grown == NULL:
                        raise MemoryError()
                    found = <uint64_t*>grown
                    dcap *= 2
                found[d] = x
                slot_key[j] = x
                slot_pos[j] = d
                d += 1
                if 2 * d > cap:  # half full: twice the slots, every distinct key placed again
                    cap *= 2
                    free(slot_key)
                    free(slot_pos)
                    slot_key = <uint64_t*>malloc(cap * sizeof(uint64_t))
                    slot_pos = <int64_t*>malloc(cap * sizeof(int64_t))
                    if slot_key == NULL or slot_pos == NULL:
                        raise MemoryError()
                    memset(slot_pos, 0xFF, cap * sizeof(int64_t))
                    mask = cap - 1
                    for k in range(d):
                        j = <Py_ssize_t>(mix(found[k]) & mask)
                        while slot_pos[j] >= 0:
                            j = (j + 1) & mask
                        slot_key[j] = found[k]
                        slot_pos[j] = k
                idx[i] = d - 1
            else:
                idx[i] = slot_pos[j]
        distinct = np.empty(d, dtype=np.uint64)
        dv = distinct
        for k in range(d):
            dv[k] = found[k]
        return distinct, index
    finally:
        free(slot_key)
        free(slot_pos)
        free(found)
