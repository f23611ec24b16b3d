"""Group similar free-text questions (for the organizer's "unanswered questions" report)."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process

from faq.normalize import normalize


def group_similar(texts: Sequence[str], threshold: float = 75.0) -> list[list[int]]:
    """Return indices of ``texts`` grouped by similarity of their normalized form.

    Two texts are linked when rapidfuzz ``token_sort_ratio`` of their normalized
    forms is >= ``threshold``; groups are the connected components. Largest group
    first, then by first index; indices inside a group are ascending. Texts that
    normalize to "" each form their own group.
    """
    norm = [normalize(t) for t in texts]
    parent = list(range(len(norm)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    live = [i for i, t in enumerate(norm) if t]
    choices = [norm[i] for i in live]
    for a, i in enumerate(live):
        # extract (not cdist) keeps rapidfuzz free of the optional numpy dependency.
        for _, _, b in process.extract(
            norm[i], choices, scorer=fuzz.token_sort_ratio, score_cutoff=threshold, limit=None
        ):
            if b > a:
                parent[find(live[b])] = find(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(norm)):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))
