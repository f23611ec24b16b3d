"""Sources of answers: who publishes each site, how authoritative it is, when it was checked."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from faq.yamlfile import load_yaml

PUBLISHERS_FILE = "publishers.yaml"
DEFAULT_PUBLISHERS = Path(__file__).parent / "data" / PUBLISHERS_FILE


@dataclass(frozen=True)
class Publisher:
    """The organisation behind a site and its kind (government, newspaper, ...)."""

    name: str
    kind: str


@dataclass(frozen=True)
class Source:
    """One link behind an answer, with its publisher and the day it was last verified."""

    url: str
    publisher: str
    kind: str
    rank: int  # position of `kind` in the ranking: 0 is the most authoritative
    checked: datetime.date


@dataclass(frozen=True)
class PublisherTable:
    """Publishers by host, and the kinds from most to least authoritative."""

    kinds: tuple[str, ...]
    by_host: dict[str, Publisher]

    def lookup(self, url: str) -> Publisher | None:
        """The publisher of ``url``: its host, else the nearest listed parent domain."""
        host = host_of(url)
        labels = host.split(".")
        for i in range(len(labels) - 1):
            found = self.by_host.get(".".join(labels[i:]))
            if found is not None:
                return found
        return None

    def rank(self, kind: str) -> int:
        return self.kinds.index(kind) if kind in self.kinds else len(self.kinds)


def host_of(url: str) -> str:
    """Lower-case host of ``url`` without a leading 'www.'."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def read_publishers(path: Path) -> tuple[PublisherTable | None, list[str]]:
    """Parse a publishers file; return the table (if usable) and the problems found."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, [f"{path.name}: cannot read YAML ({exc.__class__.__name__}: {exc})"]
    problems: list[str] = []
    kinds = raw.get("kinds") if isinstance(raw, dict) else None
    entries = raw.get("publishers") if isinstance(raw, dict) else None
    if not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds):
        return None, [f"{path.name}: 'kinds' must be a non-empty list of names"]
    if not isinstance(entries, dict):
        return None, [f"{path.name}: 'publishers' must map host names to {{name, kind}}"]
    by_host: dict[str, Publisher] = {}
    for host, value in entries.items():
        name = value.get("name") if isinstance(value, dict) else None
        kind = value.get("kind") if isinstance(value, dict) else None
        if not isinstance(name, str) or not name.strip() or kind not in kinds:
            problems.append(f"{path.name}: {host}: needs a name and a kind among {kinds}")
            continue
        if str(host).endswith(".gov.vn") and kind != kinds[0]:
            problems.append(f"{path.name}: {host}: a .gov.vn site is of kind {kinds[0]!r}")
        by_host[str(host).lower().removeprefix("www.")] = Publisher(name.strip(), str(kind))
    return PublisherTable(tuple(str(k) for k in kinds), by_host), problems


@lru_cache(maxsize=8)
def load_publishers(path: Path = DEFAULT_PUBLISHERS) -> PublisherTable:
    """Load a publishers file once; raise ValueError when it has problems."""
    table, problems = read_publishers(path)
    if table is None or problems:
        raise ValueError("; ".join(problems))
    return table


def rank_sources(sources: Iterable[Source]) -> tuple[Source, ...]:
    """Most authoritative first; sources of the same kind keep their written order."""
    return tuple(sorted(sources, key=lambda s: s.rank))
