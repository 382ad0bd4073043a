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
    #include <unordered_map>
    #include <vector>

    static void khabar_average_linkage(int64_t n, const int64_t* lo, const int64_t* hi, const double* w,
                                       int64_t m, double join, int64_t* roots) {
        typedef std::tuple<double, int64_t, int64_t> Entry;
        std::vector<std::unordered_map<int64_t, double>> sums(n);
        for (int64_t k = 0; k < m; ++k) {
            sums[lo[k]][hi[k]] = 0.0 + w[k];
            sums[hi[k]][lo[k]] = 0.0 + w[k];
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
            auto it = sums[a].find(b);
            double v = it == sums[a].end() ? 0.0 : it->second;
            if (v / (double)(size[a] * size[b]) != -neg) continue;  // stale entry
            if (std::make_pair((int64_t)sums[a].size(), -a) < std::make_pair((int64_t)sums[b].size(), -b))
                std::swap(a, b);  // fold the smaller neighbourhood into the larger
            parent[b] = a;
            for (auto& cw : sums[b]) {
                int64_t c = cw.first;
                if (c == a) continue;
                sums[a][c] += cw.second;
                sums[c][a] += cw.second;
                sums[c].erase(b);
            }
            sums[a].erase(b);
            std::unordered_map<int64_t, double>().swap(sums[b]);
            size[a] += size[b];
            for (auto& cw : sums[a]) {
                int64_t c = cw.first;
                double avg = cw.second / (double)(size[a] * size[c]);
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
