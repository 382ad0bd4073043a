# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The compiled core of :func:`khabar.clean.segment.classify_lines`: each line's own rules, the context
rules (sandwiches, the page's tail), appended articles, and the merge into segments, over arrays of
line kinds instead of one Python call per line and rule.

The decisions are those of the Python functions kept as the reference (``boilerplate.classify_line``,
``boilerplate.apply_context``, ``appended.mark_appended``, ``segment.to_segments``; tests compare
them): the regular expressions are still Python's (called only on the lines a cheap test admits), and
every threshold comes from those modules.
"""

from libc.stdlib cimport free, malloc

cdef extern from "Python.h":
    int PyUnicode_KIND(object o)
    void* PyUnicode_DATA(object o)
    Py_UCS4 PyUnicode_READ(int kind, const void* data, Py_ssize_t index) noexcept nogil
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch)
    bint Py_UNICODE_ISALNUM(Py_UCS4 ch)
    bint Py_UNICODE_ISDIGIT(Py_UCS4 ch)

DEF BODY = 0
DEF BOILERPLATE = 1
DEF APPENDED = 2

DEF R_OTHER = 0
DEF R_CREDIT = 1
DEF R_MARKER = 2
DEF R_LIST = 3  # an item of a list a line of prose introduces (boilerplate.mark_lists)

_KIND_NAMES = ("body", "boilerplate", "appended")


cdef inline bint _among(Py_UCS4 ch, const Py_UCS4* chars, int n) noexcept:
    cdef int k
    for k in range(n):
        if chars[k] == ch:
            return True
    return False


cdef inline Py_ssize_t _rstrip(int kind, const void* data, Py_ssize_t e) noexcept:
    """The end of ``data[:e]`` without its trailing white space (as ``str.rstrip()``)."""
    while e > 0 and Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, e - 1)):
        e -= 1
    return e


cdef inline bint _in_str(Py_UCS4 ch, str chars) noexcept:
    """Whether ``ch`` is one of the (few) characters of ``chars``."""
    cdef Py_ssize_t i, n = len(chars)
    cdef int kind = PyUnicode_KIND(chars)
    cdef const void* data = PyUnicode_DATA(chars)
    for i in range(n):
        if PyUnicode_READ(kind, data, i) == ch:
            return True
    return False


cdef class Classifier:
    """The rules, thresholds and patterns of :mod:`khabar.clean.boilerplate` and
    :mod:`khabar.clean.appended`, bound once (``segment._classifier`` builds it from those modules)."""

    cdef object by_length  # Lexicon.by_length
    cdef object trigger_mask  # Lexicon.trigger_bits.mask
    cdef object credit_match
    cdef object template_key
    cdef object url_match
    cdef object menu_like
    cdef object inline_link  # appended.inline_link
    cdef object continues_host  # appended.continues_host
    cdef object lead_key  # teasers.lead_key
    cdef int teaser_words
    cdef frozenset date_words
    cdef int lexicon_max, substantial, short, sandwich, ticker, headline_max
    cdef Py_UCS4 stops[16]  # a headline-length line ending in one of these is prose
    cdef Py_UCS4 quote  # ... or ending in this after one of them
    cdef Py_UCS4 list_intro  # a line of prose ending in this introduces a list
    cdef Py_UCS4 full_stop  # a short line ending in one (not two) is a sentence
    cdef Py_UCS4 seps[16]  # menu separator characters
    cdef int n_stops, n_seps

    def __init__(
        self, lexicon, template_key, url_match, menu_like, date_words, str menu_seps, str headline_stops,
        int lexicon_max, int substantial, int short, int sandwich, int ticker, int headline_max, inline_link,
        continues_host, str quote, lead_key, int teaser_words, str list_intro, str full_stop,
    ):
        self.by_length = lexicon.by_length
        self.trigger_mask = lexicon.trigger_bits.mask
        self.credit_match = lexicon.credit.match
        self.template_key = template_key
        self.url_match = url_match
        self.menu_like = menu_like
        self.inline_link = inline_link
        self.continues_host = continues_host
        if len(quote) != 1:
            raise ValueError("one quotation mark")
        self.quote = ord(quote)
        if len(list_intro) != 1:
            raise ValueError("one character introduces a list")
        self.list_intro = ord(list_intro)
        if len(full_stop) != 1:
            raise ValueError("one full stop")
        self.full_stop = ord(full_stop)
        self.lead_key = lead_key
        self.teaser_words = teaser_words
        self.date_words = frozenset(date_words)
        if len(menu_seps) > 16 or len(headline_stops) > 16:
            raise ValueError("at most 16 separator and stop characters")
        self.n_seps = len(menu_seps)
        for i, ch in enumerate(menu_seps):
            self.seps[i] = ord(ch)
        self.n_stops = len(headline_stops)
        for i, ch in enumerate(headline_stops):
            self.stops[i] = ord(ch)
        self.lexicon_max = lexicon_max
        self.substantial = substantial
        self.short = short
        self.sandwich = sandwich
        self.ticker = ticker
        self.headline_max = headline_max

    cdef object _lexicon_rule(self, str norm, int n_words):
        """``Lexicon.match``: the first applicable rule (by length, then trigger) whose pattern matches."""
        cdef object steps = ()
        cdef unsigned long long triggered = 0, bit
        cdef bint have = False
        for limit, rules in self.by_length:
            if n_words <= limit:
                steps = rules
                break
        cdef Py_UCS4 head = PyUnicode_READ(PyUnicode_KIND(norm), PyUnicode_DATA(norm), 0) if len(norm) else 0
        for name, b, anchored, floating, first in steps:
            bit = b
            if bit:
                if not have:
                    triggered, have = self.trigger_mask(norm), True
                if not triggered & bit:
                    continue
            if anchored is not None and (first is None or (len(norm) and _in_str(head, <str>first))) and anchored(norm):
                return name
            if floating is not None and floating(norm):
                return name
        return None

    cdef bint _date_only(self, str norm):
        """``boilerplate._date_only``: words (runs of ``[^\\W_]``) that are all numbers or date words."""
        cdef Py_ssize_t n = len(norm), i = 0, s, e, k
        cdef int kind = PyUnicode_KIND(norm)
        cdef const void* data = PyUnicode_DATA(norm)
        cdef Py_UCS4 ch
        cdef bint found = False, digits
        while i < n:
            ch = PyUnicode_READ(kind, data, i)
            if not Py_UNICODE_ISALNUM(ch):
                i += 1
                continue
            s = i
            digits = True
            while i < n:
                ch = PyUnicode_READ(kind, data, i)
                if not Py_UNICODE_ISALNUM(ch):
                    break
                if not Py_UNICODE_ISDIGIT(ch):
                    digits = False
                i += 1
            e = i
            if not digits:
                # w.rstrip("0123456789") in ("", "ه"): an ASCII-digit tail after nothing or after «ه»
                k = e
                while k > s and 48 <= PyUnicode_READ(kind, data, k - 1) <= 57:
                    k -= 1
                if not (k == s or (k == s + 1 and PyUnicode_READ(kind, data, s) == 0x647)):
                    if norm[s:e] not in self.date_words:
                        return False
            found = True
        return found

    cdef bint _menu_candidate(self, str norm):
        """Whether ``menu_like`` could hold: two pipes, or three of its separator characters."""
        cdef Py_ssize_t n = len(norm), i, pipes = 0, seps = 0
        cdef int kind = PyUnicode_KIND(norm)
        cdef const void* data = PyUnicode_DATA(norm)
        cdef Py_UCS4 ch
        for i in range(n):
            ch = PyUnicode_READ(kind, data, i)
            if ch == 124:
                pipes += 1
            if _among(ch, self.seps, self.n_seps):
                seps += 1
        return pipes >= 2 or seps >= 3

    def classify(self, list lines, templates, Py_ssize_t length=-1, make_segment=None, list keys=None):
        """Give each line (fresh from ``split_lines``) its kind and rule, as ``classify_lines``; with
        ``make_segment``, return the segments of ``to_segments(lines, length)`` instead of the lines.
        ``keys``: each line's template key if already known (``templates.line_keys``)."""
        cdef Py_ssize_t n = len(lines), i, m = 0
        cdef int* nw = <int*>malloc(max(n, 1) * sizeof(int))
        cdef int* kinds = <int*>malloc(max(n, 1) * sizeof(int))
        cdef int* codes = <int*>malloc(max(n, 1) * sizeof(int))
        cdef Py_ssize_t* idx = <Py_ssize_t*>malloc(max(n, 1) * sizeof(Py_ssize_t))
        cdef bint* headline = <bint*>malloc(max(n, 1) * sizeof(bint))
        if nw == NULL or kinds == NULL or codes == NULL or idx == NULL or headline == NULL:
            free(nw); free(kinds); free(codes); free(idx); free(headline)
            raise MemoryError()
        cdef list norms = [None] * n
        cdef list rules = [None] * n
        cdef set seen = set()
        cdef bint use_templates = bool(templates)
        if keys is not None and len(keys) != n:
            raise ValueError(f"{len(keys)} template keys for {n} lines")
        try:
            for i in range(n):
                ln = lines[i]
                if ln.kind == "blank":
                    continue
                idx[m] = i
                m += 1
                norms[i] = ln.norm
                nw[i] = ln.n_words
                self._line(i, <str>norms[i], nw[i], kinds, codes, rules, templates, use_templates, seen, keys)
                headline[i] = self._headline_like(<str>norms[i], nw[i])
            self._context(idx, m, nw, kinds, codes, rules, norms)
            self._appended(idx, m, nw, kinds, codes, rules, headline, norms)
            self._context(idx, m, nw, kinds, codes, rules, norms)
            leads = getattr(templates, "leads", None)
            if leads:
                self._teasers(idx, m, nw, kinds, rules, norms, keys, leads)
            for i in range(m):
                ln = lines[idx[i]]
                ln.kind = _KIND_NAMES[kinds[idx[i]]]
                ln.rule = rules[idx[i]]
            if make_segment is None:
                return lines
            return self._segments(lines, n, idx, m, kinds, length, make_segment)
        finally:
            free(nw); free(kinds); free(codes); free(idx); free(headline)

    cdef int _line(
        self, Py_ssize_t i, str norm, int n_words, int* kinds, int* codes, list rules, templates,
        bint use_templates, set seen, list keys,
    ) except -1:
        """``boilerplate.classify_line`` of one non-blank line."""
        codes[i] = R_OTHER
        kinds[i] = BOILERPLATE
        if n_words == 0:
            rules[i] = "no-words"
            return 0
        if n_words <= self.short and self.credit_match(norm) is not None:
            kinds[i], codes[i], rules[i] = BODY, R_CREDIT, "credit"
            return 0
        rule = self._lexicon_rule(norm, n_words)
        if rule is not None:
            rules[i] = rule
            if rule == "related-marker":
                codes[i] = R_MARKER
            return 0
        if use_templates and (self.template_key(norm) if keys is None else keys[i]) in templates:
            rules[i] = "template"
            return 0
        if n_words <= self.lexicon_max:
            if self._date_only(norm):
                rules[i] = "date"
                return 0
            if norm.startswith(("http", "www.")) and self.url_match(norm) is not None:
                rules[i] = "url"
                return 0
            if self._menu_candidate(norm) and self.menu_like(norm):
                rules[i] = "menu"
                return 0
            if n_words <= self.ticker and norm.endswith("-"):
                rules[i] = "ticker"
                return 0
            if norm in seen:
                rules[i] = "repeated-line"
                return 0
        seen.add(norm)
        kinds[i], rules[i] = BODY, ""
        return 0

    cdef bint _headline_like(self, str norm, int n_words):
        """``appended._headline_like``."""
        cdef Py_ssize_t e = len(norm)
        cdef int kind = PyUnicode_KIND(norm)
        cdef const void* data = PyUnicode_DATA(norm)
        if n_words < self.substantial:
            return True
        if n_words > self.headline_max:
            return False
        e = _rstrip(kind, data, e)
        if e > 0 and PyUnicode_READ(kind, data, e - 1) == self.quote:  # what ends the quotation counts
            while e > 0 and PyUnicode_READ(kind, data, e - 1) == self.quote:
                e -= 1
            e = _rstrip(kind, data, e)
        return e > 0 and not _among(PyUnicode_READ(kind, data, e - 1), self.stops, self.n_stops)

    cdef bint _ends_with(self, str norm, Py_UCS4 ch):
        """``norm.rstrip().endswith(ch)``."""
        cdef Py_ssize_t e = len(norm)
        cdef int kind = PyUnicode_KIND(norm)
        cdef const void* data = PyUnicode_DATA(norm)
        e = _rstrip(kind, data, e)
        return e > 0 and PyUnicode_READ(kind, data, e - 1) == ch

    cdef bint _ends_sentence(self, str norm):
        """``boilerplate.ends_sentence``."""
        cdef Py_ssize_t e = len(norm)
        cdef int kind = PyUnicode_KIND(norm)
        cdef const void* data = PyUnicode_DATA(norm)
        e = _rstrip(kind, data, e)
        while e > 0 and PyUnicode_READ(kind, data, e - 1) == self.quote:
            e -= 1
        e = _rstrip(kind, data, e)
        return (
            e > 0 and PyUnicode_READ(kind, data, e - 1) == self.full_stop
            and not (e > 1 and PyUnicode_READ(kind, data, e - 2) == self.full_stop)
        )

    cdef void _lists(self, Py_ssize_t* idx, Py_ssize_t m, int* nw, int* kinds, int* codes, list rules, list norms):
        """``boilerplate.mark_lists`` over the non-blank lines ``idx[:m]``."""
        cdef Py_ssize_t pos, q, i
        for pos in range(m):
            i = idx[pos]
            if kinds[i] == BODY and nw[i] >= self.substantial and self._ends_with(<str>norms[i], self.list_intro):
                for q in range(pos + 1, m):
                    i = idx[q]
                    if kinds[i] != BODY or codes[i] == R_CREDIT or nw[i] >= self.substantial:
                        break
                    codes[i], rules[i] = R_LIST, "list-item"

    cdef void _context(self, Py_ssize_t* idx, Py_ssize_t m, int* nw, int* kinds, int* codes, list rules, list norms):
        """``boilerplate.apply_context`` over the non-blank lines ``idx[:m]``."""
        cdef Py_ssize_t pos, i, last = -1
        cdef int sweep
        self._lists(idx, m, nw, kinds, codes, rules, norms)
        for sweep in range(2):  # a very short line between two boilerplate lines is boilerplate
            for pos in range(1, m - 1):
                i = idx[pos]
                if (
                    kinds[i] == BODY and codes[i] != R_CREDIT and codes[i] != R_LIST and nw[i] <= self.sandwich
                    and kinds[idx[pos - 1]] == BOILERPLATE and kinds[idx[pos + 1]] == BOILERPLATE
                ):
                    kinds[i], codes[i], rules[i] = BOILERPLATE, R_OTHER, "between-boilerplate"
        for pos in range(m):  # after the last line of prose, short lines are page furniture
            i = idx[pos]
            if kinds[i] != BOILERPLATE and nw[i] >= self.substantial:
                last = i
        if last < 0:
            return
        for pos in range(m):
            i = idx[pos]
            if (
                i > last and kinds[i] == BODY and codes[i] != R_CREDIT and codes[i] != R_LIST and nw[i] <= self.short
                and not self._ends_sentence(<str>norms[i])
            ):
                kinds[i], codes[i], rules[i] = BOILERPLATE, R_OTHER, "after-last-paragraph"

    cdef void _appended(
        self, Py_ssize_t* idx, Py_ssize_t m, int* nw, int* kinds, int* codes, list rules, bint* headline, list norms
    ):
        """``appended.mark_appended`` over the non-blank lines ``idx[:m]``."""
        cdef Py_ssize_t pos, k, i, nxt_marker, start, end, cut, n_heads, first_prose
        cdef bint host, prose, seen_prose
        markers = [pos for pos in range(m) if codes[idx[pos]] == R_MARKER]
        for k in range(len(markers)):
            pos = markers[k]
            host = False
            for start in range(pos):
                i = idx[start]
                if kinds[i] == BODY and nw[i] >= self.substantial:
                    host = True
                    break
            if not host:
                continue  # nothing of the host yet: a marker in the page header
            end = markers[k + 1] if k + 1 < len(markers) else m
            start = pos + 1  # the block: idx[start:end]
            # headlines: the leading run of headline-like, non-credit body lines
            n_heads = 0
            for cut in range(start, end):
                i = idx[cut]
                if kinds[i] != BODY:
                    continue
                if not headline[i] or codes[i] == R_CREDIT:
                    break
                n_heads += 1
            prose = False
            first_prose = -1
            for cut in range(start, end):
                i = idx[cut]
                if kinds[i] == BODY and not headline[i]:
                    prose = True
                    first_prose = i
                    break
            # a bare list of links, or a list (or an inline link, or a link before the host's next
            # paragraph) the host's body goes on after
            if (
                not prose or n_heads >= 2 or self.inline_link(norms[idx[pos]])
                or self.continues_host(norms[first_prose])
            ):
                self._links(idx, start, end, n_heads, kinds, codes, rules)
                continue
            cut = end  # up to the first run of two boilerplate lines after prose
            seen_prose = False
            for pos in range(start, end):
                i = idx[pos]
                if kinds[i] == BODY and nw[i] >= self.substantial:
                    seen_prose = True
                if seen_prose and kinds[i] == BOILERPLATE and pos + 1 < end and kinds[idx[pos + 1]] == BOILERPLATE:
                    cut = pos
                    break
            for pos in range(start, cut):
                i = idx[pos]
                if kinds[i] == BODY:
                    kinds[i], codes[i], rules[i] = APPENDED, R_OTHER, "after-marker"

    cdef int _teasers(
        self, Py_ssize_t* idx, Py_ssize_t m, int* nw, int* kinds, list rules, list norms, list keys, frozenset leads
    ) except -1:
        """``teasers.mark_teasers`` over the non-blank lines ``idx[:m]``."""
        cdef Py_ssize_t pos, q, r, i, n_body = 0
        cdef bint host = False
        own = 0
        for pos in range(m):
            i = idx[pos]
            if nw[i] >= self.teaser_words:
                own = self.lead_key(norms[i])
                break
        body = [idx[pos] for pos in range(m) if kinds[idx[pos]] == BODY]
        n_body = len(body)
        teaser = []
        for q in range(n_body):
            i = body[q]
            if nw[i] < self.teaser_words:
                teaser.append(False)
                continue
            key = self.template_key(norms[i]) if keys is None else keys[i]
            teaser.append(key in leads and key != own)
        for q in range(n_body):
            i = body[q]
            if teaser[q] and host and q + 1 < n_body and teaser[q + 1]:
                for r in range(q, n_body):
                    kinds[<Py_ssize_t>body[r]] = BOILERPLATE
                    rules[<Py_ssize_t>body[r]] = "teasers"
                return 0
            if not teaser[q] and nw[i] >= self.substantial:
                host = True
        return 0

    cdef void _links(
        self, Py_ssize_t* idx, Py_ssize_t start, Py_ssize_t end, Py_ssize_t n_heads, int* kinds, int* codes,
        list rules,
    ):
        """Mark the first ``n_heads`` body lines of ``idx[start:end]`` as related links."""
        cdef Py_ssize_t pos, i, done = 0
        for pos in range(start, end):
            if done == n_heads:
                return
            i = idx[pos]
            if kinds[i] == BODY:
                kinds[i], codes[i], rules[i] = BOILERPLATE, R_OTHER, "related-links"
                done += 1

    cdef list _segments(
        self, list lines, Py_ssize_t n, Py_ssize_t* idx, Py_ssize_t m, int* kinds, Py_ssize_t length, make_segment
    ):
        """``segment.to_segments``: blank lines join the segment before them (the first line's, at the start)."""
        cdef list out = []
        cdef Py_ssize_t i, p = 0, seg_start = 0
        cdef int prev, cur
        if n == 0 or m == 0:
            if n:
                return [make_segment(lines[0].start, lines[n - 1].end, "body")]
            return [make_segment(0, length, "body")] if length else []
        prev = kinds[idx[0]]
        seg_start = lines[0].start
        for i in range(n):
            if p < m and idx[p] == i:
                cur = kinds[i]
                p += 1
                if cur != prev:
                    out.append(make_segment(seg_start, lines[i - 1].end, _KIND_NAMES[prev]))
                    seg_start, prev = lines[i].start, cur
        out.append(make_segment(seg_start, lines[n - 1].end, _KIND_NAMES[prev]))
        return out
