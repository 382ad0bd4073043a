"""Incremental story clustering: connected components over pairwise links, with stable story ids.

Links depend only on the two units they join (see :mod:`khabar.stories.link`), so the components of
the link graph are the same whatever order articles arrive in, and however they are batched.  A
story's id is derived from its founding unit: the earliest timed member (an untimed one only when
no member has a time), ties broken by article id.  Adding articles can only merge stories; the merged
story keeps the id of the earliest founder, so ids of earlier stories stay valid or move to the story
that absorbed them (``StoryIndex.renamed`` records which).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from khabar.stories.features import StoryUnit
from khabar.stories.link import LinkParams, lexical_links


def founder_key(u: StoryUnit) -> tuple[bool, float, str, str]:
    return (u.time is None, u.timestamp or 0.0, u.article_id, u.key)


def story_id(u: StoryUnit) -> str:
    digest = hashlib.blake2b(f"{u.article_id}\x00{u.key}".encode(), digest_size=6).hexdigest()
    return f"story-{digest}"


@dataclass
class StoryIndex:
    """Units, their links, and the stories (components) they form; grows with :meth:`add`."""

    params: LinkParams = field(default_factory=LinkParams)
    units: list[StoryUnit] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # old story id → the story that absorbed it

    def _find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def _union(self, i: int, j: int) -> None:
        ri, rj = self._find(i), self._find(j)
        if ri == rj:
            return
        a, b = (ri, rj) if founder_key(self.units[ri]) <= founder_key(self.units[rj]) else (rj, ri)
        self.renamed[story_id(self.units[b])] = story_id(self.units[a])
        self.parent[b] = a  # the root is always the founder

    def add(self, new: Sequence[StoryUnit], reuse_links: Iterable[tuple[StoryUnit, StoryUnit]] = ()) -> None:
        """Add units, link them to each other and to every unit already indexed."""
        start = len(self.units)
        self.units.extend(new)
        self.parent.extend(range(start, len(self.units)))
        for i, j, _ in lexical_links(self.units, self.params, new_from=start):
            self._union(i, j)
        position = {id(u): k for k, u in enumerate(self.units)}
        for a, b in reuse_links:
            self._union(position[id(a)], position[id(b)])

    def stories(self) -> dict[str, list[StoryUnit]]:
        """Story id → member units (in index order)."""
        groups: dict[int, list[StoryUnit]] = defaultdict(list)
        for k, u in enumerate(self.units):
            groups[self._find(k)].append(u)
        return {story_id(self.units[root]): members for root, members in groups.items()}
