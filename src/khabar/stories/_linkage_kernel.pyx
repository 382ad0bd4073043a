# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False
"""The compiled core of :func:`khabar.stories.cluster.average_linkage_arrays` (C++).

The same agglomeration as the Python reference kept in ``cluster.py`` (tests compare them): the two
clusters with the highest average link weight merge while that average reaches ``join``; a heap
entry is ``(-average, lo, hi)``, so ties go to the lowest item numbers; a merge folds the smaller
neighbourhood into the larger.  Every sum is one float addition per merge, in the same order as
the reference, so the clusters are the same bit for bit.
"""

from libc.stdint cimport int64_t

import numpy as np

cdef extern from * nogil:
    """
    #include <algorithm>
    #include <functional>
    #include <numeric>
    #include <queue>
    #include <tuple>
    #include <vector>

    // An open-addressing map int64 -> double (keys >= 0; linear probing, backward-shift deletion):
    // a cluster's neighbours and the sums of the links to them.
    struct KhabarLinks {
        std::vector<int64_t> keys;  // -1: empty slot
        std::vector<double> vals;
        size_t count = 0;
        static size_t slot_of(int64_t k, size_t mask) {
            uint64_t x = (uint64_t)k * 0x9E3779B97F4A7C15ULL;
            return (size_t)(x >> 17) & mask;
        }
        void reserve(size_t n) {
            size_t cap = 8;
            while (cap < 2 * n) cap *= 2;
            if (cap > keys.size()) rehash(cap);
        }
        void rehash(size_t cap) {
            std::vector<int64_t> ok(cap, -1);
            std::vector<double> ov(cap, 0.0);
            ok.swap(keys);
            ov.swap(vals);
            size_t mask = cap - 1;
            for (size_t i = 0; i < ok.size(); ++i)
                if (ok[i] >= 0) {
                    size_t j = slot_of(ok[i], mask);
                    while (keys[j] >= 0) j = (j + 1) & mask;
                    keys[j] = ok[i];
                    vals[j] = ov[i];
                }
        }
        double* find(int64_t k) {
            if (keys.empty()) return nullptr;
            size_t mask = keys.size() - 1, j = slot_of(k, mask);
            while (keys[j] >= 0) {
                if (keys[j] == k) return &vals[j];
                j = (j + 1) & mask;
            }
            return nullptr;
        }
        double& at(int64_t k) {  // the value of k, inserted as 0.0 if absent
            if (2 * (count + 1) > keys.size()) rehash(keys.empty() ? 8 : 2 * keys.size());
            size_t mask = keys.size() - 1, j = slot_of(k, mask);
            while (keys[j] >= 0) {
                if (keys[j] == k) return vals[j];
                j = (j + 1) & mask;
            }
            keys[j] = k;
            vals[j] = 0.0;
            ++count;
            return vals[j];
        }
        void erase(int64_t k) {
            if (keys.empty()) return;
            size_t mask = keys.size() - 1, j = slot_of(k, mask);
            while (keys[j] != k) {
                if (keys[j] < 0) return;
                j = (j + 1) & mask;
            }
            size_t hole = j;
            for (size_t i = (hole + 1) & mask; keys[i] >= 0; i = (i + 1) & mask) {
                size_t home = slot_of(keys[i], mask);
                // move keys[i] into the hole unless its home lies cyclically in (hole, i]
                bool stays = hole < i ? (home > hole && home <= i) : (home > hole || home <= i);
                if (!stays) {
                    keys[hole] = keys[i];
                    vals[hole] = vals[i];
                    hole = i;
                }
            }
            keys[hole] = -1;
            --count;
        }
        size_t size() const { return count; }
        void release() {
            std::vector<int64_t>().swap(keys);
            std::vector<double>().swap(vals);
            count = 0;
        }
    };

    static void khabar_average_linkage(int64_t n, const int64_t* lo, const int64_t* hi, const double* w,
                                       int64_t m, double join, int64_t* roots) {
        typedef std::tuple<double, int64_t, int64_t> Entry;
        std::vector<KhabarLinks> sums(n);
        {
            std::vector<int64_t> degree(n, 0);
            for (int64_t k = 0; k < m; ++k) {
                ++degree[lo[k]];
                ++degree[hi[k]];
            }
            for (int64_t i = 0; i < n; ++i)
                if (degree[i]) sums[i].reserve(degree[i]);  // no rehashing while the links go in
        }
        for (int64_t k = 0; k < m; ++k) {
            sums[lo[k]].at(hi[k]) = 0.0 + w[k];
            sums[hi[k]].at(lo[k]) = 0.0 + w[k];
        }
        std::vector<int64_t> size(n, 1), parent(n);
        std::iota(parent.begin(), parent.end(), 0);
        std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
        for (int64_t k = 0; k < m; ++k)
            if (w[k] >= join) heap.push(Entry(-w[k], lo[k], hi[k]));
        while (!heap.empty()) {
            Entry e = heap.top();
            heap.pop();
            double neg = std::get<0>(e);
            int64_t a = std::get<1>(e), b = std::get<2>(e);
            if (parent[a] != a || parent[b] != b) continue;
            double* found = sums[a].find(b);
            double v = found ? *found : 0.0;
            if (v / (double)(size[a] * size[b]) != -neg) continue;  // stale entry
            if (std::make_pair((int64_t)sums[a].size(), -a) < std::make_pair((int64_t)sums[b].size(), -b))
                std::swap(a, b);  // fold the smaller neighbourhood into the larger
            parent[b] = a;
            KhabarLinks& nb = sums[b];
            for (size_t s = 0; s < nb.keys.size(); ++s) {
                int64_t c = nb.keys[s];
                if (c < 0 || c == a) continue;
                double cw = nb.vals[s];
                sums[a].at(c) += cw;
                sums[c].at(a) += cw;
                sums[c].erase(b);
            }
            sums[a].erase(b);
            nb.release();
            size[a] += size[b];
            KhabarLinks& na = sums[a];
            for (size_t s = 0; s < na.keys.size(); ++s) {
                int64_t c = na.keys[s];
                if (c < 0) continue;
                double avg = na.vals[s] / (double)(size[a] * size[c]);
                if (avg >= join) heap.push(Entry(-avg, std::min(a, c), std::max(a, c)));
            }
        }
        for (int64_t i = 0; i < n; ++i) {
            int64_t r = i;
            while (parent[r] != r) r = parent[r];
            roots[i] = r;
        }
    }
    """
    void khabar_average_linkage(int64_t n, const int64_t* lo, const int64_t* hi, const double* w,
                                int64_t m, double join, int64_t* roots)


def average_linkage(int64_t n, const int64_t[::1] lo, const int64_t[::1] hi, const double[::1] weight, double join):
    """Each of ``n`` items' cluster representative (links: distinct pairs ``lo[k] < hi[k]``)."""
    roots = np.empty(n, np.int64)
    cdef int64_t[::1] r = roots
    cdef int64_t m = lo.shape[0]
    if n == 0:
        return roots
    with nogil:
        khabar_average_linkage(n, &lo[0] if m else NULL, &hi[0] if m else NULL, &weight[0] if m else NULL,
                               m, join, &r[0])
    return roots
