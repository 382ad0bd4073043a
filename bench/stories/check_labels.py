#!/usr/bin/env python3
"""Validate the hand-labelled story set and print a summary.

Usage:
    python bench/stories/check_labels.py [--corpus PATH]

Checks:
  * every line of labels.jsonl / stories.jsonl is valid JSON with the expected fields;
  * every labelled id exists in the ANT corpus;
  * every labelled article is in exactly one story, and every story it names exists;
  * stories.jsonl `size` and `outlets` match the labels;
  * `lookalike_of` (when set) names an existing, different story;
  * articles that are byte-identical copies of a labelled article in the same outlet
    (the corpus files some articles under two categories) are labelled in the same story.
Exits non-zero if any check fails.
"""

import argparse
import collections
import gzip
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = "/work/shared/data/ant/ant-news.jsonl.gz"


def load_jsonl(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{n}: invalid JSON: {e}")
    return out


def norm(t):
    return re.sub(r"\s+", " ", t).strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--labels", default=str(HERE / "labels.jsonl"))
    ap.add_argument("--stories", default=str(HERE / "stories.jsonl"))
    a = ap.parse_args()

    errors = []
    labels = load_jsonl(a.labels)
    stories = load_jsonl(a.stories)

    corpus = {}
    with gzip.open(a.corpus, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            corpus[r["id"]] = r

    # --- labels
    for lab in labels:
        for k in ("id", "story", "lookalike_of"):
            if k not in lab:
                errors.append(f"label missing field {k!r}: {lab}")
    count = collections.Counter(lab["id"] for lab in labels)
    for i, c in count.items():
        if c > 1:
            errors.append(f"{i} labelled {c} times")
    for lab in labels:
        if lab["id"] not in corpus:
            errors.append(f"{lab['id']} not in corpus")

    # --- stories
    smap = {}
    for s in stories:
        for k in ("story", "event", "size", "outlets"):
            if k not in s:
                errors.append(f"story missing field {k!r}: {s}")
        if s["story"] in smap:
            errors.append(f"story {s['story']} listed twice")
        smap[s["story"]] = s
    members = collections.defaultdict(list)
    for lab in labels:
        if lab["story"] not in smap:
            errors.append(f"{lab['id']}: unknown story {lab['story']}")
        members[lab["story"]].append(lab["id"])
        lk = lab.get("lookalike_of")
        if lk is not None and (lk not in smap or lk == lab["story"]):
            errors.append(f"{lab['id']}: bad lookalike_of {lk!r}")
    for sid, s in smap.items():
        ids = [i for i in members.get(sid, []) if i in corpus]
        if not members.get(sid):
            errors.append(f"story {sid} has no articles")
        if s["size"] != len(members.get(sid, [])):
            errors.append(f"story {sid}: size {s['size']} != {len(members.get(sid, []))} labels")
        outs = sorted({corpus[i]["source"] for i in ids})
        if sorted(s["outlets"]) != outs:
            errors.append(f"story {sid}: outlets {s['outlets']} != {outs}")

    # --- same-outlet identical copies must share the story
    bykey = collections.defaultdict(list)
    for r in corpus.values():
        if len(r["text"].strip()) > 30:
            bykey[(r["source"], norm(r["text"]))].append(r["id"])
    story_of = {lab["id"]: lab["story"] for lab in labels}
    for lab in labels:
        r = corpus.get(lab["id"])
        if not r or len(r["text"].strip()) <= 30:
            continue
        for j in bykey[(r["source"], norm(r["text"]))]:
            if j != lab["id"] and story_of.get(j) != lab["story"]:
                errors.append(f"{lab['id']} ({lab['story']}) has identical copy {j} labelled {story_of.get(j)}")

    # --- summary
    n_art = len(labels)
    sizes = collections.Counter(len(v) for v in members.values())
    outl = collections.Counter(len(s["outlets"]) for s in smap.values())
    look_art = sum(1 for lab in labels if lab.get("lookalike_of"))
    look_st = sum(1 for sid in smap if any(x.get("lookalike_of") for x in labels if x["story"] == sid))
    print(f"articles labelled : {n_art}")
    print(f"stories           : {len(smap)}")
    print(f"singleton stories : {sizes.get(1, 0)}")
    print(f"largest story     : {max(sizes) if sizes else 0}")
    print("story size histogram   : " + ", ".join(f"{k}:{v}" for k, v in sorted(sizes.items())))
    print("outlets/story histogram: " + ", ".join(f"{k}:{v}" for k, v in sorted(outl.items())))
    print(f"stories with >=2 outlets: {sum(v for k, v in outl.items() if k >= 2)}")
    print(f"look-alike articles : {look_art} (in {look_st} look-alike stories)")
    cats = collections.Counter(corpus[lab["id"]]["category"] for lab in labels if lab["id"] in corpus)
    srcs = collections.Counter(corpus[lab["id"]]["source"] for lab in labels if lab["id"] in corpus)
    months = collections.Counter(corpus[lab["id"]]["published"][:7] for lab in labels if lab["id"] in corpus)
    print("by category : " + ", ".join(f"{k}:{v}" for k, v in cats.most_common()))
    print("by outlet   : " + ", ".join(f"{k}:{v}" for k, v in srcs.most_common()))
    print("by month    : " + ", ".join(f"{k}:{v}" for k, v in sorted(months.items())))
    if errors:
        print(f"\n{len(errors)} ERROR(S):")
        for e in errors[:50]:
            print("  " + e)
        sys.exit(1)
    print("\nOK: all checks passed")


if __name__ == "__main__":
    main()
