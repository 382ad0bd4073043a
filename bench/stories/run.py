"""Story benchmark: khabar's stories vs a plain TF-IDF cosine baseline on the hand-labelled ANT set.

Both systems cluster the WHOLE ANT corpus (31,525 articles, so look-alikes and unlabelled articles can
pull labelled ones into wrong stories); scores are computed over the labelled articles only
(labels.jsonl, see RULES.md): B-cubed precision/recall/F1 and pairwise precision/recall/F1.

    python bench/stories/run.py [--corpus ../shared/data/ant/ant-news.jsonl.gz] [--out bench/results/stories.json]
"""

from __future__ import annotations

import argparse
import json
import pickle
import platform
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "ant" / "ant-news.jsonl.gz"


def bcubed(pred: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    ids = sorted(gold)
    by_pred: dict[str, set[str]] = defaultdict(set)
    by_gold: dict[str, set[str]] = defaultdict(set)
    for i in ids:
        by_pred[pred[i]].add(i)
        by_gold[gold[i]].add(i)
    p = r = 0.0
    for i in ids:
        c, g = by_pred[pred[i]], by_gold[gold[i]]
        both = len(c & g)
        p += both / len(c)
        r += both / len(g)
    p, r = p / len(ids), r / len(ids)
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def pairwise(pred: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    ids = sorted(gold)
    tp = fp = fn = 0
    for x in range(len(ids)):
        for y in range(x + 1, len(ids)):
            a, b = ids[x], ids[y]
            same_p, same_g = pred[a] == pred[b], gold[a] == gold[b]
            tp += same_p and same_g
            fp += same_p and not same_g
            fn += same_g and not same_p
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def scores(pred: dict[str, str], gold: dict[str, str]) -> dict[str, float]:
    bp, br, bf = bcubed(pred, gold)
    pp, pr, pf = pairwise(pred, gold)
    return {
        k: round(v, 4)
        for k, v in dict(bcubed_p=bp, bcubed_r=br, bcubed_f1=bf, pair_p=pp, pair_r=pr, pair_f1=pf).items()
    }


def load_labels() -> dict[str, str]:
    with open(HERE / "labels.jsonl", encoding="utf-8") as fh:
        return {d["id"]: d["story"] for d in map(json.loads, fh)}


def _cache_key(corpus: Path) -> str:
    """What the cached preparation depends on: the corpus file and khabar's code (any change to a
    source file makes the cache stale: a stale cache once hid a change to the reuse passages)."""
    import hashlib

    import khabar

    h = hashlib.blake2b(digest_size=16)
    st = corpus.stat()
    h.update(f"{corpus.resolve()} {st.st_size} {st.st_mtime_ns}".encode())
    package = Path(khabar.__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".pyx", ".pxd", ".h", ".gz", ".tsv", ".json"):
            h.update(str(path.relative_to(package)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def prepare(corpus: Path, cache: Path | None) -> tuple[list, object, float]:
    """Read, clean and find reuse pairs once (cached, keyed by the corpus and khabar's code: it is
    not what this benchmark measures)."""
    from khabar.clean import clean_articles
    from khabar.reuse import find_pairs
    from khabar.scan import read_all

    key = _cache_key(corpus)
    if cache and cache.exists():
        with open(cache, "rb") as fh:
            found = pickle.load(fh)
        if isinstance(found, dict) and found.get("key") == key:
            return found["prepared"]
    t0 = time.perf_counter()
    articles, _, _ = read_all([str(corpus)], warn=False)
    clean_articles(articles)
    reuse = find_pairs(articles)
    for a in articles:
        a.view = None  # not worth pickling
    out = (articles, reuse, time.perf_counter() - t0)
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with open(cache, "wb") as fh:
            pickle.dump({"key": key, "prepared": out}, fh)
    return out


def khabar_stories(articles: list, reuse: object, **link: float) -> tuple[dict[str, str], float, int]:
    from khabar.stories.build import build_stories
    from khabar.stories.link import LinkParams

    t0 = time.perf_counter()
    result = build_stories(articles, reuse.pairs, reuse.sizes, LinkParams(**link))
    seconds = time.perf_counter() - t0
    pred = {articles[k].id: sid for (k, key), sid in result.unit_story.items() if key == "body"}
    return pred, seconds, len(result.stories)


def components(n: int, edges: Iterable[tuple[int, int]]) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    e = np.array(list(edges), dtype=np.int64).reshape(-1, 2)
    g = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    return connected_components(g, directed=False)[1]


def tfidf_baseline(docs: list[dict], threshold: float) -> tuple[dict[str, str], float]:
    """Plain TF-IDF (scikit-learn, whitespace words, no Arabic processing) cosine ≥ threshold,
    connected components, no time window."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    t0 = time.perf_counter()
    x = TfidfVectorizer(sublinear_tf=True, min_df=1, token_pattern=r"(?u)\b\w+\b").fit_transform(
        [f"{d.get('title') or ''}\n{d['text']}" for d in docs]
    )
    edges: list[tuple[int, int]] = []
    for lo in range(0, x.shape[0], 2000):
        s = (x[lo : lo + 2000] @ x.T).tocoo()
        keep = (s.data >= threshold) & (s.row + lo < s.col)
        edges.extend(zip((s.row[keep] + lo).tolist(), s.col[keep].tolist(), strict=True))
    labels = components(len(docs), edges)
    return {d["id"]: f"c{labels[k]}" for k, d in enumerate(docs)}, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--cache", type=Path, default=ROOT / "bench" / "work" / "stories-prep.pkl")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "stories.json")
    args = ap.parse_args()
    gold = load_labels()
    articles, reuse, prep_seconds = prepare(args.corpus, args.cache)
    docs = [{"id": a.id, "title": a.title, "text": a.text} for a in articles]
    missing = [i for i in gold if i not in {a.id for a in articles}]
    if missing:
        sys.exit(f"labelled ids missing from the corpus: {missing[:5]}")
    results: dict[str, dict] = {}
    pred, seconds, n = khabar_stories(articles, reuse)
    results["khabar"] = {**scores(pred, gold), "seconds": round(seconds, 2), "stories": n}
    for th in (0.3, 0.4, 0.5, 0.6):
        pred, seconds = tfidf_baseline(docs, th)
        results[f"tfidf_cosine>={th}"] = {
            **scores(pred, gold),
            "seconds": round(seconds, 2),
            "stories": len(set(pred.values())),
        }
    report = {
        "corpus_articles": len(articles),
        "labelled_articles": len(gold),
        "labelled_stories": len(set(gold.values())),
        "machine": f"{platform.machine()}, {platform.python_version()}, {__import__('os').cpu_count()} cores",
        "prep_seconds_read_clean_reuse": round(prep_seconds, 1),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(articles)} articles; {len(gold)} labelled in {report['labelled_stories']} stories\n")
    print("| system | B³ P | B³ R | B³ F1 | pair P | pair R | pair F1 | stories | seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['bcubed_p']:.3f} | {r['bcubed_r']:.3f} | {r['bcubed_f1']:.3f} | {r['pair_p']:.3f} | "
            f"{r['pair_r']:.3f} | {r['pair_f1']:.3f} | {r['stories']} | {r['seconds']} |"
        )


if __name__ == "__main__":
    main()
