# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The compiled core of :mod:`khabar.words` and :func:`khabar.fingerprint.grams`.

The same words, hashes and n-grams as the numpy versions kept in those modules as references
(tests compare them): a word is a maximal run of code points marked in the word table; its hash is
``sum((cp + 1) * P**k)`` over its code points modulo 2**64, mixed with splitmix64; an n-gram hash
folds the words' hashes left to right (``acc * MULT + next``, mixed after each step).
"""

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc

from khabar._hash cimport fold, mix

import numpy as np

cdef uint64_t P = 0x100000001B3


cdef extern from "_blake2b.h":
    uint64_t blake2b64 "khabar_blake2b64"(const uint8_t* data, size_t n) noexcept nogil
    ctypedef struct b2_state "khabar_b2_state":
        pass
    void b2_init "khabar_b2_init"(b2_state* s, int outlen) noexcept nogil
    void b2_update "khabar_b2_update"(b2_state* s, const uint8_t* data, size_t n) noexcept nogil
    void b2_final "khabar_b2_final"(b2_state* s, uint8_t* out) noexcept nogil


cdef extern from *:
    """
    #if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    #define KHABAR_BIG_ENDIAN 1
    #else
    #define KHABAR_BIG_ENDIAN 0
    #endif
    """
    int KHABAR_BIG_ENDIAN


cdef extern from "Python.h":
    int PyUnicode_KIND(object o)
    void* PyUnicode_DATA(object o)
    Py_UCS4 PyUnicode_READ(int kind, const void* data, Py_ssize_t index) noexcept nogil
    object PyUnicode_FromKindAndData(int kind, const void* buffer, Py_ssize_t size)
    int PyUnicode_4BYTE_KIND
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch)
    bint Py_UNICODE_ISDECIMAL(Py_UCS4 ch)





cdef inline bint _space(Py_UCS4 ch) noexcept:
    """``str.isspace`` of one character (ASCII and Arabic without a table lookup)."""
    if ch < 128:
        return ch == 32 or 9 <= ch <= 13 or 28 <= ch <= 31
    if 0x600 <= ch <= 0x6FF:
        return False
    return Py_UNICODE_ISSPACE(ch)


cdef inline bint _decimal(Py_UCS4 ch) noexcept:
    """A Unicode decimal digit (``\\d`` of ``re``), ASCII and Arabic without a table lookup."""
    if ch < 128:
        return 48 <= ch <= 57
    if 0x600 <= ch <= 0x6FF:
        return 0x660 <= ch <= 0x669 or 0x6F0 <= ch <= 0x6F9
    return Py_UNICODE_ISDECIMAL(ch)


def words(str text, const uint8_t[::1] table, bint hashes=True):
    """``(starts, ends, hashes)`` of the words of ``text`` (``hashes`` None unless asked for)."""
    cdef Py_ssize_t n = len(text), i, k = 0, limit = table.shape[0]
    cdef Py_UCS4 ch
    cdef bint inside = False, w
    cdef int kind = PyUnicode_KIND(text)
    cdef const void* data = PyUnicode_DATA(text)
    for i in range(n):
        ch = PyUnicode_READ(kind, data, i)
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
        ch = PyUnicode_READ(kind, data, i)
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
                acc = fold(acc, h[p + k])
            o[p] = acc
    return out


def grams_runs(const uint64_t[::1] h, const int64_t[::1] bounds, int64_t n):
    """:func:`grams` of each run ``h[bounds[k]:bounds[k + 1]]``, end to end, and where each run's
    grams start (``len(bounds)`` offsets, the last one the total)."""
    cdef Py_ssize_t runs = bounds.shape[0] - 1, r
    cdef int64_t p, k, total = 0, m
    if n < 1:
        raise ValueError("n-grams need n >= 1")
    offsets = np.zeros(max(runs, 0) + 1, np.int64)
    cdef int64_t[::1] off = offsets
    for r in range(runs):
        if bounds[r + 1] < bounds[r] or bounds[r] < 0 or bounds[r + 1] > h.shape[0]:
            raise ValueError("run bounds must ascend within the hashes")
        m = bounds[r + 1] - bounds[r] - n + 1
        total += m if m > 0 else 0
        off[r + 1] = total
    out = np.empty(total, np.uint64)
    cdef uint64_t[::1] o = out
    cdef uint64_t acc
    with nogil:
        for r in range(runs):
            for p in range(off[r + 1] - off[r]):
                acc = h[bounds[r] + p]
                for k in range(1, n):
                    acc = fold(acc, h[bounds[r] + p + k])
                o[off[r] + p] = acc
    return out, offsets


def normalize_simple(str text, const uint32_t[::1] mapped, const uint8_t[::1] delete, const uint8_t[::1] special):
    """``normalize``'s one-to-one rows over ``text``: ``(normalized, src)``, or None when a character
    needs the general path (one that expands or composes)."""
    cdef Py_ssize_t n = len(text), i, k = 0
    cdef Py_UCS4 ch
    cdef int kind = PyUnicode_KIND(text)
    cdef const void* data = PyUnicode_DATA(text)
    for i in range(n):
        ch = PyUnicode_READ(kind, data, i)
        if special[ch]:
            return None
        if not delete[ch]:
            k += 1
    src = np.empty(k, np.int64)
    cdef int64_t[::1] s = src
    cdef uint32_t* buf = <uint32_t*>malloc(max(1, k) * sizeof(uint32_t))
    if buf == NULL:
        raise MemoryError()
    try:
        k = 0
        for i in range(n):
            ch = PyUnicode_READ(kind, data, i)
            if not delete[ch]:
                buf[k] = mapped[ch]
                s[k] = i
                k += 1
        return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, k), src
    finally:
        free(buf)


cdef Py_ssize_t _canon(str line, uint32_t* buf) except -1:
    """:func:`template_canon` into ``buf`` (room for ``len(line)`` code points); its length."""
    cdef Py_ssize_t n = len(line), i, k = 0
    cdef Py_UCS4 ch
    cdef bint in_digits = False, pending_space = False
    cdef int kind = PyUnicode_KIND(line)
    cdef const void* data = PyUnicode_DATA(line)
    for i in range(n):
        ch = PyUnicode_READ(kind, data, i)
        if _space(ch):
            pending_space = k > 0
            in_digits = False
            continue
        if _decimal(ch):
            if in_digits:
                continue
            in_digits = True
            ch = 48  # "0"
        else:
            in_digits = False
        if pending_space:
            buf[k] = 32
            k += 1
            pending_space = False
        buf[k] = ch
        k += 1
    return k


def template_canon(str line):
    """``" ".join(re.sub(r"\\d+", "0", line).split())``: a template line with its numbers as wildcards
    (``\\d`` is a Unicode decimal digit, ``split()`` splits on Unicode whitespace)."""
    cdef uint32_t* buf = <uint32_t*>malloc(max(1, len(line)) * sizeof(uint32_t))
    if buf == NULL:
        raise MemoryError()
    try:
        return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, _canon(line, buf))
    finally:
        free(buf)


cdef Py_ssize_t _utf8(const uint32_t* cps, Py_ssize_t n, uint8_t* out) noexcept nogil:
    """UTF-8 of ``cps[:n]`` into ``out`` (room for 4 bytes each; a lone surrogate takes 3 bytes, as
    with ``surrogatepass``); the number of bytes."""
    cdef Py_ssize_t i, k = 0
    cdef uint32_t c
    for i in range(n):
        c = cps[i]
        if c < 0x80:
            out[k] = c
            k += 1
        elif c < 0x800:
            out[k] = 0xC0 | (c >> 6)
            out[k + 1] = 0x80 | (c & 0x3F)
            k += 2
        elif c < 0x10000:
            out[k] = 0xE0 | (c >> 12)
            out[k + 1] = 0x80 | ((c >> 6) & 0x3F)
            out[k + 2] = 0x80 | (c & 0x3F)
            k += 3
        else:
            out[k] = 0xF0 | (c >> 18)
            out[k + 1] = 0x80 | ((c >> 12) & 0x3F)
            out[k + 2] = 0x80 | ((c >> 6) & 0x3F)
            out[k + 3] = 0x80 | (c & 0x3F)
            k += 4
    return k


def template_key(str line):
    """``int.from_bytes(blake2b(template_canon(line).encode("utf-8"), digest_size=8).digest(), "little")``
    in one call."""
    cdef Py_ssize_t n = len(line), k
    cdef uint32_t* buf = <uint32_t*>malloc(max(1, n) * sizeof(uint32_t))
    cdef uint8_t* raw = <uint8_t*>malloc(max(1, 4 * n))
    cdef uint64_t key
    if buf == NULL or raw == NULL:
        free(buf)
        free(raw)
        raise MemoryError()
    try:
        k = _canon(line, buf)
        key = blake2b64(raw, _utf8(buf, k, raw))
        return key
    finally:
        free(buf)
        free(raw)


def word_offsets(const int64_t[::1] src, const int64_t[::1] starts, const int64_t[::1] ends):
    """``(src[starts], src[ends - 1] + 1)`` as int32 arrays: where each word of a normalized text
    starts and ends in the original (``TextView.word_starts``/``word_ends``) in one pass."""
    cdef Py_ssize_t n = starts.shape[0], i, m = src.shape[0]
    if ends.shape[0] != n:
        raise ValueError("as many word ends as starts")
    out_s = np.empty(n, dtype=np.int32)
    out_e = np.empty(n, dtype=np.int32)
    cdef int32_t[::1] s = out_s
    cdef int32_t[::1] e = out_e
    for i in range(n):
        if not (0 <= starts[i] < m and 0 < ends[i] <= m):
            raise IndexError("a word outside the text")
        s[i] = <int32_t>src[starts[i]]
        e[i] = <int32_t>(src[ends[i] - 1] + 1)
    return out_s, out_e


def texts_digest(values, int size=16, swap=None):
    """The BLAKE2b digest (``size`` bytes) of a sequence of strings and Nones, read as their
    characters stored: per value a kind byte (0 for None; else 1, 2 or 4 bytes per character, as
    CPython stores it), then for a string its length in characters (8 bytes, little-endian) and its
    characters' storage in little-endian order.  What :func:`texts_digest_reference` hashes with
    ``hashlib``; no encoding to UTF-8 first, so several times faster.  The same on every machine:
    ``swap`` (default: on a big-endian machine) turns each character's bytes around before hashing."""
    cdef b2_state st
    cdef uint8_t head[9]
    cdef uint8_t out[64]
    cdef uint8_t buf[4096]
    cdef const uint8_t* data
    cdef Py_ssize_t n, at, m, j
    cdef int kind, i
    cdef bint turn = KHABAR_BIG_ENDIAN if swap is None else bool(swap)
    if not 1 <= size <= 64:
        raise ValueError(f"digest size {size} not in 1..64")
    b2_init(&st, size)
    for value in values:
        if value is None:
            head[0] = 0
            b2_update(&st, head, 1)
            continue
        if not isinstance(value, str):
            raise TypeError(f"expected str or None, not {type(value).__name__}")
        kind = PyUnicode_KIND(value)
        n = len(<str>value)
        head[0] = kind
        for i in range(8):
            head[1 + i] = (<uint64_t>n >> (8 * i)) & 0xFF
        b2_update(&st, head, 9)
        data = <const uint8_t*>PyUnicode_DATA(value)
        if not turn or kind == 1:
            b2_update(&st, data, n * kind)
            continue
        at = 0
        while at < n * kind:  # a few kilobytes at a time, each character's bytes reversed
            m = min(n * kind - at, 4096)
            for j in range(0, m, kind):
                for i in range(kind):
                    buf[j + i] = data[at + j + kind - 1 - i]
            b2_update(&st, buf, m)
            at += m
    b2_final(&st, out)
    return out[:size]


def blake2b_64(const uint8_t[::1] data):
    """``int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")``."""
    return blake2b64(&data[0] if data.shape[0] else <const uint8_t*>NULL, data.shape[0])


cdef inline bint _line_break(Py_UCS4 ch) noexcept:
    """The characters ``str.splitlines`` ends a line at."""
    return ch == 10 or ch == 13 or ch == 11 or ch == 12 or ch == 0x1C or ch == 0x1D or ch == 0x1E \
        or ch == 0x85 or ch == 0x2028 or ch == 0x2029


cdef inline Py_ssize_t _line_end(int kind, const void* data, Py_ssize_t n, Py_ssize_t start) noexcept:
    """Where the line starting at ``start`` ends, its line break included (``\\r\\n`` is one)."""
    cdef Py_ssize_t end = start
    while end < n and not _line_break(PyUnicode_READ(kind, data, end)):
        end += 1
    if end < n:
        if PyUnicode_READ(kind, data, end) == 13 and end + 1 < n and PyUnicode_READ(kind, data, end + 1) == 10:
            return end + 2
        return end + 1
    return end


cdef inline Py_ssize_t _norm_end(const int64_t[::1] src, Py_ssize_t nb0, Py_ssize_t end) noexcept:
    """From ``nb0``, the end of the normalized characters whose source is before ``end``."""
    cdef Py_ssize_t nb1 = nb0, m = src.shape[0]
    while nb1 < m and src[nb1] < end:
        nb1 += 1
    return nb1


def lines(str text, str norm, const int64_t[::1] src, const int64_t[::1] word_starts, make_line):
    """``clean.lines.lines_of``: every line of ``text`` (``str.splitlines(keepends=True)``) as
    ``make_line(start, end, normalized stripped content, words)`` (a blank one's ``kind`` and ``rule``
    set to ``"blank"``); ``src`` maps ``norm`` to ``text`` and ``word_starts`` are where its words
    start in ``norm``."""
    cdef Py_ssize_t n = len(text), nw = word_starts.shape[0]
    cdef Py_ssize_t start = 0, end, nb0 = 0, nb1, w0 = 0, w1, s, e
    cdef int tkind = PyUnicode_KIND(text), nkind = PyUnicode_KIND(norm)
    cdef const void* tdata = PyUnicode_DATA(text)
    cdef const void* ndata = PyUnicode_DATA(norm)
    out = []
    if n == 0:
        return out
    while start < n:
        end = _line_end(tkind, tdata, n, start)
        nb1 = _norm_end(src, nb0, end)  # the line in the normalized text: sources in [start, end)
        w1 = w0
        while w1 < nw and word_starts[w1] < nb1:
            w1 += 1
        s, e = nb0, nb1
        while s < e and _space(PyUnicode_READ(nkind, ndata, s)):
            s += 1
        while e > s and _space(PyUnicode_READ(nkind, ndata, e - 1)):
            e -= 1
        line = make_line(start, end, norm[s:e], w1 - w0)
        if s == e:
            line.kind = "blank"
            line.rule = "blank"
        out.append(line)
        start, nb0, w0 = end, nb1, w1
    return out


def template_lines(str text, str norm, const int64_t[::1] src, const uint8_t[::1] table):
    """What template learning needs of each line of ``lines`` (the same lines, without the words'
    arrays or a ``Line`` object each): ``(keys, words, norms)`` — each line's ``template_key`` of its
    stripped normalized content (0 for a blank line), its number of words (``table``: the word
    characters, as for :func:`words`) and that content (None for a blank line)."""
    cdef Py_ssize_t n = len(text), m = src.shape[0], limit = table.shape[0]
    cdef Py_ssize_t start = 0, end, nb0 = 0, nb1, s, e, p, k, count
    cdef int tkind = PyUnicode_KIND(text), nkind = PyUnicode_KIND(norm)
    cdef const void* tdata = PyUnicode_DATA(text)
    cdef const void* ndata = PyUnicode_DATA(norm)
    cdef Py_UCS4 ch
    cdef bint prev = False, w
    cdef uint32_t* buf = NULL
    cdef uint8_t* raw = NULL
    keys, counts, norms = [], [], []
    if n == 0:
        return keys, counts, norms
    buf = <uint32_t*>malloc(max(1, m) * sizeof(uint32_t))
    raw = <uint8_t*>malloc(max(1, 4 * m))
    if buf == NULL or raw == NULL:
        free(buf)
        free(raw)
        raise MemoryError()
    try:
        while start < n:
            end = _line_end(tkind, tdata, n, start)
            nb1 = _norm_end(src, nb0, end)
            count = 0  # words starting in the line: a word character after a non-word one
            for p in range(nb0, nb1):
                ch = PyUnicode_READ(nkind, ndata, p)
                w = ch < limit and table[ch]
                if w and not prev:
                    count += 1
                prev = w
            s, e = nb0, nb1
            while s < e and _space(PyUnicode_READ(nkind, ndata, s)):
                s += 1
            while e > s and _space(PyUnicode_READ(nkind, ndata, e - 1)):
                e -= 1
            counts.append(count)
            if s == e:
                keys.append(0)
                norms.append(None)
            else:
                line = norm[s:e]
                k = _canon(line, buf)
                keys.append(blake2b64(raw, _utf8(buf, k, raw)))
                norms.append(line)
            start, nb0 = end, nb1
        return keys, counts, norms
    finally:
        free(buf)
        free(raw)


cdef uint32_t* _code_points(list strings, int64_t** offsets) except NULL:
    """The code points of ``strings`` end to end, and where each starts (``len + 1`` offsets)."""
    cdef Py_ssize_t n = len(strings), k, i, total = sum(len(x) for x in strings)
    cdef uint32_t* cps = <uint32_t*>malloc(max(1, total) * sizeof(uint32_t))
    cdef int64_t* off = <int64_t*>malloc((n + 1) * sizeof(int64_t))
    cdef str x
    if cps == NULL or off == NULL:
        free(cps)
        free(off)
        raise MemoryError()
    off[0] = 0
    for k in range(n):
        x = strings[k]
        for i in range(len(x)):
            cps[off[k] + i] = ord(x[i])
        off[k + 1] = off[k] + len(x)
    offsets[0] = off
    return cps


cdef class Stemmer:
    """``stem.stem`` compiled: the affix tables as code-point arrays, tried in table order.  One span
    function (which part of a word is its stem) serves both :meth:`stem` and :meth:`term_ids`."""

    cdef uint32_t* pre  # article prefixes, in table order, end to end
    cdef int64_t* pre_off
    cdef Py_ssize_t n_pre
    cdef uint32_t* suf
    cdef int64_t* suf_off
    cdef Py_ssize_t n_suf
    cdef uint32_t* singles
    cdef int64_t* singles_off
    cdef Py_ssize_t n_singles
    cdef Py_ssize_t min_stem

    def __cinit__(self, prefixes, singles, suffixes, Py_ssize_t min_stem):
        singles = list(singles)
        if any(len(x) != 1 for x in singles):
            raise ValueError("single prefixes are one letter each")
        self.pre = _code_points(list(prefixes), &self.pre_off)
        self.n_pre = len(prefixes)
        self.suf = _code_points(list(suffixes), &self.suf_off)
        self.n_suf = len(suffixes)
        self.singles = _code_points(singles, &self.singles_off)
        self.n_singles = len(singles)
        self.min_stem = min_stem

    def __dealloc__(self):
        free(self.pre)
        free(self.pre_off)
        free(self.suf)
        free(self.suf_off)
        free(self.singles)
        free(self.singles_off)

    cdef void _span(self, const uint32_t* w, Py_ssize_t n, Py_ssize_t* start, Py_ssize_t* end) noexcept nogil:
        """The stem of the word ``w[:n]`` is ``w[start:end]``: one article prefix (the first that
        fits), else one single-letter prefix, then one suffix, leaving at least ``min_stem`` letters
        (a prefix may leave one fewer); a word not starting with an Arabic letter stays whole."""
        cdef Py_ssize_t k, i, lp, ls, s = 0, e = n
        cdef bint ok
        start[0], end[0] = 0, n
        if n == 0 or not (0x0621 <= w[0] <= 0x064A):
            return
        for k in range(self.n_pre):
            lp = self.pre_off[k + 1] - self.pre_off[k]
            if n - lp >= self.min_stem - 1 and lp <= n:
                ok = True
                for i in range(lp):
                    if w[i] != self.pre[self.pre_off[k] + i]:
                        ok = False
                        break
                if ok:
                    s = lp
                    break
        else:
            if n > self.min_stem + 1:
                for k in range(self.n_singles):
                    if w[0] == self.singles[k]:
                        s = 1
                        break
        if e > s:
            for k in range(self.n_suf):
                ls = self.suf_off[k + 1] - self.suf_off[k]
                if e - s - ls >= self.min_stem:
                    ok = True
                    for i in range(ls):
                        if w[e - ls + i] != self.suf[self.suf_off[k] + i]:
                            ok = False
                            break
                    if ok:
                        e -= ls
                        break
        start[0], end[0] = s, e

    def stem(self, str word):
        cdef Py_ssize_t n = len(word), i, s, e
        cdef int kind = PyUnicode_KIND(word)
        cdef const void* data = PyUnicode_DATA(word)
        cdef uint32_t* cps = <uint32_t*>malloc(max(1, n) * sizeof(uint32_t))
        if cps == NULL:
            raise MemoryError()
        try:
            for i in range(n):
                cps[i] = PyUnicode_READ(kind, data, i)
            self._span(cps, n, &s, &e)
        finally:
            free(cps)
        if s == 0 and e == n:
            return word
        return word[s:e]

    def term_ids(self, list texts, list starts, list ends, list idx, const int64_t[::1] owner, const int64_t[::1] local):
        """The term ids (``term_ids`` of their stems) of words ``k``: unit ``owner[k]``'s word
        ``local[k]``, i.e. its view's word ``idx[o][local[k]]`` at ``starts[o][i]:ends[o][i]`` of
        ``texts[o]``; all in C, no string made per word."""
        cdef Py_ssize_t n = owner.shape[0], k, i, p, m, s, e, o = -1
        cdef const int64_t[::1] st
        cdef const int64_t[::1] en
        cdef const int64_t[::1] ix
        cdef str text
        cdef int kind = 0
        cdef const void* data = NULL
        out = np.empty(n, np.int64)
        cdef int64_t[::1] res = out
        cdef CodeBuf buf
        _buf_init(&buf)
        try:
            for k in range(n):
                if owner[k] != o:
                    o = owner[k]
                    st, en, ix, text = starts[o], ends[o], idx[o], texts[o]
                    kind = PyUnicode_KIND(text)
                    data = PyUnicode_DATA(text)
                i = ix[local[k]]
                p = st[i]
                m = en[i] - p
                _room(&buf, m)
                for i in range(m):
                    buf.cps[i] = PyUnicode_READ(kind, data, p + i)
                self._span(buf.cps, m, &s, &e)
                res[k] = _term_id(buf.cps + s, e - s, buf.raw)
            return out
        finally:
            _buf_free(&buf)


DEF SUB_BUCKETS = 4096  # hash buckets of the strings' first three characters


cdef inline uint32_t _tri(uint32_t a, uint32_t b, uint32_t c) noexcept:
    return ((a * 0x9E3779B1u) ^ (b * 0x85EBCA77u) ^ (c * 0xC2B2AE3Du)) >> 20  # 12 bits


cdef class Substrings:
    """Which of a fixed set of strings occur in a text: ``mask(text)`` ORs the bit masks of every one
    that occurs (a string is found at any position, overlapping others).  For the lexicon's trigger
    words: a few dozen short strings looked for in every line, scanned in one pass over the line:
    strings of three characters or more through a hash of their first three (most positions of a
    line start none: one lookup rules them out), shorter ones through a table of their first
    character (all in the Basic Multilingual Plane)."""

    cdef uint32_t* chars  # the strings' code points, end to end
    cdef int64_t* offsets  # string k is chars[offsets[k]:offsets[k + 1]]
    cdef uint64_t* masks
    cdef int32_t* head  # first character → the first short string starting with it (-1: none) ...
    cdef int32_t* bucket  # hash of the first three characters → the first long string in it ...
    cdef int32_t* chain  # ... and the next string of the same first character or bucket
    cdef Py_ssize_t count

    def __cinit__(self, strings, masks):
        strings = list(strings)
        masks = list(masks)
        if len(strings) != len(masks):
            raise ValueError("one mask per string")
        cdef Py_ssize_t n = len(strings), k, i
        cdef str s
        for s in strings:
            if not s or ord(s[0]) > 0xFFFF:
                raise ValueError(f"a string must be non-empty and start in the BMP: {s!r}")
        self.count = n
        self.chars = _code_points(strings, &self.offsets)
        self.masks = <uint64_t*>malloc(max(1, n) * sizeof(uint64_t))
        self.head = <int32_t*>malloc(65536 * sizeof(int32_t))
        self.bucket = <int32_t*>malloc(SUB_BUCKETS * sizeof(int32_t))
        self.chain = <int32_t*>malloc(max(1, n) * sizeof(int32_t))
        if not (self.masks and self.head and self.bucket and self.chain):
            raise MemoryError()
        for i in range(65536):
            self.head[i] = -1
        for i in range(SUB_BUCKETS):
            self.bucket[i] = -1
        for k in range(n):
            self.masks[k] = masks[k]
        cdef const uint32_t* c
        for k in range(n - 1, -1, -1):  # chains in input order
            c = self.chars + self.offsets[k]
            if self.offsets[k + 1] - self.offsets[k] >= 3 and c[1] <= 0xFFFF and c[2] <= 0xFFFF:
                self.chain[k] = self.bucket[_tri(c[0], c[1], c[2])]
                self.bucket[_tri(c[0], c[1], c[2])] = k
            else:
                self.chain[k] = self.head[c[0]]
                self.head[c[0]] = k

    def __dealloc__(self):
        free(self.chars)
        free(self.offsets)
        free(self.masks)
        free(self.head)
        free(self.bucket)
        free(self.chain)

    def mask(self, str text):
        cdef Py_ssize_t n = len(text), i
        cdef int kind = PyUnicode_KIND(text)
        cdef const void* data = PyUnicode_DATA(text)
        cdef Py_UCS4 a, b = 0, c = 0
        cdef int32_t k
        cdef uint64_t m = 0
        if n > 0:
            b = PyUnicode_READ(kind, data, 0)
        if n > 1:
            c = PyUnicode_READ(kind, data, 1)
        for i in range(n):
            a, b = b, c  # the characters at i, i + 1 and i + 2
            c = PyUnicode_READ(kind, data, i + 2) if i + 2 < n else 0
            if a > 0xFFFF:
                continue
            k = self.head[a]  # the short strings starting with this character
            if k >= 0:
                self._scan(kind, data, n, i, k, &m)
            if i + 2 < n and b <= 0xFFFF and c <= 0xFFFF:
                k = self.bucket[_tri(a, b, c)]  # the long ones that may start with these three
                if k >= 0:
                    self._scan(kind, data, n, i, k, &m)
        return m

    cdef inline void _scan(
        self, int kind, const void* data, Py_ssize_t n, Py_ssize_t i, int32_t k, uint64_t* m
    ) noexcept:
        """OR into ``m`` the masks of the strings of chain ``k`` that occur at ``i``."""
        cdef Py_ssize_t j, length
        while k >= 0:
            length = self.offsets[k + 1] - self.offsets[k]
            if i + length <= n:
                j = 0
                while j < length and PyUnicode_READ(kind, data, i + j) == self.chars[self.offsets[k] + j]:
                    j += 1
                if j == length:
                    m[0] |= self.masks[k]
            k = self.chain[k]


def controls(str text, Py_ssize_t limit):
    """``(first NUL or -1, number of C0 controls other than tab and line breaks, and DEL)`` in
    ``text[:limit]``: ``readers.sanity``'s binary-data test in one pass."""
    cdef Py_ssize_t n = min(len(text), limit), i, nul = -1, count = 0
    cdef int kind = PyUnicode_KIND(text)
    cdef const void* data = PyUnicode_DATA(text)
    cdef Py_UCS4 ch
    for i in range(n):
        ch = PyUnicode_READ(kind, data, i)
        if ch < 0x20 or ch == 0x7F:
            if ch <= 0x08 or 0x0E <= ch <= 0x1F or ch == 0x7F:
                count += 1
                if ch == 0 and nul < 0:
                    nul = i
    return nul, count


cdef inline uint64_t _bswap64(uint64_t x) noexcept nogil:
    x = ((x & 0x00000000FFFFFFFFULL) << 32) | ((x & 0xFFFFFFFF00000000ULL) >> 32)
    x = ((x & 0x0000FFFF0000FFFFULL) << 16) | ((x & 0xFFFF0000FFFF0000ULL) >> 16)
    return ((x & 0x00FF00FF00FF00FFULL) << 8) | ((x & 0xFF00FF00FF00FF00ULL) >> 8)


def term_ids(list terms):
    """``int.from_bytes(blake2b(t.encode("utf-8", "surrogatepass"), digest_size=8).digest()) >> 1``
    (big-endian: the stories' stable term ids) of each string, as an int64 array."""
    cdef Py_ssize_t n = len(terms), k, i, m
    out = np.empty(n, np.int64)
    cdef int64_t[::1] o = out
    cdef str t
    cdef int kind
    cdef const void* data
    cdef CodeBuf buf
    _buf_init(&buf)
    try:
        for k in range(n):
            t = terms[k]
            m = len(t)
            _room(&buf, m)
            kind = PyUnicode_KIND(t)
            data = PyUnicode_DATA(t)
            for i in range(m):
                buf.cps[i] = PyUnicode_READ(kind, data, i)
            o[k] = _term_id(buf.cps, m, buf.raw)
        return out
    finally:
        _buf_free(&buf)


cdef struct CodeBuf:
    uint32_t* cps  # a string's code points ...
    uint8_t* raw  # ... and room for their UTF-8
    Py_ssize_t cap


cdef void _buf_init(CodeBuf* b) noexcept:
    b.cps = NULL
    b.raw = NULL
    b.cap = 0


cdef int _room(CodeBuf* b, Py_ssize_t m) except -1:
    """Room for ``m`` code points (and their UTF-8) in ``b``."""
    cdef void* grown
    if m <= b.cap and b.cps != NULL:
        return 0
    m = max(m, 64)
    grown = realloc(b.cps, m * sizeof(uint32_t))
    if grown == NULL:
        raise MemoryError()
    b.cps = <uint32_t*>grown
    grown = realloc(b.raw, 4 * m)
    if grown == NULL:
        raise MemoryError()
    b.raw = <uint8_t*>grown
    b.cap = m
    return 0


cdef void _buf_free(CodeBuf* b) noexcept:
    free(b.cps)
    free(b.raw)
    _buf_init(b)


cdef inline int64_t _term_id(const uint32_t* cps, Py_ssize_t n, uint8_t* raw) noexcept nogil:
    """The stories' term id of the string ``cps[:n]`` (``raw``: room for its UTF-8)."""
    return <int64_t>(_bswap64(blake2b64(raw, _utf8(cps, n, raw))) >> 1)
