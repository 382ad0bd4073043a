"""Build khabar's shipped IDF table (src/khabar/data/idf.tsv.gz) from a JSONL corpus.

Story similarity uses a *fixed* IDF so that the similarity of two articles does not depend on what
else was scanned: that is what makes incremental clustering give the same stories as a batch.

    python tools/build_idf.py ../shared/data/ant/ant-news.jsonl.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
from collections import Counter
from pathlib import Path

from khabar.normalize import normalize_text
from khabar.stem import VERSION as STEM_VERSION
from khabar.stem import stems

OUT = Path(__file__).resolve().parent.parent / "src" / "khabar" / "data" / "idf.tsv.gz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--min-df", type=int, default=2)
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    df: Counter[str] = Counter()
    n = 0
    seen: set[int] = set()
    with gzip.open(args.corpus, "rt", encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            text = f"{doc.get('title') or ''}\n{doc.get('text') or ''}"
            key = hash(text)
            if key in seen:  # the corpus files some articles twice
                continue
            seen.add(key)
            n += 1
            df.update(set(stems(normalize_text(text))))
    with gzip.open(args.out, "wt", encoding="utf-8") as out:
        out.write(f"#documents\t{n}\tstemmer\t{STEM_VERSION}\n")
        for term, d in sorted(df.items(), key=lambda kv: (-kv[1], kv[0])):
            if d >= args.min_df:
                out.write(f"{term}\t{round(math.log((n + 1) / (d + 1)) + 1, 4)}\n")
    print(f"{n} documents, {sum(1 for d in df.values() if d >= args.min_df)} terms → {args.out}")


if __name__ == "__main__":
    main()
