# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The compiled core of :mod:`khabar.align_many`: align a batch of candidate unit pairs in C.

Exactly :mod:`khabar.align`'s steps (that module is the reference; tests compare the two): seed
3-grams (``fingerprint.grams``), seeds valid when their n-gram occurs at most ``max_repeat`` times in
its unit, runs on one diagonal, chains across gaps, extension, merging, and the filters.
"""

from libc.math cimport round as c_round
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport free, malloc, qsort, realloc
from libc.string cimport memcmp, memset

from khabar._hash cimport fold

import threading

import numpy as np



ctypedef struct Run:
    int64_t a0
    int64_t a1
    int64_t b0
    int64_t b1


ctypedef struct Chain:
    int64_t a0
    int64_t a1
    int64_t b0
    int64_t b1
    int64_t m




cdef int cmp_i64(const void* x, const void* y) noexcept nogil:
    cdef int64_t a = (<const int64_t*>x)[0]
    cdef int64_t b = (<const int64_t*>y)[0]
    return (a > b) - (a < b)


cdef inline int cmp3(int64_t a, int64_t b) noexcept nogil:
    return (a > b) - (a < b)


cdef int cmp_run(const void* x, const void* y) noexcept nogil:
    cdef const Run* a = <const Run*>x
    cdef const Run* b = <const Run*>y
    cdef int c = cmp3(a.a0, b.a0)
    if c == 0:
        c = cmp3(a.a1, b.a1)
    if c == 0:
        c = cmp3(a.b0, b.b0)
    if c == 0:
        c = cmp3(a.b1, b.b1)
    return c


cdef int cmp_chain(const void* x, const void* y) noexcept nogil:
    # a Chain starts with a Run's four fields
    cdef int c = cmp_run(x, y)
    if c == 0:
        c = cmp3((<const Chain*>x).m, (<const Chain*>y).m)
    return c


cdef inline int64_t imax(int64_t a, int64_t b) noexcept nogil:
    return a if a > b else b


cdef inline int64_t imin(int64_t a, int64_t b) noexcept nogil:
    return a if a < b else b


cdef inline int64_t iabs(int64_t a) noexcept nogil:
    return a if a >= 0 else -a


cdef struct Slot:  # one cache line holds four: a probe of a table far larger than the cache misses once
    uint64_t key  # an n-gram
    int32_t first  # its first position in the unit
    int32_t count  # positions holding it; 0: an empty slot


cdef struct Tables:
    int64_t* goff  # unit u's n-grams are [goff[u], goff[u + 1])
    uint64_t* g  # the n-gram at each word
    uint8_t* valid  # whether it is a seed (at most max_repeat times in its unit)
    int64_t* nxt  # next position (ascending) of the same n-gram in the unit, or -1
    int64_t* toff  # unit u's hash table is [toff[u], toff[u + 1])
    Slot* slots


cdef struct Buf:
    void* p
    size_t cap


DEF N_BUFS = 13  # the tables' six arrays and the scratch's seven


cdef struct Bufs:
    Buf b[N_BUFS]


cdef Bufs _kept  # reused from call to call: a task's tables are tens of megabytes, and memory freed
_kept_lock = threading.Lock()  # and allocated again is faulted in and zeroed again, page by page
DEF KEEP_BYTES = 256 << 20  # kept between calls up to this many bytes


cdef void* room(Bufs* bs, int k, size_t n) noexcept nogil:
    """Buffer ``k`` of ``bs``, at least ``n`` bytes (its contents not kept when it grows); NULL if
    memory runs out."""
    cdef Buf* b = &bs.b[k]
    if n == 0:
        n = 1
    if n > b.cap:
        free(b.p)
        b.cap = n if n > b.cap + b.cap // 2 else b.cap + b.cap // 2
        b.p = malloc(b.cap)
        if b.p == NULL:
            b.cap = 0
    return b.p


cdef size_t held(const Bufs* bs) noexcept nogil:
    cdef size_t total = 0
    cdef int k
    for k in range(N_BUFS):
        total += bs.b[k].cap
    return total


cdef void release(Bufs* bs) noexcept nogil:
    cdef int k
    for k in range(N_BUFS):
        free(bs.b[k].p)
        bs.b[k].p = NULL
        bs.b[k].cap = 0


cdef inline int64_t find(const Tables* t, int64_t u, uint64_t x) noexcept nogil:
    """The slot of n-gram ``x`` in unit u's table, or -1."""
    cdef int64_t t0 = t.toff[u]
    cdef int64_t size = t.toff[u + 1] - t0
    if size == 0:
        return -1
    cdef uint64_t mask = <uint64_t>(size - 1)
    cdef int64_t s = t0 + <int64_t>(x & mask)
    while t.slots[s].count:
        if t.slots[s].key == x:
            return s
        s = t0 + <int64_t>((<uint64_t>(s - t0) + 1) & mask)
    return -1


cdef int build_tables(
    const uint64_t* h, const int64_t* off, int64_t n_units, int64_t seed, int64_t max_repeat, Tables* t, Bufs* bs
) noexcept nogil:
    cdef int64_t u, p, k, m, size, base, g0, t0, s, total_g, total_t
    cdef uint64_t acc, x, mask
    t.goff = <int64_t*>room(bs, 0, (n_units + 1) * sizeof(int64_t))
    t.toff = <int64_t*>room(bs, 1, (n_units + 1) * sizeof(int64_t))
    if t.goff == NULL or t.toff == NULL:
        return -1
    t.goff[0] = 0
    t.toff[0] = 0
    for u in range(n_units):
        m = imax(0, off[u + 1] - off[u] - seed + 1)
        t.goff[u + 1] = t.goff[u] + m
        size = 0
        if m > 0:
            size = 1
            while size < 2 * m:
                size *= 2
        t.toff[u + 1] = t.toff[u] + size
    total_g = t.goff[n_units]
    total_t = t.toff[n_units]
    t.g = <uint64_t*>room(bs, 2, imax(1, total_g) * sizeof(uint64_t))
    t.valid = <uint8_t*>room(bs, 3, imax(1, total_g))
    t.nxt = <int64_t*>room(bs, 4, imax(1, total_g) * sizeof(int64_t))
    t.slots = <Slot*>room(bs, 5, imax(1, total_t) * sizeof(Slot))
    if t.g == NULL or t.valid == NULL or t.nxt == NULL or t.slots == NULL:
        return -1
    for u in range(n_units):
        base = off[u]
        g0 = t.goff[u]
        m = t.goff[u + 1] - g0
        if m <= 0:
            continue
        for p in range(m):
            acc = h[base + p]
            for k in range(1, seed):
                acc = fold(acc, h[base + p + k])
            t.g[g0 + p] = acc
        t0 = t.toff[u]
        mask = <uint64_t>(t.toff[u + 1] - t0 - 1)
        memset(t.slots + t0, 0, (t.toff[u + 1] - t0) * sizeof(Slot))  # all empty, and in the cache for the inserts
        for p in range(m - 1, -1, -1):  # backwards, so each chain of positions is ascending
            x = t.g[g0 + p]
            s = t0 + <int64_t>(x & mask)
            while t.slots[s].count and t.slots[s].key != x:
                s = t0 + <int64_t>((<uint64_t>(s - t0) + 1) & mask)
            if not t.slots[s].count:
                t.slots[s].key = x
                t.nxt[g0 + p] = -1
            else:
                t.nxt[g0 + p] = t.slots[s].first
            t.slots[s].first = <int32_t>p
            t.slots[s].count += 1
        for p in range(m):
            t.valid[g0 + p] = t.slots[find(t, u, t.g[g0 + p])].count <= max_repeat
    return 0


cdef struct Scratch:
    int64_t* sd
    int64_t* si
    int64_t* key
    Run* runs
    Chain* chains
    Chain* merged
    int64_t* active


cdef struct Params:
    int64_t seed
    int64_t gap
    int64_t min_words
    double min_density
    int64_t max_repeat
    int64_t long_words
    bint has_df
    int64_t df_n
    const uint64_t* dfh  # the corpus's n-grams in more than rare_df units, sorted ...
    const int64_t* dfc  # ... and in how many
    int64_t ndf
    int64_t rare_df


cdef inline bint is_rare(uint64_t x, const uint64_t* dfh, const int64_t* dfc, int64_t ndf, int64_t rare_df) noexcept nogil:
    """The n-gram's document frequency is at most rare_df (``dfh``: sorted hashes of the common ones)."""
    cdef int64_t lo = 0, hi = ndf, mid
    while lo < hi:
        mid = (lo + hi) // 2
        if dfh[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo == ndf or dfh[lo] != x or dfc[lo] <= rare_df


cdef bint stock(const uint64_t* n5, const int64_t* n5off, const Params* p, int64_t a, int64_t b,
                int64_t c0, int64_t c1, int64_t c2, int64_t c3) noexcept nogil:
    """align._stock: the n-grams wholly inside the passage, rare in the corpus and shared by both
    sides cover fewer than ``min_words`` of its words."""
    cdef int64_t n = p.df_n
    cdef int64_t wa0 = n5off[a] + c0, wa1 = n5off[a] + imax(c0, c1 - n + 1)
    cdef int64_t wb0 = n5off[b] + c2, wb1 = n5off[b] + imax(c2, c3 - n + 1)
    cdef int64_t q, r, covered = 0, end = 0
    cdef bint shared
    for q in range(wa0, wa1):
        if not is_rare(n5[q], p.dfh, p.dfc, p.ndf, p.rare_df):
            continue
        shared = False
        for r in range(wb0, wb1):
            if n5[r] == n5[q]:
                shared = True
                break
        if shared:
            covered += q + n - imax(q, end)
            end = q + n
    return covered < p.min_words


cdef struct Rows:
    int64_t* data
    int64_t n
    int64_t cap


cdef int push(Rows* rows, int64_t k, int64_t x0, int64_t x1, int64_t y0, int64_t y1, int64_t m) noexcept nogil:
    cdef int64_t* grown
    if rows.n == rows.cap:
        grown = <int64_t*>realloc(rows.data, 2 * rows.cap * 6 * sizeof(int64_t))
        if grown == NULL:
            return -1
        rows.data = grown
        rows.cap *= 2
    cdef int64_t* r = rows.data + 6 * rows.n
    r[0] = k
    r[1] = x0
    r[2] = x1
    r[3] = y0
    r[4] = y1
    r[5] = m
    rows.n += 1
    return 0


cdef inline int64_t py_round(double x) noexcept nogil:
    """Python's round() of a non-negative float: half to even."""
    cdef double r = c_round(x)  # half away from zero
    if r - x == 0.5 and (<int64_t>r) % 2 != 0:
        r -= 1.0
    return <int64_t>r


cdef inline bint first_is_a(const uint64_t* h, const int64_t* off, int64_t x, int64_t y) noexcept nogil:
    """``(len(x), x.tobytes()) <= (len(y), y.tobytes())``: the canonical order of align_indexed."""
    cdef int64_t lx = off[x + 1] - off[x], ly = off[y + 1] - off[y]
    if lx != ly:
        return lx < ly
    if lx == 0:
        return True
    return memcmp(h + off[x], h + off[y], lx * 8) <= 0


cdef void copy_rows(int64_t[::1] dst, const int64_t* src, int64_t n) noexcept:
    cdef int64_t k
    for k in range(n):
        dst[k] = src[k]


cdef int align_pair(const uint64_t* h, const int64_t* off, const Tables* t, const uint64_t* n5, const int64_t* n5off, int64_t a, int64_t b, const Params* p, Scratch* sc, Rows* rows,
                    int64_t k, bint flip) noexcept nogil:
    """align._align of units a and b; their passages are pushed to ``rows`` (b's side first if flip)."""
    cdef int64_t ns = 0, q, s, j, x, y, pu, tu, gp0, gt0
    cdef int64_t dmin, imx, width, nr, first, prev, nc, na, w, v, c, best, best_cost, cost, ga, gb, nm, o
    cdef int64_t x0, x1, y0, y1, m, outside, span, la, lb, ha0, hb0
    cdef Run r
    cdef Chain ch
    cdef bint merged
    # seeds, as (diagonal, i): the positions of every n-gram valid in both units (at most max_repeat
    # times in each), found by looking the valid n-grams of one unit up in the other's table — the
    # table of the pair's first candidate unit (xs[k]: b if flip), which the pairs before this one
    # most likely read too, so it is in the cache; the set of seeds is the same either way
    pu, tu = (a, b) if flip else (b, a)  # the unit whose n-grams are looked up, and the one whose table
    gp0, gt0 = t.goff[pu], t.goff[tu]
    for x in range(t.goff[pu + 1] - gp0):
        if not t.valid[gp0 + x]:
            continue
        s = find(t, tu, t.g[gp0 + x])
        if s < 0 or t.slots[s].count > p.max_repeat:
            continue
        y = t.slots[s].first
        while y >= 0:
            q, j = (x, y) if flip else (y, x)
            sc.sd[ns] = j - q
            sc.si[ns] = q
            ns += 1
            y = t.nxt[gt0 + y]
    if ns < 2:  # one seed n-gram is fewer words than a passage
        return 0
    # runs: seeds touching on one diagonal (sorted by diagonal, then position)
    dmin = sc.sd[0]
    imx = sc.si[0]
    for q in range(ns):
        dmin = imin(dmin, sc.sd[q])
        imx = imax(imx, sc.si[q])
    width = imx + 2
    for q in range(ns):
        sc.key[q] = (sc.sd[q] - dmin) * width + sc.si[q]
    qsort(sc.key, ns, sizeof(int64_t), cmp_i64)
    nr = 0
    first = sc.key[0]
    prev = sc.key[0]
    for q in range(1, ns + 1):
        if q < ns and sc.key[q] == prev + 1:
            prev = sc.key[q]
            continue
        # decode: i = key % width, diagonal = key // width + dmin
        r.a0 = first % width
        r.a1 = prev % width + p.seed
        r.b0 = r.a0 + first // width + dmin
        r.b1 = r.a1 + first // width + dmin
        sc.runs[nr] = r
        nr += 1
        if q < ns:
            first = sc.key[q]
            prev = sc.key[q]
    qsort(sc.runs, nr, sizeof(Run), cmp_run)
    # chains: runs joined left to right across gaps
    nc = 0
    na = 0
    for q in range(nr):
        r = sc.runs[q]
        w = 0
        for v in range(na):
            if r.a0 - sc.chains[sc.active[v]].a1 <= p.gap:
                sc.active[w] = sc.active[v]
                w += 1
        na = w
        best = -1
        best_cost = 0
        for v in range(na):
            c = sc.active[v]
            ga = r.a0 - sc.chains[c].a1
            gb = r.b0 - sc.chains[c].b1
            if not (-p.gap < ga <= p.gap and -p.gap < gb <= p.gap and r.a1 > sc.chains[c].a1 and r.b1 > sc.chains[c].b1):
                continue
            if r.a0 < sc.chains[c].a0 or r.b0 < sc.chains[c].b0:
                continue
            cost = iabs(ga - gb) + imax(imax(ga, gb), 0)
            if best < 0 or cost < best_cost:
                best = c
                best_cost = cost
        if best < 0:
            sc.chains[nc].a0 = r.a0
            sc.chains[nc].a1 = r.a1
            sc.chains[nc].b0 = r.b0
            sc.chains[nc].b1 = r.b1
            sc.chains[nc].m = r.a1 - r.a0
            sc.active[na] = nc
            na += 1
            nc += 1
        else:
            sc.chains[best].m += r.a1 - imax(r.a0, sc.chains[best].a1)
            sc.chains[best].a1 = imax(sc.chains[best].a1, r.a1)
            sc.chains[best].b1 = imax(sc.chains[best].b1, r.b1)
    # extend each chain to the first unequal word on both ends
    ha0 = off[a]
    hb0 = off[b]
    la = off[a + 1] - ha0
    lb = off[b + 1] - hb0
    for c in range(nc):
        while sc.chains[c].a0 > 0 and sc.chains[c].b0 > 0 and h[ha0 + sc.chains[c].a0 - 1] == h[hb0 + sc.chains[c].b0 - 1]:
            sc.chains[c].a0 -= 1
            sc.chains[c].b0 -= 1
            sc.chains[c].m += 1
        while sc.chains[c].a1 < la and sc.chains[c].b1 < lb and h[ha0 + sc.chains[c].a1] == h[hb0 + sc.chains[c].b1]:
            sc.chains[c].a1 += 1
            sc.chains[c].b1 += 1
            sc.chains[c].m += 1
    # merge chains overlapping on both sides
    qsort(sc.chains, nc, sizeof(Chain), cmp_chain)
    nm = 0
    na = 0
    for q in range(nc):
        ch = sc.chains[q]
        w = 0
        for v in range(na):
            if sc.merged[sc.active[v]].a1 > ch.a0:
                sc.active[w] = sc.active[v]
                w += 1
        na = w
        merged = False
        for v in range(na):
            o = sc.active[v]
            if ch.a0 < sc.merged[o].a1 and sc.merged[o].a0 < ch.a1 and ch.b0 < sc.merged[o].b1 and sc.merged[o].b0 < ch.b1:
                # only ch's matched words outside o's span are new, in proportion (round half to even, as Python)
                outside = imax(0, ch.a1 - sc.merged[o].a1) + imax(0, sc.merged[o].a0 - ch.a0)
                sc.merged[o].m += py_round(<double>(ch.m * outside) / <double>imax(1, ch.a1 - ch.a0))
                sc.merged[o].a1 = imax(sc.merged[o].a1, ch.a1)
                sc.merged[o].b1 = imax(sc.merged[o].b1, ch.b1)
                sc.merged[o].a0 = imin(sc.merged[o].a0, ch.a0)
                sc.merged[o].b0 = imin(sc.merged[o].b0, ch.b0)
                merged = True
                break
        if not merged:
            sc.merged[nm] = ch
            sc.active[na] = nm
            na += 1
            nm += 1
    for o in range(nm):
        ch = sc.merged[o]
        span = imax(ch.a1 - ch.a0, ch.b1 - ch.b0)
        # matched words are counted along one side; never more than the shorter side holds
        ch.m = imin(ch.m, imin(ch.a1 - ch.a0, ch.b1 - ch.b0))
        if ch.m < p.min_words or <double>ch.m / <double>span < p.min_density:
            continue
        if p.has_df and ch.m < p.long_words and stock(n5, n5off, p, a, b, ch.a0, ch.a1, ch.b0, ch.b1):
            continue
        if flip:
            if push(rows, k, ch.b0, ch.b1, ch.a0, ch.a1, ch.m) < 0:
                return -1
        elif push(rows, k, ch.a0, ch.a1, ch.b0, ch.b1, ch.m) < 0:
            return -1
    return 0


def align_all(
    const uint64_t[::1] h,
    const int64_t[::1] off,
    const uint64_t[::1] n5,
    const int64_t[::1] n5off,
    bint has_df,
    int64_t df_n,
    const uint64_t[::1] df_hashes,
    const int64_t[::1] df_counts,
    int64_t rare_df,
    const int64_t[::1] xs,
    const int64_t[::1] ys,
    int64_t seed,
    int64_t gap,
    int64_t min_words,
    double min_density,
    int64_t max_repeat,
    int64_t long_words,
):
    """Passages of every pair ``(xs[k], ys[k])`` of units (``h[off[u]:off[u + 1]]`` are unit u's
    word hashes) as int64 rows ``(k, x0, x1, y0, y1, matched)``, x's side first.

    With ``has_df``, ``n5[n5off[u]:n5off[u + 1]]`` are unit u's ``df_n``-grams and ``df_hashes`` /
    ``df_counts`` the corpus's n-grams held by more than ``rare_df`` units (sorted) and how many."""
    cdef int64_t n_units = off.shape[0] - 1, npairs = xs.shape[0], u, k, x, y, longest = 1, cap
    cdef Tables t
    cdef Scratch sc
    cdef Params p
    cdef Rows rows
    cdef int err = 0
    cdef bint flip
    cdef const uint64_t* hp = &h[0] if h.shape[0] else NULL
    cdef const uint64_t* n5p = &n5[0] if n5.shape[0] else NULL
    for u in range(n_units):
        longest = imax(longest, off[u + 1] - off[u])
    if longest > 0x7FFFFFFF:
        raise ValueError("a unit of more than 2**31 words")  # the tables hold positions as int32
    cap = longest * max_repeat + 1  # seeds of one pair: each valid n-gram of one unit is in the other at most max_repeat times
    p.seed, p.gap, p.min_words, p.min_density = seed, gap, min_words, min_density
    p.max_repeat, p.long_words, p.has_df, p.df_n = max_repeat, long_words, has_df, df_n
    p.dfh = &df_hashes[0] if df_hashes.shape[0] else NULL
    p.dfc = &df_counts[0] if df_counts.shape[0] else NULL
    p.ndf, p.rare_df = df_hashes.shape[0], rare_df
    memset(&t, 0, sizeof(Tables))
    cdef Bufs mine  # this call's own buffers when another thread holds the kept ones
    memset(&mine, 0, sizeof(Bufs))
    cdef bint kept = _kept_lock.acquire(False)
    cdef Bufs* bs = &_kept if kept else &mine
    sc.sd = <int64_t*>room(bs, 6, cap * sizeof(int64_t))
    sc.si = <int64_t*>room(bs, 7, cap * sizeof(int64_t))
    sc.key = <int64_t*>room(bs, 8, cap * sizeof(int64_t))
    sc.runs = <Run*>room(bs, 9, cap * sizeof(Run))
    sc.chains = <Chain*>room(bs, 10, cap * sizeof(Chain))
    sc.merged = <Chain*>room(bs, 11, cap * sizeof(Chain))
    sc.active = <int64_t*>room(bs, 12, cap * sizeof(int64_t))
    rows.cap = 64
    rows.n = 0
    rows.data = <int64_t*>malloc(rows.cap * 6 * sizeof(int64_t))
    try:
        if (sc.sd == NULL or sc.si == NULL or sc.key == NULL or sc.runs == NULL or sc.chains == NULL
                or sc.merged == NULL or sc.active == NULL or rows.data == NULL):
            raise MemoryError()
        with nogil:
            err = build_tables(hp, &off[0], n_units, seed, max_repeat, &t, bs)
            if err == 0:
                for k in range(npairs):
                    x = xs[k]
                    y = ys[k]
                    flip = not first_is_a(hp, &off[0], x, y)
                    if flip:
                        x, y = y, x
                    err = align_pair(hp, &off[0], &t, n5p, &n5off[0], x, y, &p, &sc, &rows, k, flip)
                    if err:
                        break
        if err:
            raise MemoryError()
        out = np.empty((rows.n, 6), np.int64)
        ov = out.reshape(-1)
        copy_rows(ov, rows.data, rows.n * 6)
        return out
    finally:
        free(rows.data)
        if not kept or held(bs) > KEEP_BYTES:
            release(bs)
        if kept:
            _kept_lock.release()


def kept_bytes() -> int:
    """The bytes of buffers this process keeps for the next call (for tests)."""
    return held(&_kept)


def round_half_even(double x) -> int:
    """The kernel's rounding of a non-negative float (for tests: it must be Python's ``round``)."""
    return py_round(x)
