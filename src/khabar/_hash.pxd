# cython: language_level=3
"""The 64-bit mixing shared by the compiled kernels: splitmix64's finalizer (``words.mix64``) and one
step of the n-gram fold (``fingerprint.grams``: ``acc * 0x9E3779B97F4A7C15 + next``, then mixed)."""

from libc.stdint cimport uint64_t


cdef inline uint64_t mix(uint64_t x) noexcept nogil:
    x ^= x >> 30
    x *= 0xBF58476D1CE4E5B9ULL
    x ^= x >> 27
    x *= 0x94D049BB133111EBULL
    x ^= x >> 31
    return x


cdef inline uint64_t fold(uint64_t acc, uint64_t word) noexcept nogil:
    return mix(acc * 0x9E3779B97F4A7C15ULL + word)
