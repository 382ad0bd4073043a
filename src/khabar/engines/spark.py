"""``khabar scan --engine spark``: the same pipeline on Apache Spark, with the same results.

Every step calls the functions the local engine calls; Spark only decides where they run.  The plan:

1. **Read** — one task per input file (any Hadoop filesystem URI: the bytes come through
   ``binaryFiles``) with khabar's readers; records keep their (file, record) position, duplicate ids
   are resolved by position, and articles are numbered in input order, as the local engine reads them.
2. **Templates** — per article the line keys (:func:`khabar.clean.templates.article_keys`), reduced
   per (outlet, text digest) and then per (outlet, line), and each article's lead key (the teasers:
   one integer per article at most, distinct per outlet); the learned templates are small and
   broadcast.
3. **Prepare** — :func:`khabar.prepare.prepare_many` on batches of articles: segments, reuse units, story
   units, wire credits, time.
4. **Candidates** — distinct word 5-grams of every unit, grouped by n-gram (dropping n-grams in more
   than ``max_df`` units), expanded to unit pairs and counted; pairs sharing ≥ ``min_shared`` n-grams
   of different articles are candidates.  Postings and pair counts cross the shuffles as numpy blocks
   (one per pair of partitions), not as one Python record per posting or per pair.  Document
   frequencies of common n-grams (for the stock-phrase filter) are broadcast.
5. **Align** — each candidate is aligned in the partition of its first unit, where every unit its
   partition's candidates need is shipped once, in ``align_many`` batches as the local engine's
   tasks; passages are grouped per article pair and turned into pair records.
6. **Stories** — lexical links are computed per block of four days of publication (the block's units
   against the units within ``max_days`` of them; units with no time against all), reuse links from
   the pairs; connected components of the link graph are computed distributed (alternating
   large-star / small-star rounds over numpy edge blocks), and average linkage runs per component on
   the executors — exact, because two units of different components are never merged (the links
   reach their components as blocks too).  Story records (members, first publisher, provenance) are
   built per story.
7. **Write** — records are sorted like the local engine's and streamed to the same writers (a local
   output directory), or saved with Spark and renamed into place (a Hadoop URI, JSONL only).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from khabar import __version__
from khabar.article import Article
from khabar.candidates import CandidateParams, DocumentFrequency, _runs
from khabar.clean.lines import split_lines
from khabar.clean.teasers import OutletLines, lead_of_lines
from khabar.clean.templates import article_keys, support_needed
from khabar.errors import KhabarError, RecordError
from khabar.fingerprint import Unit
from khabar.normalize import VERSION as NORMALIZER_VERSION
from khabar.prepare import RANGE, Prepared, prepare_many
from khabar.readers.files import discover, kind_of, read_file, skipped_outputs
from khabar.readers.warc import Skipped
from khabar.relate import RELATIONS, pair_record, same_words
from khabar.reuse import ALIGN_TASK, ReuseParams, _align_chunk
from khabar.stories.build import StoryResult, _order_key, _record
from khabar.stories.cluster import average_linkage, founder_key, story_id
from khabar.stories.features import StoryUnit, TermVector
from khabar.stories.link import DAY, LinkParams, _block_link_arrays, _matrix
from khabar.times import SHOWN_UNREADABLE, unreadable_notices


def session(master: str | None = None) -> Any:
    """The active Spark session, or a new one: ``master`` if given, else the master spark-submit set,
    else ``$KHABAR_SPARK_MASTER`` or ``local[*]``."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise KhabarError("the Spark engine needs pyspark: pip install 'khabar[spark]'") from None
    builder = SparkSession.builder.appName("khabar")
    # under spark-submit (which starts the driver with a gateway) the cluster's master is kept
    if master or not os.environ.get("PYSPARK_GATEWAY_PORT"):
        builder = builder.master(master or os.environ.get("KHABAR_SPARK_MASTER", "local[*]"))
    if not os.environ.get("PYSPARK_GATEWAY_PORT"):  # khabar starts the JVM: its heap is still to choose
        builder = builder.config("spark.driver.memory", os.environ.get("KHABAR_SPARK_DRIVER_MEMORY", _driver_memory()))
    spark = (
        builder.config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.default.parallelism", os.environ.get("KHABAR_SPARK_PARTITIONS", "4"))
        .config("spark.sql.shuffle.partitions", os.environ.get("KHABAR_SPARK_PARTITIONS", "4"))
        .config("spark.python.worker.reuse", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def failure(e: BaseException) -> str | None:
    """One line telling why a Spark job failed, if ``e`` (raised by :func:`scan`) is Spark's error
    (a Java exception through py4j): the deepest cause's first line; None for any other error."""
    try:
        from py4j.protocol import Py4JError, Py4JJavaError
    except ImportError:
        return None
    if not isinstance(e, Py4JJavaError):
        return None
    causes: list[str] = []
    try:
        exc = e.java_exception
        while exc is not None and len(causes) < 32:
            causes.append(str(exc.getMessage() or exc.toString()))
            exc = exc.getCause()
    except Py4JError:  # the JVM is gone: what py4j said
        pass
    text = next((c for c in reversed(causes) if c.strip()), "")
    if not text:
        try:
            text = str(e).strip()
        except Exception:  # noqa: BLE001 - py4j's str asks the JVM, which may be gone
            text = ""
    text = text or type(e).__name__
    return "the Spark job failed: " + " ".join(text.strip().splitlines()[0].split())


def _driver_memory() -> str:
    """The driver's heap when khabar starts Spark itself: a quarter of the machine's memory, 1 to 8
    GB (Spark's 1 GB default is too small for a whole corpus in local mode, where the driver is also
    the executor holding the cached stages: the write's task results were lost with it)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system: Spark's default
        return "1g"
    return f"{max(1, min(8, total // 4 // 2**30))}g"


OUTPUT_PARTITION = 2000  # records per partition of an output: what the driver fetches at a time


def _output_partitions(sc: Any, n: int) -> int:
    """Partitions for an output of about ``n`` records, fetched by the driver one at a time: enough
    that none is large (a corpus in a few partitions made results of hundreds of megabytes)."""
    return max(sc.defaultParallelism, -(-n // OUTPUT_PARTITION))


def _sorted_output(sc: Any, keyed: Any) -> tuple[Any, int]:
    """``keyed`` (an RDD of (sort key, record)) sorted by key into partitions sized by its own number
    of records (a corpus copied many times over has far more pairs than articles), cached; and that
    number."""
    keyed = keyed.cache()
    n = keyed.count()
    ordered = keyed.sortByKey(numPartitions=_output_partitions(sc, n)).cache()
    ordered.count()  # materialized: the unsorted copy can go
    keyed.unpersist()
    return ordered, n


# --------------------------------------------------------------------------- 1. read


def _read_one(item: tuple[int, str, bytes | None]) -> Iterator[tuple[tuple[int, int], Any]]:
    """Records of one input file, each keyed by (file number, record number)."""
    fi, name, data = item
    if data is None:
        records: Iterable[Any] = read_file(name)
        for ri, rec in enumerate(records):
            yield (fi, ri), rec
        return
    suffix = "".join(Path(name).suffixes[-2:])
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        tmp.write(data)
        tmp.flush()
        for ri, rec in enumerate(read_file(tmp.name)):
            yield (fi, ri), _rename(rec, tmp.name, name)


def _rename(rec: Any, tmp: str, name: str) -> Any:
    if isinstance(rec, Article):
        rec.origin = rec.origin.replace(tmp, name)
        if rec.id.startswith(tmp):
            rec.id = name + rec.id[len(tmp) :]
    elif isinstance(rec, RecordError | Skipped):
        rec = dataclasses.replace(rec, file=name)
    return rec


def _is_uri(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def read(spark: Any, paths: Sequence[str]) -> tuple[Any, list[RecordError], list[str], Counter[str], list[str]]:
    """Articles as an RDD of ``(k, Article)`` in input order; errors, skipped files, non-articles, and
    the lines the local engine prints while reading (each bad record, each cut article, in input order)."""
    sc = spark.sparkContext
    local = [p for p in paths if not _is_uri(p)]
    uris = [p for p in paths if _is_uri(p)]
    files, skipped = discover(local) if local else ([], [])
    items = sc.parallelize([(fi, f, None) for fi, f in enumerate(files)], max(1, len(files)))
    if uris:
        blobs = sc.union([sc.binaryFiles(u) for u in uris]).sortByKey()
        base = len(files)
        all_names = blobs.keys().collect()  # file names only: one per input file
        skipped += [n for n in all_names if kind_of(n) is None]
        names = [n for n in all_names if kind_of(n) is not None]
        blobs = blobs.filter(lambda kv: kind_of(kv[0]) is not None)
        order = {n: base + i for i, n in enumerate(names)}
        items = items.union(blobs.map(lambda kv: (order[kv[0]], kv[0], kv[1])))
    records = items.flatMap(_read_one).cache()
    not_articles = Counter(records.filter(lambda r: isinstance(r[1], Skipped)).map(lambda r: r[1].reason).collect())
    errors = records.filter(lambda r: isinstance(r[1], RecordError))
    arts = records.filter(lambda r: isinstance(r[1], Article))
    # duplicate ids: the first by position wins; later ones are errors, as in the local engine
    first = arts.map(lambda r: (r[1].id, (r[0], r[1].origin))).reduceByKey(min)
    keyed = arts.map(lambda r: (r[1].id, r)).join(first)
    dups = keyed.filter(lambda kv: kv[1][0][0] != kv[1][1][0]).map(
        lambda kv: (kv[1][0][0], _duplicate(kv[1][0][1], kv[1][1][1]))
    )
    kept = keyed.filter(lambda kv: kv[1][0][0] == kv[1][1][0]).map(lambda kv: kv[1][0])
    bad = errors.union(dups).sortByKey().collect()
    # what the local engine says while reading, in input order: each bad record and each cut article
    cut = kept.filter(lambda r: r[1].cut is not None).map(lambda r: (r[0], f"khabar: {r[1].origin}: {r[1].cut}"))
    said = sorted([*((at, f"khabar: {e}") for at, e in bad), *cut.collect()], key=lambda x: x[0])
    articles = kept.sortByKey().values().zipWithIndex().map(lambda ak: (ak[1], ak[0])).cache()
    return articles, [e for _, e in bad], skipped, not_articles, [line for _, line in said]


def _duplicate(a: Article, first: str) -> RecordError:
    return RecordError.at(a.origin, f"duplicate id {a.id!r} (first at {first})", a.id)


# --------------------------------------------------------------------------- 2–3. clean, prepare


def templates(articles: Any) -> dict[str, frozenset[int]]:
    """Each outlet's template lines, counted distributed exactly as :class:`TemplateLearner` counts."""
    per_text = (  # (outlet, (text digest, line keys, prose keys, long keys, lead key)): ArticleKeys and the lead
        articles.filter(lambda ka: bool(ka[1].source))
        .map(lambda ka: (ka[1].source, _keys_and_lead(ka[1].text)))
        .map(lambda sk: ((sk[0], sk[1][0]), sk[1]))  # one per (outlet, text digest)
        .reduceByKey(lambda x, y: x)
        .map(lambda kv: (kv[0][0], kv[1]))
        .cache()
    )
    n_articles = per_text.countByKey()
    counts = per_text.flatMap(
        lambda sk: [((sk[0], key), (1, key in sk[1][2], key in sk[1][3])) for key in sk[1][1]]
    ).reduceByKey(lambda x, y: (x[0] + y[0], x[1] or y[1], x[2] or y[2]))
    kept = counts.filter(lambda kv: kv[1][0] >= support_needed(n_articles[kv[0][0]], kv[1][1], kv[1][2])).keys()
    out: dict[str, set[int]] = defaultdict(set)
    for source, key in kept.collect():  # the templates themselves: a few lines per outlet
        out[source].add(key)
    # each article's lead key, for its outlet's teasers (identical texts have the same lead: one each is
    # enough), one integer per article at most
    leads: dict[str, set[int]] = defaultdict(set)
    for source, key in per_text.map(lambda sk: (sk[0], sk[1][4])).filter(lambda sk: sk[1] != 0).distinct().collect():
        leads[source].add(key)
    per_text.unpersist()
    return {source: OutletLines(out.get(source, ()), leads.get(source, ())) for source in n_articles}


def _keys_and_lead(text: str) -> tuple[Any, ...]:
    """:func:`article_keys` of the text with its lead key after them, its lines split once."""
    lines = split_lines(text)
    return (*article_keys(text, lines), lead_of_lines(lines))


def prepare(articles: Any, tpl: Any) -> Any:
    """``(k, (Article with segments, Prepared))`` for every article, a batch of them at a time."""

    def batch(part: Iterator[tuple[int, Article]]) -> Iterator[tuple[int, tuple[Article, Prepared]]]:
        items = list(part)
        for lo in range(0, len(items), RANGE):
            chunk = items[lo : lo + RANGE]
            empty: frozenset[int] = frozenset()
            done = prepare_many([(a, k, tpl.value.get(a.source or "", empty)) for k, a in chunk])
            for (k, a), p in zip(chunk, done, strict=True):
                a.view = None
                yield k, (a, p)

    return articles.mapPartitions(batch)


# --------------------------------------------------------------------------- 4–5. candidates, align


UnitId = tuple[int, int]  # (article number, position among the article's units): the local unit order


UID_BITS = 20  # a unit's number: its article's number above these bits, its position in them
UID_MASK = (1 << UID_BITS) - 1


def _own(q: int) -> int:
    """The partition function of keyed blocks: a block's key is its partition."""
    return q


def _columns(blocks: Sequence[tuple[np.ndarray, ...]]) -> list[np.ndarray]:
    """The blocks' columns, each block's rows after the previous block's."""
    return [np.concatenate([b[k] for b in blocks]) for k in range(len(blocks[0]))]


def _sum_pairs(lo: np.ndarray, hi: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each distinct ``(lo, hi)`` row once, sorted, with the sum of its ``counts``."""
    order = np.lexsort((hi, lo))
    lo, hi, counts = lo[order], hi[order], counts[order]
    new = _runs_of(lo, hi)
    return lo[new], hi[new], np.add.reduceat(counts, new) if len(new) else counts


def _group_min(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows sorted by ``x``: where each x's group starts, and the smallest of x and its ys."""
    starts = _runs_of(x)
    return starts, np.minimum(np.minimum.reduceat(y, starts), x[starts])


def _split(block: tuple[np.ndarray, ...], dest: np.ndarray, parts: int) -> Iterator[tuple[int, tuple[np.ndarray, ...]]]:
    """``block`` (equal-length arrays) cut by the destination partition of each row."""
    order = np.argsort(dest, kind="stable")
    dest = dest[order]
    cuts = np.searchsorted(dest, np.arange(parts + 1))
    for q in range(parts):
        if cuts[q] < cuts[q + 1]:
            yield q, tuple(x[order[cuts[q] : cuts[q + 1]]] for x in block)


def _postings(part: Iterable[tuple[UnitId, Unit]], n: int, parts: int) -> Iterator[tuple[int, tuple[np.ndarray, ...]]]:
    """A partition's postings (each unit's distinct n-grams, with the unit's number) as one block of
    arrays per n-gram partition: a few records to shuffle, not one per posting."""
    hs: list[np.ndarray] = []
    us: list[np.ndarray] = []
    for (k, j), unit in part:
        if j > UID_MASK:
            raise ValueError(f"article {k} has more than {UID_MASK + 1} units")
        g = np.unique(unit.grams(n))
        hs.append(g)
        us.append(np.full(len(g), k << UID_BITS | j, np.int64))
    if hs:
        h, u = np.concatenate(hs), np.concatenate(us)
        yield from _split((h, u), (h % np.uint64(parts)).astype(np.int64), parts)


def _runs_of(*keys: np.ndarray) -> np.ndarray:
    """Where each run of equal rows of the (sorted) ``keys`` starts."""
    if len(keys[0]) == 0:
        return np.zeros(0, np.int64)
    change = np.zeros(len(keys[0]), bool)
    change[0] = True
    for k in keys:
        change[1:] |= k[1:] != k[:-1]
    return np.flatnonzero(change)


def _group_counts(
    blocks: Iterable[tuple[int, tuple[np.ndarray, ...]]], params: CandidateParams, rare_df: int, parts: int, chunk: int
) -> Iterator[tuple[Any, tuple[np.ndarray, ...]]]:
    """One n-gram partition's postings, grouped by n-gram: the document frequencies of its common
    n-grams (``("df", (hashes, counts))``), and each unit pair of different articles with the number
    of its n-grams they share here, as blocks by the first unit's partition (``(q, (lo, hi, count))``)."""
    got = list(blocks)
    if not got:
        return
    h, u = _columns([b for _, b in got])
    order = np.lexsort((u, h))
    h, u = h[order], u[order]
    starts, sizes = _runs(h)  # the n-gram groups
    common = DocumentFrequency.from_runs(h, starts, sizes, params.n, rare_df)
    if len(common.hashes):
        yield "df", (common.hashes, common.counts)
    keep = (sizes >= 2) & (sizes <= params.max_df)
    starts, sizes = starts[keep], sizes[keep]
    # the groups' pairs are expanded ``chunk`` at a time (bounded memory); a pair's counts from
    # several chunks are summed with the other partitions' by _pair_totals
    cum = np.cumsum(sizes * (sizes - 1) // 2)
    cut = 0
    while cut < len(starts):
        nxt = max(cut + 1, int(np.searchsorted(cum, (cum[cut - 1] if cut else 0) + chunk, side="right")))
        yield from _chunk_pairs(u, starts[cut:nxt], sizes[cut:nxt], parts)
        cut = nxt


PAIR_CHUNK = 4_000_000  # within-group unit pairs expanded at once by a candidates task


def _chunk_pairs(u: np.ndarray, starts: np.ndarray, sizes: np.ndarray, parts: int) -> Iterator[Any]:
    """The unit pairs of different articles in the groups ``u[starts[g] : starts[g] + sizes[g]]`` with
    the number of groups each is in, as blocks by the first unit's partition."""
    # every pair (x < y) of a group's members (sorted by unit number): a member pairs with each after it
    pos = np.repeat(starts - (np.cumsum(sizes) - sizes), sizes) + np.arange(int(sizes.sum()))
    after = np.repeat(starts + sizes, sizes) - pos - 1
    lo_pos = np.repeat(pos, after)
    hi_pos = lo_pos + 1 + np.arange(len(lo_pos)) - np.repeat(np.cumsum(after) - after, after)
    lo, hi = u[lo_pos], u[hi_pos]
    other = (lo >> UID_BITS) != (hi >> UID_BITS)  # units of one article are never candidates
    lo, hi, counts = _sum_pairs(lo[other], hi[other], np.ones(int(other.sum()), np.int64))
    yield from _split((lo, hi, counts), lo % parts, parts)


def _pair_totals(
    blocks: Iterable[tuple[int, tuple[np.ndarray, ...]]], min_shared: int
) -> Iterator[tuple[tuple[UnitId, UnitId], int]]:
    """The unit pairs of one first-unit partition sharing ``min_shared`` n-grams or more (their
    counts from every n-gram partition summed), as ``((lo, hi), shared)``."""
    got = list(blocks)
    if not got:
        return
    lo, hi, total = _sum_pairs(*_columns([b for _, b in got]))
    good = total >= min_shared
    for x, y, n in zip(lo[good].tolist(), hi[good].tolist(), total[good].tolist(), strict=True):
        yield ((x >> UID_BITS, x & UID_MASK), (y >> UID_BITS, y & UID_MASK)), n


def candidates(units: Any, params: CandidateParams, rare_df: int) -> tuple[Any, DocumentFrequency]:
    """Candidate unit pairs ``((lo, hi), shared)`` and the document frequencies of common n-grams.
    The postings and the pair counts cross the shuffles as numpy blocks (by n-gram, then by first
    unit), counted with numpy: the same pairs and counts as grouping every posting by its n-gram."""
    parts = max(units.context.defaultParallelism, units.getNumPartitions())
    n, chunk = params.n, PAIR_CHUNK
    grouped = (
        units.mapPartitions(lambda part: _postings(part, n, parts))
        .partitionBy(parts, _own)
        .mapPartitions(lambda blocks: _group_counts(blocks, params, rare_df, parts, chunk))
        .cache()
    )
    common = grouped.filter(lambda kv: kv[0] == "df").values().collect()
    hashes, counts = _columns(common) if common else (np.zeros(0, np.uint64), np.zeros(0, np.int64))
    order = np.argsort(hashes, kind="stable")
    df = DocumentFrequency(n, hashes[order].astype(np.uint64), counts[order].astype(np.int64))
    found = (
        grouped.filter(lambda kv: kv[0] != "df")
        .partitionBy(parts, _own)
        .mapPartitions(lambda blocks: _pair_totals(blocks, params.min_shared))
    )
    return found, df


def _words_only(u: Unit) -> Unit:
    """A unit as a candidate pair ships it: its words, without the n-grams (the aligner computes
    them again from the words, faster than they cross a shuffle, twice per candidate)."""
    return dataclasses.replace(u, ngrams=None)


def _align_routed(part: Iterable[tuple[int, tuple[str, Any, Any]]], params: ReuseParams, stats: Any) -> Iterator[Any]:
    """A partition's candidates and the units they need (each unit once), aligned :data:`ALIGN_TASK`
    at a time by the local engine's task (``reuse._align_chunk``: one compiled call):
    ``((ia, ib), ((lo, hi), passages))`` for those sharing a passage (``lo``'s article comes first)."""
    got: dict[UnitId, Unit] = {}
    pairs: list[tuple[UnitId, UnitId]] = []
    for _, (tag, key, unit) in part:
        if tag == "unit":
            got[key] = unit
        else:
            pairs.append(key)
    pairs.sort()
    uids = sorted(got)
    index = {uid: k for k, uid in enumerate(uids)}
    shared = {"units": [got[uid] for uid in uids], "params": params, "stats": [stats.value]}
    for c in range(0, len(pairs), ALIGN_TASK):
        chunk = pairs[c : c + ALIGN_TASK]
        x = np.array([index[lo] for lo, _ in chunk], np.int64)
        y = np.array([index[hi] for _, hi in chunk], np.int64)
        for i, j, passages in _align_chunk(shared, x, y):  # i: lo's unit (its article comes first)
            yield (uids[i][0], uids[j][0]), ((uids[i], uids[j]), passages)


def align(units: Any, found: Any, params: ReuseParams, stats: Any) -> Any:
    """``((ia, ib), [(unit pair, passages)…])`` for every article pair sharing a passage.  A candidate
    is aligned in the partition of its first unit; each unit is shipped once to every partition
    whose candidates need it (not once per candidate, as joining the units to the pairs would)."""
    parts = max(found.context.defaultParallelism, found.getNumPartitions())

    def dest(uid: UnitId) -> int:
        return (uid[0] * 64 + uid[1]) % parts

    pairs = found.keys()
    wanted = pairs.flatMap(lambda lh: [(lh[0], dest(lh[0])), (lh[1], dest(lh[0]))]).distinct()
    shipped = wanted.join(units.mapValues(_words_only)).map(lambda kv: (kv[1][0], ("unit", kv[0], kv[1][1])))
    tasks = pairs.map(lambda lh: (dest(lh[0]), ("pair", lh, None)))
    routed = shipped.union(tasks).partitionBy(parts, _own)
    return routed.mapPartitions(lambda part: _align_routed(part, params, stats)).groupByKey().mapValues(sorted)


def pair_records(found: Any, info: Any) -> Any:
    """``((ia, ib), pairs.jsonl record)``; ``info``: ``k → (id, unit sizes, body hashes)``."""
    a_side = found.map(lambda kv: (kv[0][0], kv)).join(info).map(lambda kv: (kv[1][0][0][1], (kv[1][0], kv[1][1])))
    both = a_side.join(info)

    def record(kv: Any) -> tuple[tuple[int, int], dict[str, Any]]:
        ib, ((((ia, _), found_ab), (a_id, a_sizes, a_body)), (b_id, b_sizes, b_body)) = kv
        passages = [p for _, ps in found_ab for p in ps]
        return (ia, ib), pair_record(a_id, b_id, a_sizes, b_sizes, passages, same_words(a_body, b_body))

    return both.map(record)


# --------------------------------------------------------------------------- 6. stories


def _uid(k: int, j: int) -> int:
    """A story unit's number: article number then position, so numbers sort like the local order."""
    return (k << 16) | j


def _lexical_bucket(item: tuple[Any, Iterable[tuple[str, int, StoryUnit]]], p: LinkParams) -> Iterator[Any]:
    """Links computed by one bucket: a block of days' units against their window, or untimed ones against all."""
    bucket, entries = item
    entries = list(entries)  # a unit is in a bucket once: as a row (its own day) or a column
    units: dict[int, StoryUnit] = {}
    rows: set[int] = set()
    for role, uid, u in entries:
        units[uid] = u
        if role == "row":
            rows.add(uid)
    if bucket == "untimed":  # timed columns first: pairs with them are all this bucket's
        order = sorted(units, key=lambda uid: (units[uid].time is None, uid))
        new_from = sum(1 for uid in order if units[uid].time is not None)
    else:
        order = sorted(units)
        new_from = 0
    vecs = [units[uid] for uid in order]
    x = _matrix([u.weights for u in vecs])
    titles = _matrix([u.title_weights for u in vecs])
    ts = np.array([u.timestamp if u.time else np.nan for u in vecs], dtype=np.float64)
    row_idx = np.array([i for i, uid in enumerate(order) if uid in rows], dtype=np.int64)
    if len(row_idx) == 0:
        return
    links = _block_link_arrays(x, titles, ts, row_idx, np.arange(len(order)), new_from, p)
    for lo, hi, w in zip(*(a.tolist() for a in links), strict=True):
        a, b = order[lo], order[hi]
        yield (min(a, b), max(a, b)), w


BLOCK_DAYS = 4  # days of units a lexical bucket holds as rows (its columns: those days and the window's)


def _vectors_only(u: StoryUnit) -> StoryUnit:
    """What a lexical bucket reads of a story unit (its vectors and time): the rest is not shipped."""
    return dataclasses.replace(u, article_id="", title="", segments=[], source=None)


def lexical_links(sunits: Any, p: LinkParams) -> Any:
    """``((uid, uid), weight)`` for every lexically linked pair of story units.  A bucket holds the
    units of :data:`BLOCK_DAYS` days as rows and, as columns, those and the units within the time
    window of them (each pair is kept from the row of its later unit, as in one bucket per day), so a
    unit is shipped to one bucket and the neighbours its window reaches, not to one per day."""
    reach = int(np.ceil(p.max_days))

    def emit(item: tuple[int, StoryUnit]) -> Iterator[tuple[Any, tuple[str, int, StoryUnit]]]:
        uid, u = item
        v = _vectors_only(u)
        yield "untimed", ("row" if u.time is None else "col", uid, v)
        if u.time is not None:
            day = int(u.timestamp // DAY)  # type: ignore[operator]
            block = day // BLOCK_DAYS
            yield block, ("row", uid, v)
            for b in range((day - reach) // BLOCK_DAYS, (day + reach) // BLOCK_DAYS + 1):
                if b != block:
                    yield b, ("col", uid, v)

    return sunits.flatMap(emit).groupByKey().flatMap(lambda item: _lexical_bucket(item, p))


def _edge_blocks(part: Iterable[tuple[int, int]], parts: int) -> Iterator[tuple[int, tuple[np.ndarray, ...]]]:
    """A partition of edges ``(a, b)`` as ``(larger, smaller)`` node arrays, one block per partition
    of the larger node."""
    edges = list(part)
    if edges:
        a = np.fromiter((x for x, _ in edges), np.int64, len(edges))
        b = np.fromiter((y for _, y in edges), np.int64, len(edges))
        hi, lo = np.maximum(a, b), np.minimum(a, b)
        yield from _split((hi, lo), hi % parts, parts)


def _pairs_of(blocks: Iterable[tuple[int, tuple[np.ndarray, ...]]]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``(x, y)`` rows of ``blocks``, sorted by x then y."""
    got = list(blocks)
    if not got:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    x, y = _columns([blk for _, blk in got])
    order = np.lexsort((y, x))
    x, y = x[order], y[order]
    keep = _runs_of(x, y)
    return x[keep], y[keep]


def _star(blocks: Iterable[tuple[int, tuple[np.ndarray, ...]]], large: bool, parts: int) -> Iterator[Any]:
    """One star step over a partition's adjacency ``(u, v)`` (grouped by u; m = the smallest of u and
    its neighbours): large-star links each neighbour v > u to m; small-star (edges as (larger,
    smaller)) links u and each neighbour but m itself to m.  Out: ``(larger, smaller)`` blocks by the
    partition of the larger node."""
    x, y = _pairs_of(blocks)
    if len(x) == 0:
        return
    starts, m = _group_min(x, y)
    mm = np.repeat(m, np.diff(np.append(starts, len(x))))
    if large:
        sel = y > x
        a, b = y[sel], mm[sel]
    else:
        a, b = np.concatenate([y, x[starts]]), np.concatenate([mm, m])
        sel = a != b
        a, b = a[sel], b[sel]
    yield from _split((a, b), a % parts, parts)


def _both_ways(kv: tuple[int, tuple[np.ndarray, ...]], parts: int) -> Iterator[tuple[int, tuple[np.ndarray, ...]]]:
    hi, lo = kv[1]
    yield from _split((hi, lo), hi % parts, parts)
    yield from _split((lo, hi), lo % parts, parts)


def _canonical(blocks: Iterable[tuple[int, tuple[np.ndarray, ...]]], parts: int) -> Iterator[Any]:
    """A partition's edges, distinct and sorted, as one block (what two rounds are compared by)."""
    got = list(blocks)
    x, y = _pairs_of(got)
    if len(x):
        yield got[0][0], (x, y)


def _labels(blocks: Iterable[tuple[int, tuple[np.ndarray, ...]]]) -> Iterator[tuple[int, int]]:
    """``(node, smallest node it is linked to or itself)`` for a partition's nodes."""
    x, y = _pairs_of(blocks)
    if len(x):
        starts, m = _group_min(x, y)
        yield from zip(x[starts].tolist(), m.tolist(), strict=True)


def connected_components(edges: Any, max_rounds: int = 64) -> Any:
    """``(node, smallest node of its component)`` for every node with an edge, by alternating
    large-star and small-star rounds (Kiveris et al., 2014) — distributed, never collected.  The
    edges cross each shuffle as numpy blocks (one per pair of partitions) and every step is numpy:
    a round costs a few Spark jobs, not a Python record per edge."""
    parts = edges.context.defaultParallelism

    def canonical(rdd: Any) -> Any:
        return rdd.partitionBy(parts, _own).mapPartitions(lambda bl: _canonical(bl, parts), True).cache()

    e = canonical(edges.mapPartitions(lambda part: _edge_blocks(part, parts)))
    for _ in range(max_rounds):
        before = e
        big = e.flatMap(lambda kv: _both_ways(kv, parts)).partitionBy(parts, _own)
        big = big.mapPartitions(lambda bl: _star(bl, True, parts))
        small = big.partitionBy(parts, _own).mapPartitions(lambda bl: _star(bl, False, parts))
        e = canonical(small)
        same = e.cogroup(before).filter(lambda kv: not _same_blocks(kv[1])).isEmpty()
        if same:
            break
        before.unpersist()

    def ends(kv: tuple[int, tuple[np.ndarray, ...]]) -> Iterator[tuple[int, tuple[np.ndarray, ...]]]:
        hi, lo = kv[1]
        nodes = np.concatenate([hi, lo])
        yield from _split((nodes, np.concatenate([lo, lo])), nodes % parts, parts)

    return e.flatMap(ends).partitionBy(parts, _own).mapPartitions(_labels)


def _same_blocks(pair: tuple[Iterable[Any], Iterable[Any]]) -> bool:
    new, old = (list(x) for x in pair)
    return len(new) == len(old) == 1 and all(np.array_equal(p, q) for p, q in zip(new[0], old[0], strict=True))


def _cluster_component(item: tuple[int, tuple[Iterable[Any], Iterable[Any]]], join: float) -> Iterator[Any]:
    """Average linkage inside one component, on the units' global ranks; ``(uid, story id)``."""
    _, (members, links) = item
    members = sorted(members)  # (rank, uid, unit)
    local = {rank: n for n, (rank, _, _) in enumerate(members)}
    ranked = {}
    for (ra, rb), w in links:
        a, b = sorted((local[ra], local[rb]))
        ranked[(a, b)] = w
    roots = average_linkage(len(members), ranked, join)
    groups: dict[int, list[int]] = defaultdict(list)
    for n, r in enumerate(roots):
        groups[r].append(n)
    for ns in groups.values():
        founder = min((members[n][2] for n in ns), key=founder_key)
        sid = story_id(founder)
        for n in ns:
            yield members[n][1], sid


_NO_TERMS = TermVector(np.zeros(0, np.int64), np.zeros(0, np.float64))


def _lean(u: StoryUnit) -> StoryUnit:
    """A story unit without its term vectors: what clustering's order and the story records read of
    it (time, ids, key, segments, title, source), a small part of what it pickles to."""
    return dataclasses.replace(u, weights=_NO_TERMS, title_weights=None)


def stories(prepared: Any, pairs: Any, p: LinkParams) -> tuple[Any, Any]:
    """``(uid → story id, uid → story unit without its vectors)`` RDDs (the links need the vectors;
    what comes after them, only the units' order and fields)."""
    sunits = prepared.flatMap(lambda kv: [(_uid(kv[0], j), u) for j, u in enumerate(kv[1][1].story_units)]).cache()
    lean = sunits.mapValues(_lean).cache()
    # reuse links: units sharing ≥ reuse_coverage of their words, within the time window
    info = prepared.map(
        lambda kv: (
            kv[0],
            (
                {u.key: len(u) for u in kv[1][1].units},
                {u.key: (j, u.timestamp) for j, u in enumerate(kv[1][1].story_units)},
            ),
        )
    )
    reuse = (
        pairs.map(lambda kv: (kv[0][0], kv))
        .join(info)
        .map(lambda kv: (kv[1][0][0][1], (kv[1][0], kv[1][1])))
        .join(info)
        .flatMap(lambda kv: _reuse_links(kv, p))
    )
    parts = sunits.context.defaultParallelism
    links = lexical_links(sunits, p).union(reuse).reduceByKey(lambda a, b: a + b, parts).cache()
    ranks = lean.sortBy(lambda item: founder_key(item[1])).zipWithIndex().map(lambda x: (x[0][0], (x[1], x[0][1])))
    comp = connected_components(links.keys())
    members = (
        ranks.leftOuterJoin(comp)
        .map(lambda kv: (kv[1][1] if kv[1][1] is not None else kv[0], (kv[1][0][0], kv[0], kv[1][0][1])))
        .cache()
    )
    # the links as numpy blocks: each endpoint's rank looked up in the partition of its unit, then
    # every link of a component and the component's members brought together in one partition
    nodes = members.map(lambda kv: (kv[1][1], kv[1][0], kv[0])).mapPartitions(lambda it: _node_blocks(it, parts))
    nodes = nodes.map(lambda kv: (kv[0], ("node", kv[1]))).cache()
    ends = links.mapPartitions(lambda it: _link_blocks(it, parts)).map(lambda kv: (kv[0], ("link", kv[1])))
    ends = nodes.union(ends).partitionBy(parts, _own).mapPartitions(lambda bl: _rank_end(bl, parts, 0))
    ends = nodes.union(ends.map(lambda kv: (kv[0], ("link", kv[1]))))
    ranked = ends.partitionBy(parts, _own).mapPartitions(lambda bl: _rank_end(bl, parts, 1))
    grouped = members.map(lambda kv: (kv[0] % parts, ("member", kv))).union(
        ranked.map(lambda kv: (kv[0], ("link", kv[1])))
    )
    unit_story = grouped.partitionBy(parts, _own).mapPartitions(lambda bl: _cluster_partition(bl, p.join)).cache()
    return unit_story, lean


def _link_blocks(part: Iterable[tuple[tuple[int, int], float]], parts: int) -> Iterator[Any]:
    """A partition's links ``((lo, hi), weight)`` as ``(lo, hi, weight)`` arrays by ``lo``'s partition."""
    items = list(part)
    if items:
        lo = np.fromiter((k[0] for k, _ in items), np.int64, len(items))
        hi = np.fromiter((k[1] for k, _ in items), np.int64, len(items))
        w = np.fromiter((v for _, v in items), np.float64, len(items))
        yield from _split((lo, hi, w), lo % parts, parts)


def _node_blocks(part: Iterable[tuple[int, int, int]], parts: int) -> Iterator[Any]:
    """A partition's units ``(uid, rank, component)`` as arrays by the unit's partition."""
    items = list(part)
    if items:
        uid, rank, comp = (np.fromiter((x[k] for x in items), np.int64, len(items)) for k in range(3))
        yield from _split((uid, rank, comp), uid % parts, parts)


def _rank_end(blocks: Iterable[tuple[int, tuple[str, tuple[np.ndarray, ...]]]], parts: int, end: int) -> Iterator[Any]:
    """Links meet the units of their partition: ``end`` 0 puts the first unit's rank and component in
    place of its number, (hi, rank lo, component, weight) by ``hi``'s partition; ``end`` 1 the second
    unit's rank: (component, rank lo, rank hi, weight) by the component's partition."""
    got = list(blocks)
    nodes = [b for _, (tag, b) in got if tag == "node"]
    links = [b for _, (tag, b) in got if tag == "link"]
    if not links:
        return
    uid, rank, comp = _columns(nodes) if nodes else [np.zeros(0, np.int64)] * 3
    order = np.argsort(uid)
    uid, rank, comp = uid[order], rank[order], comp[order]
    cols = _columns(links)
    key = cols[0]  # the unit looked up: lo, then hi
    at = np.minimum(np.searchsorted(uid, key), max(0, len(uid) - 1))
    if len(uid) == 0 or not np.array_equal(uid[at], key):
        raise RuntimeError("a story link names a unit the scan does not hold")
    if end == 0:
        _, hi, w = cols
        yield from _split((hi, rank[at], comp[at], w), hi % parts, parts)
    else:
        _, rank_lo, comp_lo, w = cols
        yield from _split((comp_lo, rank_lo, rank[at], w), comp_lo % parts, parts)


def _cluster_partition(blocks: Iterable[tuple[int, tuple[str, Any]]], join: float) -> Iterator[Any]:
    """:func:`_cluster_component` of every component whose members and links are in this partition."""
    members: dict[int, list[Any]] = defaultdict(list)
    links = []
    for _, (tag, x) in blocks:
        if tag == "member":
            members[x[0]].append(x[1])
        else:
            links.append(x)
    by_comp: dict[int, list[Any]] = defaultdict(list)
    if links:
        comp, ra, rb, w = _columns(links)
        for c, a, b, x in zip(comp.tolist(), ra.tolist(), rb.tolist(), w.tolist(), strict=True):
            by_comp[c].append(((a, b), x))
    for c, ms in members.items():
        yield from _cluster_component((c, (ms, by_comp.get(c, []))), join)


def _reuse_links(kv: Any, p: LinkParams) -> Iterator[tuple[tuple[int, int], float]]:
    ib, ((((ia, _), rec), (a_sizes, a_units)), (b_sizes, b_units)) = kv
    words: dict[tuple[str, str], int] = defaultdict(int)
    for x in rec["passages"]:
        words[(x["a_unit"], x["b_unit"])] += x["words"]
    for (ka, kb), w in words.items():
        if ka not in a_units or kb not in b_units:
            continue
        cov = max(w / max(1, a_sizes.get(ka, 0)), w / max(1, b_sizes.get(kb, 0)))
        (ja, ta), (jb, tb) = a_units[ka], b_units[kb]
        if cov < p.reuse_coverage:
            continue
        if ta is not None and tb is not None and abs(ta - tb) / DAY > p.max_days:
            continue
        yield (_uid(ia, ja), _uid(ib, jb)), p.reuse_weight


def story_records(unit_story: Any, sunits: Any, pairs: Any, prepared: Any) -> Any:
    """stories.jsonl records, built per story from its members, their wires and the passages
    shared inside it (the same functions as the local engine)."""
    # (k, key) → (sid, order key, article id)
    unit_info = sunits.join(unit_story).map(
        lambda kv: ((kv[1][0].article, kv[1][0].key), (kv[1][1], _order_key(kv[1][0]), kv[1][0].article_id))
    )

    def passages(kv: Any) -> Iterator[Any]:
        (ia, ib), rec = kv
        for x in rec["passages"]:
            yield (ia, x["a_unit"]), ((ib, x["b_unit"]), x, (ia, ib, x["a_start"], x["b_start"]))

    claims = (
        pairs.flatMap(passages)
        .join(unit_info)
        .map(lambda kv: (kv[1][0][0], (kv[1][0][2], kv[1][0][1], kv[1][1])))
        .join(unit_info)
        .flatMap(_claim)
        .groupByKey()
    )
    wires = prepared.flatMap(lambda kv: [((kv[0], key), w) for key, w in kv[1][1].wires.items()])
    members = (
        sunits.map(lambda kv: ((kv[1].article, kv[1].key), kv[1]))
        .join(wires)
        .map(lambda kv: (kv[0], kv[1]))
        .join(unit_info)
        .map(lambda kv: (kv[1][1][0], kv[1][0]))
        .groupByKey()
    )
    return members.leftOuterJoin(claims).map(lambda kv: _story_record(kv[0], kv[1][0], kv[1][1]))


def _claim(kv: Any) -> Iterator[Any]:
    _, ((place, x, (sid_a, order_a, id_a)), (sid_b, order_b, id_b)) = kv
    if sid_a != sid_b:
        return
    if order_a <= order_b:
        span, src, early_order, late_id, early_id = (
            (x["b_start"], x["b_end"]),
            (x["a_start"], x["a_end"]),
            order_a,
            id_b,
            id_a,
        )
    else:
        span, src, early_order, late_id, early_id = (
            (x["a_start"], x["a_end"]),
            (x["b_start"], x["b_end"]),
            order_b,
            id_a,
            id_b,
        )
    passage = {
        "start": span[0],
        "end": span[1],
        "from_start": src[0],
        "from_end": src[1],
        "score": x["score"],
        "words": x["words"],
    }
    yield sid_a, (late_id, (early_order, passage, early_id), place)


def _story_record(sid: str, members: Iterable[tuple[StoryUnit, list[str]]], claims: Iterable[Any] | None) -> Any:
    units = []
    wires = {}
    for u, w in members:
        units.append(u)
        wires[(u.article, u.key)] = w
    units.sort(key=lambda u: (u.article, u.key))
    by_article: dict[str, list[Any]] = defaultdict(list)
    # claims in the local engine's order: pairs by (ia, ib), passages in record order
    for late_id, claim, _ in sorted(claims or [], key=lambda c: c[2]):
        by_article[late_id].append(claim)
    record = _record(sid, units, StoryResult([], wires=wires), by_article)
    return (-len(record["members"]), record["start"] or "9999", record["story"]), record


# --------------------------------------------------------------------------- the job


def scan(
    paths: Sequence[str],
    out: str | None,
    params: ReuseParams = ReuseParams(),
    link: LinkParams = LinkParams(),
    output_format: str = "jsonl",
    warn: bool = True,
    spark: Any = None,
) -> dict[str, Any]:
    """Run the scan on Spark and write the same files as the local engine; returns the summary."""
    spark = spark or session()
    sc = spark.sparkContext
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    articles, errors, skipped, not_articles, said = read(spark, list(paths))
    if warn:
        for notice in skipped_outputs(skipped):
            print(notice, file=sys.stderr)
        for line in said:
            print(line, file=sys.stderr)
    seconds["read"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    tpl = sc.broadcast(templates(articles))
    prepared = prepare(articles, tpl).cache()
    n_articles = prepared.count()
    seconds["clean"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    units = prepared.flatMap(lambda kv: [((kv[0], j), u) for j, u in enumerate(kv[1][1].units)]).cache()
    found, df = candidates(units, params.candidates, params.align.rare_df)
    stats = sc.broadcast(df)
    aligned = align(units, found, params, stats)
    info = prepared.map(
        lambda kv: (
            kv[0],
            (
                kv[1][0].id,
                {u.key: len(u) for u in kv[1][1].units},
                next((u.hashes for u in kv[1][1].units if u.key == "body"), None),
            ),
        )
    )
    pairs, n_pairs = _sorted_output(sc, pair_records(aligned, info))
    seconds["reuse"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    unit_story, sunits = stories(prepared, pairs, link)
    records, n_stories = _sorted_output(sc, story_records(unit_story, sunits, pairs, prepared))
    records = records.values()
    seconds["stories"] = round(time.perf_counter() - t0, 3)
    relations = Counter(pairs.map(lambda kv: kv[1]["relation"]).countByValue())
    # the articles' counts in one job (each job over the prepared articles unpickles all of them)
    segments, inferred, unreadable, n_cut = prepared.mapPartitions(_article_counts).reduce(_add_counts)
    bad_times = prepared.filter(lambda kv: bool(kv[1][0].published) and kv[1][1].time[1] != "published")
    if warn and unreadable:  # as the local engine says them: the first unreadable published values
        first = bad_times.map(lambda kv: (kv[0], (kv[1][0].origin, kv[1][0].published)))
        shown = [x for _, x in first.takeOrdered(SHOWN_UNREADABLE, key=lambda kv: kv[0])]
        for line in unreadable_notices(shown, unreadable):
            print(line, file=sys.stderr)
    summary: dict[str, Any] = {
        "khabar_version": __version__,
        "normalizer_version": NORMALIZER_VERSION,
        "records_read": n_articles + len(errors),
        "articles": n_articles,
        "errors": len(errors),
        "cut": n_cut,
        "skipped_files": skipped,
        "records_not_articles": dict(sorted(not_articles.items())),
        "pairs": n_pairs,
        "pairs_by_relation": {r: relations.get(r, 0) for r in RELATIONS},
        "stories": n_stories,
        "times_inferred_from_text": inferred,
        "published_unreadable": unreadable,
        "segments_by_kind": dict(segments),
        "seconds": seconds,
        "format": output_format,
        "engine": "spark",
    }
    if out is not None:
        t0 = time.perf_counter()
        article_lines = _article_records(prepared, unit_story, sunits, _output_partitions(sc, n_articles))
        _write(out, output_format, article_lines, pairs.values(), records, errors, summary)
        seconds["write"] = round(time.perf_counter() - t0, 3)
    seconds["total"] = round(time.perf_counter() - started, 3)
    if out is not None:
        _write_summary(out, summary)
    return summary


ArticleCounts = tuple[Counter[str], int, int, int]  # segments by kind, times from text, unreadable, cut


def _article_counts(part: Iterable[tuple[int, tuple[Article, Prepared]]]) -> Iterator[ArticleCounts]:
    """summary.json's counts of a partition's prepared articles."""
    segments: Counter[str] = Counter()
    inferred = unreadable = cut = 0
    for _, (a, p) in part:
        segments.update(s.kind for s in a.segments)
        inferred += p.time[1] == "text"
        unreadable += bool(a.published) and p.time[1] != "published"
        cut += a.cut is not None
    yield segments, inferred, unreadable, cut


def _add_counts(x: ArticleCounts, y: ArticleCounts) -> ArticleCounts:
    return x[0] + y[0], x[1] + y[1], x[2] + y[2], x[3] + y[3]


def _article_records(prepared: Any, unit_story: Any, sunits: Any, partitions: int) -> Any:
    from khabar.outputs import article_record

    story_of = (
        sunits.map(lambda kv: (kv[0], (kv[1].article, kv[1].key)))
        .join(unit_story)
        .map(lambda kv: (kv[1][0][0], (kv[1][0][1], kv[1][1])))
    )

    def record(kv: Any) -> tuple[int, dict[str, Any]]:
        k, ((a, p), sids) = kv
        result = StoryResult(
            [],
            unit_story={(k, key): sid for key, sid in (sids or [])},
            times={k: p.time},  # type: ignore[arg-type]
            wires={(k, key): w for key, w in p.wires.items()},
        )
        return k, article_record(a, k, result)

    return prepared.leftOuterJoin(story_of.groupByKey()).map(record).sortByKey(numPartitions=partitions).values()


def _write(
    out: str,
    output_format: str,
    articles: Any,
    pairs: Any,
    stories: Any,
    errors: list[RecordError],
    summary: dict[str, Any],
) -> None:
    from khabar.outputs import other_format_files, write_outputs
    from khabar.writers import dumps

    if not _is_uri(out):
        path = Path(out.removeprefix("file://"))
        write_outputs(
            path, output_format, articles.toLocalIterator(), pairs.toLocalIterator(), stories.toLocalIterator(), errors
        )
        return
    sc = articles.context
    jvm = sc._jvm  # noqa: SLF001 - the Hadoop FileSystem API is only reachable through py4j
    conf = sc._jsc.hadoopConfiguration()  # noqa: SLF001
    base = jvm.org.apache.hadoop.fs.Path(out)
    fs = base.getFileSystem(conf)
    for stale in other_format_files(output_format):  # an output directory holds one scan
        fs.delete(jvm.org.apache.hadoop.fs.Path(f"{out.rstrip('/')}/{stale}"), False)
    if output_format != "jsonl":
        _write_through_local(fs, jvm, out, output_format, articles, pairs, stories, errors)
        return
    for name, rdd in (
        ("articles", articles),
        ("pairs", pairs),
        ("stories", stories),
        ("errors", sc.parallelize([e.to_json() for e in errors], 1)),
    ):
        tmp = f"{out.rstrip('/')}/.{name}.tmp"
        fs.delete(jvm.org.apache.hadoop.fs.Path(tmp), True)
        rdd.map(dumps).coalesce(1).saveAsTextFile(tmp)
        part = fs.globStatus(jvm.org.apache.hadoop.fs.Path(tmp + "/part-*"))[0].getPath()
        final = jvm.org.apache.hadoop.fs.Path(f"{out.rstrip('/')}/{name}.jsonl")
        fs.delete(final, False)
        fs.rename(part, final)
        fs.delete(jvm.org.apache.hadoop.fs.Path(tmp), True)


def _write_through_local(
    fs: Any, jvm: Any, out: str, output_format: str, articles: Any, pairs: Any, stories: Any, errors: list[RecordError]
) -> None:
    """Outputs a Hadoop file system gets whole (Parquet: one file each, as the local engine writes
    them): written by the driver into a local temporary directory, streaming the records as for a
    local output, then each copied beside its final name and renamed into place."""
    import tempfile

    from khabar.outputs import write_outputs

    with tempfile.TemporaryDirectory(prefix="khabar-out-") as tmp:
        local = Path(tmp)
        write_outputs(
            local, output_format, articles.toLocalIterator(), pairs.toLocalIterator(), stories.toLocalIterator(), errors
        )
        for f in sorted(local.iterdir()):
            part = jvm.org.apache.hadoop.fs.Path(f"{out.rstrip('/')}/.{f.name}.tmp")
            final = jvm.org.apache.hadoop.fs.Path(f"{out.rstrip('/')}/{f.name}")
            fs.copyFromLocalFile(True, True, jvm.org.apache.hadoop.fs.Path(f.as_uri()), part)  # from the local FS
            fs.delete(final, False)
            fs.rename(part, final)


def _write_summary(out: str, summary: dict[str, Any]) -> None:
    from khabar.writers import write_json

    if not _is_uri(out):
        write_json(Path(out.removeprefix("file://")) / "summary.json", summary)
        return
    import json

    from pyspark import SparkContext

    sc = SparkContext.getOrCreate()
    jvm = sc._jvm  # noqa: SLF001
    path = jvm.org.apache.hadoop.fs.Path(f"{out.rstrip('/')}/summary.json")
    stream = path.getFileSystem(sc._jsc.hadoopConfiguration()).create(path, True)  # noqa: SLF001
    stream.write(bytearray(json.dumps(summary, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"))
    stream.close()
