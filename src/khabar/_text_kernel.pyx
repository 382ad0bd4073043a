# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The compiled core of :mod:`khabar.words` and :func:`khabar.fingerprint.grams`.

The same words, hashes and n-grams as the numpy versions kept in those modules as references
(tests compare them): a word is a maximal run of code points marked in the word table; its hash is
``sum((cp + 1) * P**k)`` over its code points modulo 2**64, mixed with splitmix64; an n-gram hash
folds the words' hashes left to right (``acc * MULT + next``, mixed after each step).
"""

from libc.stdint cimport int64_t, uint8_t, uint64_t

import numpy as np

cdef uint64_t P = 0x100000001B3
cdef uint64_t GRAM_MULT = 0x9E3779B97F4A7C15
cdef uint64_t M1 = 0xBF58476D1CE4E5B9
cdef uint64_t M2 = 0x94D049BB133111EB


cdef inline uint64_t mix(uint64_t x) noexcept nogil:
    x ^= x >> 30
    x *= M1
    x ^= x >> 27
    x *= M2
    x ^= x >> 31
    return x


def words(str text, const uint8_t[::1] table, bint hashes=True):
    """``(starts, ends, hashes)`` of the words of ``text`` (``hashes`` None unless asked for)."""
    cdef Py_ssize_t n = len(text), i, k = 0, limit = table.shape[0]
    cdef Py_UCS4 ch
    cdef bint inside = False, w
    for i in range(n):
        ch = text[i]
        w = ch < limit and table[ch]
        if w and not inside:
            k += 1
        inside = w
    starts = np.empty(k, np.int64)
    ends = np.empty(k, np.int64)
    out = np.empty(k if hashes else 0, np.uint64)
    cdef int64_t[::1] s = starts
    cdef int64_t[::1] e = ends
    cdef uint64_t[::1] hv = out
    cdef uint64_t acc = 0, pw = 1
    k = 0
    inside = False
    for i in range(n):
        ch = text[i]
        w = ch < limit and table[ch]
        if w:
            if not inside:
                s[k] = i
                acc = 0
                pw = 1
            acc += (<uint64_t>ch + 1) * pw
            pw *= P
        elif inside:
            e[k] = i
            if hashes:
                hv[k] = mix(acc)
            k += 1
        inside = w
    if inside:
        e[k] = n
        if hashes:
            hv[k] = mix(acc)
    return starts, ends, (out if hashes else None)


def grams(const uint64_t[::1] h, int64_t n):
    """Order-sensitive hashes of every run of ``n`` consecutive words (empty if fewer words)."""
    cdef int64_t m = h.shape[0] - n + 1, p, k
    if n < 1:
        raise ValueError("n-grams need n >= 1")
    if m <= 0:
        return np.zeros(0, np.uint64)
    out = np.empty(m, np.uint64)
    cdef uint64_t[::1] o = out
    cdef uint64_t acc
    with nogil:
        for p in range(m):
            acc = h[p]
            for k in range(1, n):
                acc = mix(acc * GRAM_MULT + h[p + k])
            o[p] = acc
    return out
