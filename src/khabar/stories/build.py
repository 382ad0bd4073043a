"""Build the stories of a scan: units → links → components → stories.jsonl records with provenance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from khabar.article import Article
from khabar.clean.lines import split_lines
from khabar.stories.cluster import StoryIndex
from khabar.stories.features import StoryUnit, story_units_of
from khabar.stories.link import LinkBlock, LinkParams, days_apart, lexical_link_arrays
from khabar.stories.wires import wire_credits
from khabar.times import article_time

if TYPE_CHECKING:
    from khabar.prepare import Prepared

UnitKey = tuple[int, str]  # (article index, unit key)


@dataclass
class StoryResult:
    stories: list[dict[str, Any]]
    unit_story: dict[UnitKey, str] = field(default_factory=dict)
    times: list[tuple[datetime | None, str | None]] = field(default_factory=list)
    wires: dict[UnitKey, list[str]] = field(default_factory=dict)


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


def unit_coverage(
    pairs: Sequence[dict[str, Any]], index_of: dict[str, int], sizes: dict[UnitKey, int]
) -> dict[tuple[UnitKey, UnitKey], float]:
    """For each pair of units sharing passages: the larger share of either unit's words they share."""
    words: dict[tuple[UnitKey, UnitKey], list[int]] = defaultdict(lambda: [0, 0])
    for pair in pairs:
        ia, ib = index_of[pair["a"]], index_of[pair["b"]]
        for p in pair["passages"]:
            w = words[((ia, p["a_unit"]), (ib, p["b_unit"]))]
            w[0] += p["words"]
            w[1] += p["words"]
    return {
        (ua, ub): max(wa / max(1, sizes.get(ua, 0)), wb / max(1, sizes.get(ub, 0)))
        for (ua, ub), (wa, wb) in words.items()
    }


def _order_key(u: StoryUnit) -> tuple[bool, float, int]:
    """Publication order: timed before untimed, then by time, then by ingestion."""
    return (u.time is None, u.timestamp or 0.0, u.article)


def build_stories(
    articles: Sequence[Article],
    pairs: Sequence[dict[str, Any]],
    sizes: dict[UnitKey, int],
    params: LinkParams = LinkParams(),
    prepared: Sequence[Prepared] | None = None,
    jobs: int = 1,
    lexical: Callable[[], Iterable[LinkBlock]] | None = None,
) -> StoryResult:
    """The stories of cleaned articles; ``prepared`` (from :func:`khabar.prepare.prepare_articles`)
    saves computing their story units, times and wire credits again; ``jobs``: worker processes;
    ``lexical``: gives the lexical links of the prepared articles' story units (in order) if they
    were computed already (see :func:`khabar.scan.analyse`)."""
    if prepared is None:
        times, units, wires = _features(articles)
    else:
        times = [p.time for p in prepared]
        units = story_units(prepared)
        wires = {(k, key): w for k, p in enumerate(prepared) for key, w in p.wires.items()}
    by_key = {(u.article, u.key): u for u in units}
    index_of = {a.id: k for k, a in enumerate(articles)}
    index = StoryIndex(params)
    index.add(units, _reuse_links(pairs, index_of, sizes, by_key, params), jobs=jobs, lexical=lexical)
    result = StoryResult([], times=times, wires=wires)
    stories = index.stories()
    for sid, members in stories.items():
        for u in members:
            result.unit_story[(u.article, u.key)] = sid
    claims = story_claims(pairs, index_of, by_key, result.unit_story)
    records = [_record(sid, members, result, claims.get(sid, {})) for sid, members in stories.items()]
    records.sort(key=lambda r: (-len(r["members"]), r["start"] or "9999", r["story"]))
    result.stories = records
    return result


def story_units(prepared: Sequence[Prepared]) -> list[StoryUnit]:
    """The story units of prepared articles, in order (what :func:`build_stories` links)."""
    return [u for p in prepared for u in p.story_units]


def lexical_links(units: Sequence[StoryUnit], params: LinkParams = LinkParams(), jobs: int = 1) -> list[LinkBlock]:
    """Every lexical link of ``units`` (blocks of :func:`lexical_link_arrays`), for ``build_stories``'
    ``lexical``."""
    return list(lexical_link_arrays(units, params, jobs=jobs))


def _reuse_links(
    pairs: Sequence[dict[str, Any]],
    index_of: dict[str, int],
    sizes: dict[UnitKey, int],
    by_key: dict[UnitKey, StoryUnit],
    params: LinkParams,
) -> Iterator[tuple[StoryUnit, StoryUnit]]:
    """The unit pairs that share enough of their words to add the reuse bonus to their link (read
    lazily: :meth:`StoryIndex.add` reads them while its workers compute the lexical links)."""
    for (ka, kb), cov in unit_coverage(pairs, index_of, sizes).items():
        a, b = by_key.get(ka), by_key.get(kb)
        if a is None or b is None or cov < params.reuse_coverage:
            continue
        dt = days_apart(a, b)
        if dt is None or dt <= params.max_days:
            yield a, b


FEATURE_BATCH = 128  # articles whose story features are computed together


def _features(
    articles: Sequence[Article],
) -> tuple[list[tuple[datetime | None, str | None]], list[StoryUnit], dict[UnitKey, list[str]]]:
    """Times, story units and wire credits of every article, a batch at a time (the views this
    needs are dropped after each batch)."""
    times: list[tuple[datetime | None, str | None]] = []
    units: list[StoryUnit] = []
    wires: dict[UnitKey, list[str]] = {}
    for lo in range(0, len(articles), FEATURE_BATCH):
        ks = range(lo, min(len(articles), lo + FEATURE_BATCH))
        had_view = [articles[k].view is not None for k in ks]
        times.extend(article_time(articles[k]) for k in ks)
        batch = [(articles[k], k, times[k][0]) for k in ks]
        for (a, _, _), found in zip(batch, story_units_of(batch), strict=True):
            lines = split_lines(a.text, a.text_view())
            for u in found:
                wires[(u.article, u.key)] = wire_credits(a, u.segments, lines)
            units.extend(found)
        for (a, _, _), had in zip(batch, had_view, strict=True):
            if not had:
                a.view = None
    return times, units, wires


def _record(sid: str, members: list[StoryUnit], result: StoryResult, claims: Claims) -> dict[str, Any]:
    """The stories.jsonl record of one story (one of a single unit, most stories, without sorting)."""
    if len(members) == 1:
        first = members[0]
        ordered, size = members, 1
        sources = [first.source] if first.source else []
        start = end = first.time
        wires = set(result.wires.get((first.article, first.key), []))
    else:
        first = min(members, key=_order_key)  # the first of the earliest (sorted() is stable, so is min)
        ordered, size = sorted(members, key=lambda u: (u.article, u.key)), len({u.article for u in members})
        sources = sorted({u.source for u in members if u.source})
        timed = [u.time for u in members if u.time]
        start, end = (min(timed), max(timed)) if timed else (None, None)
        wires = {w for u in members for w in result.wires.get((u.article, u.key), [])}
    return {
        "story": sid,
        "title": first.title,
        "size": size,
        "members": [{"article": u.article_id, "segment": k, "unit": u.key} for u in ordered for k in u.segments],
        "first": first.article_id,
        "sources": sources,
        "start": _iso(start),
        "end": _iso(end),
        "wires": sorted(wires),
        "provenance": provenance(claims),
    }


Claim = tuple[tuple[bool, float, int], dict[str, Any], str]  # (order of the source, passage, source id)
Claims = dict[str, list[Claim]]  # copying article id → its claims


def story_claims(
    pairs: Sequence[dict[str, Any]],
    index_of: dict[str, int],
    by_key: dict[UnitKey, StoryUnit],
    unit_story: dict[UnitKey, str],
) -> dict[str, Claims]:
    """Every passage shared by two units of one story, as a claim of the later unit on the earlier,
    grouped by story (one pass over the pairs)."""
    out: dict[str, Claims] = defaultdict(lambda: defaultdict(list))
    for pair in pairs:
        ia, ib = index_of[pair["a"]], index_of[pair["b"]]
        for p in pair["passages"]:
            ka, kb = (ia, p["a_unit"]), (ib, p["b_unit"])
            sid = unit_story.get(ka)
            if sid is None or sid != unit_story.get(kb):
                continue
            ua, ub = by_key[ka], by_key[kb]
            if _order_key(ua) <= _order_key(ub):
                early, late, span, src = ua, ub, (p["b_start"], p["b_end"]), (p["a_start"], p["a_end"])
            else:
                early, late, span, src = ub, ua, (p["a_start"], p["a_end"]), (p["b_start"], p["b_end"])
            passage = {
                "start": span[0],
                "end": span[1],
                "from_start": src[0],
                "from_end": src[1],
                "score": p["score"],
                "words": p["words"],
            }
            out[sid][late.article_id].append((_order_key(early), passage, early.article_id))
    return out


def provenance(claims: Claims) -> list[dict[str, Any]]:
    """For each passage a story member took from another, the earliest member it is found in."""
    out: list[dict[str, Any]] = []
    for article_id in sorted(claims):
        kept: list[dict[str, Any]] = []
        for _, passage, source in sorted(claims[article_id], key=lambda c: (c[0], c[1]["start"])):
            overlap = any(
                min(passage["end"], k["passage"]["end"]) - max(passage["start"], k["passage"]["start"])
                > 0.5 * (passage["end"] - passage["start"])
                for k in kept
            )
            if not overlap:
                kept.append({"article": article_id, "passage": passage, "from": source})
        out.extend(sorted(kept, key=lambda k: k["passage"]["start"]))
    return out
