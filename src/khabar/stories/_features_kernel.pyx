# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The compiled core of :func:`khabar.stories.features.story_units_of`: word hash → term lookups in an
open-addressing table, and each unit's term frequencies summed per term (sorted by term id).

The same rows as the numpy reference (``features._text_rows`` + ``_vectors``): tf sums integer
counts (exact in any order) and the tf-idf arithmetic stays in numpy, so the weights are identical.
"""

from libc.stdint cimport int32_t, int64_t, uint64_t
from libc.stdlib cimport calloc, free, malloc, realloc

import numpy as np

from khabar._hash cimport mix


cdef struct Slot:
    uint64_t key
    int64_t tid
    double idf
    int64_t used


cdef class TermTable:
    """Word hash → (term id, IDF); term id -1 marks a function word.  Grows as words are added.

    Open addressing over one array of slots (key, term id, IDF, used) of 32 bytes: a lookup — one per
    word of every unit — reads one cache line, not one per field."""

    cdef Slot* slots
    cdef Py_ssize_t cap
    cdef Py_ssize_t size

    def __cinit__(self):
        self.cap = 0
        self.size = 0
        self._alloc(1 << 15)

    def __dealloc__(self):
        free(self.slots)
        self.slots = NULL

    cdef int _alloc(self, Py_ssize_t cap) except -1:
        self.slots = <Slot*>calloc(cap, sizeof(Slot))
        if self.slots == NULL:
            raise MemoryError()
        self.cap = cap
        return 0

    cdef inline Py_ssize_t _slot(self, uint64_t h) noexcept nogil:
        cdef Py_ssize_t mask = self.cap - 1, i = <Py_ssize_t>(mix(h) & <uint64_t>mask)
        while self.slots[i].used and self.slots[i].key != h:
            i = (i + 1) & mask
        return i

    cdef int _grow(self) except -1:
        cdef Slot* old_slots = self.slots
        cdef Py_ssize_t old = self.cap, i, j
        self.slots = NULL
        try:
            self._alloc(2 * old)
        except MemoryError:
            self.slots, self.cap = old_slots, old
            raise
        for i in range(old):
            if old_slots[i].used:
                j = self._slot(old_slots[i].key)
                self.slots[j] = old_slots[i]
        free(old_slots)
        return 0

    def __len__(self):
        return self.size

    def clear(self):
        free(self.slots)
        self.slots = NULL
        self.cap = 0
        self.size = 0
        self._alloc(1 << 15)

    def missing(self, const uint64_t[::1] hashes):
        """Positions in ``hashes`` of the words the table does not hold (repeats included)."""
        cdef Py_ssize_t n = hashes.shape[0], i, k = 0
        out = np.empty(n, np.int64)
        cdef int64_t[::1] o = out
        for i in range(n):
            if not self.slots[self._slot(hashes[i])].used:
                o[k] = i
                k += 1
        return out[:k]

    def insert(self, const uint64_t[::1] hashes, const int64_t[::1] tids, const double[::1] idfs):
        """Add (or replace) ``hashes[i]`` → ``(tids[i], idfs[i])``."""
        cdef Py_ssize_t i, j
        for i in range(hashes.shape[0]):
            if 2 * (self.size + 1) > self.cap:
                self._grow()
            j = self._slot(hashes[i])
            if not self.slots[j].used:
                self.slots[j].used = 1
                self.slots[j].key = hashes[i]
                self.size += 1
            self.slots[j].tid = tids[i]
            self.slots[j].idf = idfs[i]


cdef struct Entry:
    int64_t tid
    double count
    double idf


cdef void _sort_entries(Entry* v, Py_ssize_t n) noexcept nogil:
    """Sort entries by term id (the order of equal ids does not matter: their counts are summed
    exactly).  Quicksort with a median of three, insertion sort below 24 entries; no comparator
    calls (``qsort`` took half of ``unit_terms``'s time)."""
    cdef Py_ssize_t lo = 0, hi = n - 1, i, j, mid
    cdef Py_ssize_t stack_lo[64]
    cdef Py_ssize_t stack_hi[64]
    cdef int top = 0
    cdef int64_t pivot
    cdef Entry t
    while True:
        while hi - lo >= 24:
            mid = lo + (hi - lo) // 2
            if v[mid].tid < v[lo].tid:
                t = v[mid]; v[mid] = v[lo]; v[lo] = t
            if v[hi].tid < v[lo].tid:
                t = v[hi]; v[hi] = v[lo]; v[lo] = t
            if v[hi].tid < v[mid].tid:
                t = v[hi]; v[hi] = v[mid]; v[mid] = t
            pivot = v[mid].tid
            i, j = lo, hi
            while i <= j:
                while v[i].tid < pivot:
                    i += 1
                while v[j].tid > pivot:
                    j -= 1
                if i <= j:
                    t = v[i]; v[i] = v[j]; v[j] = t
                    i += 1
                    j -= 1
            # the smaller side next, the larger one later: the stack stays under log2(n) deep
            if j - lo < hi - i:
                if i < hi:
                    stack_lo[top], stack_hi[top] = i, hi
                    top += 1
                hi = j
            else:
                if lo < j:
                    stack_lo[top], stack_hi[top] = lo, j
                    top += 1
                lo = i
        for i in range(lo + 1, hi + 1):
            t = v[i]
            j = i
            while j > lo and v[j - 1].tid > t.tid:
                v[j] = v[j - 1]
                j -= 1
            v[j] = t
        if top == 0:
            return
        top -= 1
        lo, hi = stack_lo[top], stack_hi[top]


def unit_terms(
    TermTable table,
    const uint64_t[::1] text,
    const int64_t[::1] text_bounds,
    const uint64_t[::1] title,
    const int64_t[::1] title_bounds,
    double title_weight,
):
    """Per unit ``k`` (its words ``text[text_bounds[k]:text_bounds[k + 1]]`` and headline words
    ``title[title_bounds[k]:...]``, every one in ``table``): its terms in increasing id, each with
    its count (a headline word counts ``title_weight``) and IDF, function words left out.

    Returns ``(ids, tf, idf, bounds)`` of headline + text, then the same of the headline alone
    (unit ``k``'s rows are ``bounds[k]:bounds[k + 1]``)."""
    cdef Py_ssize_t n = text_bounds.shape[0] - 1
    both = _terms(table, text, text_bounds, title, title_bounds, title_weight, n, True)
    alone = _terms(table, text, text_bounds, title, title_bounds, title_weight, n, False)
    return both, alone


cdef tuple _terms(
    TermTable table,
    const uint64_t[::1] text,
    const int64_t[::1] text_bounds,
    const uint64_t[::1] title,
    const int64_t[::1] title_bounds,
    double title_weight,
    Py_ssize_t n,
    bint with_text,
):
    cdef Py_ssize_t total = title.shape[0] + (text.shape[0] if with_text else 0)
    cdef Py_ssize_t k, i, j, m, r = 0, slot, start
    cdef Entry* buf = <Entry*>malloc(max(1, total) * sizeof(Entry))
    if buf == NULL:
        raise MemoryError()
    ids = np.empty(total, np.int64)
    tf = np.empty(total, np.float64)
    idf = np.empty(total, np.float64)
    bounds = np.empty(n + 1, np.int64)
    cdef int64_t[::1] o_ids = ids
    cdef double[::1] o_tf = tf
    cdef double[::1] o_idf = idf
    cdef int64_t[::1] o_b = bounds
    try:
        for k in range(n):
            o_b[k] = r
            m = 0
            if with_text:
                for i in range(text_bounds[k], text_bounds[k + 1]):
                    slot = table._slot(text[i])
                    if table.slots[slot].tid >= 0:
                        buf[m].tid = table.slots[slot].tid
                        buf[m].count = 1.0
                        buf[m].idf = table.slots[slot].idf
                        m += 1
            for i in range(title_bounds[k], title_bounds[k + 1]):
                slot = table._slot(title[i])
                if table.slots[slot].tid >= 0:
                    buf[m].tid = table.slots[slot].tid
                    buf[m].count = title_weight
                    buf[m].idf = table.slots[slot].idf
                    m += 1
            _sort_entries(buf, m)
            i = 0
            while i < m:
                j = i
                o_ids[r] = buf[i].tid
                o_idf[r] = buf[i].idf
                o_tf[r] = 0.0
                while j < m and buf[j].tid == buf[i].tid:
                    o_tf[r] += buf[j].count
                    j += 1
                r += 1
                i = j
        o_b[n] = r
    finally:
        free(buf)
    return ids[:r], tf[:r], idf[:r], bounds


def block_similarities(
    const int64_t[::1] indptr,
    const int64_t[::1] indices,
    const double[::1] data,
    const int64_t[::1] rows,
    const int64_t[::1] cols,
    Py_ssize_t n_terms,
    double floor,
):
    """The dot products of rows ``rows`` of ``X`` (CSR over ``n_terms`` terms, each row's terms
    distinct) with its rows ``cols`` that reach ``floor``: ``(i, j, X[rows[i]] · X[cols[j]])``
    arrays, ``i`` and ``j`` positions in ``rows`` and ``cols``.

    ``A @ B.T`` with ``A = X[rows]``, ``B = X[cols]`` as scipy's ``csr_matmat`` computes it — per row
    of ``A``, a running sum per column, adding ``a * b`` term by term in the order of the row's terms,
    the columns of a term met in the order of ``cols`` (``B`` transposed by a counting sort here,
    as ``tocsc`` does) — so each value is bit for bit the product's, without materializing the pairs
    below the floor (most of them).  By row, a row's columns come in the order its terms first reach
    them."""
    cdef Py_ssize_t n_rows = rows.shape[0], n_cols = cols.shape[0], i, jj, kk, k, j, t, c, r
    cdef Py_ssize_t n_touched, n_terms_b = 0, nnz_b = 0, pos, m = 0, cap = 1024
    cdef double v
    if n_cols >= 2**31:
        raise ValueError("too many columns for one block")
    for j in range(n_cols):
        c = cols[j]
        if c < 0 or c >= indptr.shape[0] - 1:
            raise IndexError("a column is not a row of the matrix")
        nnz_b += indptr[c + 1] - indptr[c]
    for i in range(n_rows):
        if rows[i] < 0 or rows[i] >= indptr.shape[0] - 1:
            raise IndexError("a row is not a row of the matrix")
    cdef int64_t* b_start = <int64_t*>calloc(max(1, n_terms), sizeof(int64_t))  # a term's columns ...
    cdef int64_t* b_end = <int64_t*>calloc(max(1, n_terms), sizeof(int64_t))  # ... (none: 0, 0)
    cdef int64_t* b_terms = <int64_t*>malloc(max(1, nnz_b) * sizeof(int64_t))  # B's terms, first seen first
    cdef int32_t* b_cols = <int32_t*>malloc(max(1, nnz_b) * sizeof(int32_t))  # less to stream than int64
    cdef double* b_data = <double*>malloc(max(1, nnz_b) * sizeof(double))
    cdef double* acc = <double*>calloc(max(1, n_cols), sizeof(double))
    cdef unsigned char* seen = <unsigned char*>calloc(max(1, n_cols), 1)
    cdef int64_t* touched = <int64_t*>malloc((n_cols + 1) * sizeof(int64_t))  # + 1: written before counted
    cdef int64_t* out_r = <int64_t*>malloc(cap * sizeof(int64_t))
    cdef int64_t* out_c = <int64_t*>malloc(cap * sizeof(int64_t))
    cdef double* out_v = <double*>malloc(cap * sizeof(double))
    cdef void* grown
    try:
        if not (b_start and b_end and b_terms and b_cols and b_data and acc and seen and touched
                and out_r and out_c and out_v):
            raise MemoryError()
        # B transposed: each term's columns in column order (a counting sort by term)
        for j in range(n_cols):
            c = cols[j]
            for kk in range(indptr[c], indptr[c + 1]):
                k = indices[kk]
                if k < 0 or k >= n_terms:
                    raise IndexError("a term is beyond the matrix")
                if b_end[k] == 0:
                    b_terms[n_terms_b] = k
                    n_terms_b += 1
                b_end[k] += 1
        pos = 0
        for t in range(n_terms_b):
            k = b_terms[t]
            b_start[k] = pos
            pos += b_end[k]
            b_end[k] = b_start[k]  # from here the fill cursor, then the end
        for j in range(n_cols):
            c = cols[j]
            for kk in range(indptr[c], indptr[c + 1]):
                k = indices[kk]
                b_cols[b_end[k]] = j
                b_data[b_end[k]] = data[kk]
                b_end[k] += 1
        for i in range(n_rows):
            n_touched = 0
            r = rows[i]
            for jj in range(indptr[r], indptr[r + 1]):
                k = indices[jj]
                if k < 0 or k >= n_terms:
                    raise IndexError("a term is beyond the matrix")
                v = data[jj]
                for kk in range(b_start[k], b_end[k]):  # no branch: a column's first touch is rare
                    j = b_cols[kk]
                    touched[n_touched] = j
                    n_touched += 1 - seen[j]  # kept if it is the column's first
                    seen[j] = 1
                    acc[j] += v * b_data[kk]  # 0.0 + the first product, as from a fresh sum
            for t in range(n_touched):
                j = touched[t]
                seen[j] = 0
                v = acc[j]
                acc[j] = 0.0  # fresh for the next row
                if v != 0.0 and v >= floor:  # a sum of exactly 0 is no entry (as in scipy)
                    if m == cap:
                        cap *= 2
                        grown = realloc(out_r, cap * sizeof(int64_t))
                        if grown == NULL:
                            raise MemoryError()
                        out_r = <int64_t*>grown
                        grown = realloc(out_c, cap * sizeof(int64_t))
                        if grown == NULL:
                            raise MemoryError()
                        out_c = <int64_t*>grown
                        grown = realloc(out_v, cap * sizeof(double))
                        if grown == NULL:
                            raise MemoryError()
                        out_v = <double*>grown
                    out_r[m] = i
                    out_c[m] = j
                    out_v[m] = v
                    m += 1
        out_rows = np.empty(m, np.int64)
        out_cols = np.empty(m, np.int64)
        out_vals = np.empty(m, np.float64)
        _copy_out(out_rows, out_cols, out_vals, out_r, out_c, out_v, m)
        return out_rows, out_cols, out_vals
    finally:
        free(b_start)
        free(b_end)
        free(b_terms)
        free(b_cols)
        free(b_data)
        free(acc)
        free(seen)
        free(touched)
        free(out_r)
        free(out_c)
        free(out_v)


def pair_products(
    const int64_t[::1] indptr,
    const int64_t[::1] indices,
    const double[::1] data,
    const int64_t[::1] a,
    const int64_t[::1] b,
):
    """Row by row, the element-wise product of rows ``a[p]`` and ``b[p]`` of ``X`` (CSR, each row's
    terms strictly increasing), as scipy's ``csr_binop_csr_canonical`` makes ``X[a].multiply(X[b])``:
    the products of the terms in both rows, in term order, a product of exactly 0 left out (``x * 0``
    of a term in one row only is kept if it is not 0: a NaN).  Returns the products and each row's
    bounds (``len(a) + 1``)."""
    cdef Py_ssize_t n = a.shape[0], p, i, j, i_end, j_end, cap = 0, m = 0, n_rows = indptr.shape[0] - 1
    cdef double x
    if b.shape[0] != n:
        raise ValueError("one b row for each a row")
    for p in range(n):
        if a[p] < 0 or a[p] >= n_rows or b[p] < 0 or b[p] >= n_rows:
            raise IndexError("a pair's row is not a row of the matrix")
        cap += (indptr[a[p] + 1] - indptr[a[p]]) + (indptr[b[p] + 1] - indptr[b[p]])
    products = np.empty(cap, np.float64)
    bounds = np.empty(n + 1, np.int64)
    cdef double[::1] out = products
    cdef int64_t[::1] o_b = bounds
    o_b[0] = 0
    for p in range(n):
        i, i_end = indptr[a[p]], indptr[a[p] + 1]
        j, j_end = indptr[b[p]], indptr[b[p] + 1]
        while i < i_end and j < j_end:
            if indices[i] == indices[j]:
                x = data[i] * data[j]
                i += 1
                j += 1
            elif indices[i] < indices[j]:
                x = data[i] * 0.0
                i += 1
            else:
                x = 0.0 * data[j]
                j += 1
            if x != 0.0:
                out[m] = x
                m += 1
        while i < i_end:
            x = data[i] * 0.0
            i += 1
            if x != 0.0:
                out[m] = x
                m += 1
        while j < j_end:
            x = 0.0 * data[j]
            j += 1
            if x != 0.0:
                out[m] = x
                m += 1
        o_b[p + 1] = m
    return products[:m], bounds


cdef void _copy_out(int64_t[::1] rows, int64_t[::1] cols, double[::1] vals, const int64_t* r, const int64_t* c,
                    const double* v, Py_ssize_t m) noexcept:
    cdef Py_ssize_t t
    for t in range(m):
        rows[t] = r[t]
        cols[t] = c[t]
        vals[t] = v[t]
