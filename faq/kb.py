"""Knowledge base: topic YAML files -> frozen FAQ entries, plus a checker for authors.

Reads every topic file of a data directory (the format is described in faq/kb_model.py,
one entry is validated by faq/kb_entry.py), checks what spans files (duplicate ids,
colliding phrasings, check dates in the future) and lists entries due for a new check.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from faq.kb_entry import ID_RE, build_entry
from faq.kb_model import (
    KNOWN_FEATURES,
    NON_TOPIC_FILES,
    FaqEntry,
    KnowledgeBase,
    KnowledgeBaseError,
    Topic,
)
from faq.normalize import normalize
from faq.sources import DEFAULT_PUBLISHERS, PUBLISHERS_FILE, PublisherTable, read_publishers
from faq.yamlfile import load_yaml


def default_data_dir() -> Path:
    """Directory of the shipped knowledge base (faq/data)."""
    return Path(__file__).parent / "data"


def load_knowledge_base(
    path: Path | None = None, *, features: Collection[str] = KNOWN_FEATURES
) -> KnowledgeBase:
    """Load every topic file in ``path``; raise KnowledgeBaseError listing all problems."""
    kb, problems, _ = _read(path or default_data_dir(), features)
    if problems or kb is None:
        raise KnowledgeBaseError(
            "knowledge base has problems:\n- " + "\n- ".join(problems or ["no entries"])
        )
    return kb


def check_knowledge_base(
    path: Path | None = None,
    *,
    today: datetime.date | None = None,
    features: Collection[str] = KNOWN_FEATURES,
) -> list[str]:
    """Return human-readable problems in the knowledge base files; [] when clean.

    Besides the structure, a check date after ``today`` (default: the system date) is a
    problem: a date nobody has reached yet cannot be when a fact was verified.
    """
    _, problems, entries = _read(path or default_data_dir(), features)
    return problems + _future_checks(entries, today or datetime.date.today())


def stale_entries(
    kb: KnowledgeBase, today: datetime.date, months: int
) -> list[tuple[FaqEntry, datetime.date]]:
    """Entries with a fact last verified more than ``months`` months before ``today``.

    Returns (entry, oldest check date), oldest first.
    """
    limit = months_before(today, months)
    due = [(e, e.last_checked()) for e in kb.entries if e.last_checked() < limit]
    return sorted(due, key=lambda pair: (pair[1], pair[0].id))


def months_before(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved back by whole months (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    next_month = datetime.date(year + month // 12, month % 12 + 1, 1)
    last = (next_month - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last))


def _future_checks(entries: list[FaqEntry], today: datetime.date) -> list[str]:
    problems = []
    for entry in entries:
        dates = {entry.checked, *(s.checked for s in entry.citations)}
        for day in sorted(d for d in dates if d > today):
            problems.append(
                f"entry {entry.id!r}: check date {day.isoformat()} is in the future "
                f"(today is {today.isoformat()}); write the day the fact was verified"
            )
    return problems


def _topic_files(path: Path) -> list[Path]:
    return sorted(p for p in path.glob("*.yaml") if p.name not in NON_TOPIC_FILES)


def _publishers(path: Path, problems: list[str]) -> PublisherTable | None:
    """The data directory's own publishers file, else the shipped one."""
    own = path / PUBLISHERS_FILE
    table, found = read_publishers(own if own.is_file() else DEFAULT_PUBLISHERS)
    problems.extend(found)
    return table


def _read(
    path: Path, features: Collection[str]
) -> tuple[KnowledgeBase | None, list[str], list[FaqEntry]]:
    """Parse and validate all topic files: the KB (if buildable), problems, valid entries."""
    problems: list[str] = []
    if not path.is_dir():
        return None, [f"{path}: not a directory"], []
    files = _topic_files(path)
    if not files:
        return None, [f"{path}: no topic files (*.yaml)"], []
    publishers = _publishers(path, problems)
    topics: list[Topic] = []
    raw_entries: list[tuple[str, str, dict[str, Any]]] = []  # (file, topic id, raw)
    for file in files:
        topic, raws = _read_file(file, problems)
        if topic is None:
            continue
        if any(t.id == topic.id for t in topics):
            problems.append(f"{file.name}: duplicate topic id {topic.id!r}")
        topics.append(topic)
        raw_entries.extend((file.name, topic.id, e) for e in raws)
    topic_ids = {t.id for t in topics}
    entries: list[FaqEntry] = []
    for file_name, topic_id, raw in raw_entries:
        where = f"{file_name}: entry {raw.get('id')!r}"
        entry = build_entry(where, topic_id, raw, topic_ids, features, publishers, problems)
        if entry is not None:
            entries.append(entry)
    _check_cross_entry(entries, problems)
    if problems or not entries:
        return None, problems, entries
    return KnowledgeBase(entries=tuple(entries), topics=tuple(topics)), problems, entries


def _read_file(file: Path, problems: list[str]) -> tuple[Topic | None, list[dict[str, Any]]]:
    try:
        data = load_yaml(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(f"{file.name}: cannot read YAML ({exc.__class__.__name__}: {exc})")
        return None, []
    if not isinstance(data, dict) or not isinstance(data.get("topic"), dict):
        problems.append(f"{file.name}: missing 'topic: {{id, title}}' mapping at the top")
        return None, []
    head = data["topic"]
    topic_id, title = head.get("id"), head.get("title")
    if not isinstance(topic_id, str) or not ID_RE.match(topic_id):
        problems.append(f"{file.name}: topic id {topic_id!r} must be lower-case-with-dashes")
        return None, []
    if not isinstance(title, str) or not title.strip():
        problems.append(f"{file.name}: topic {topic_id!r} has no title")
    entries = data.get("entries")
    if not isinstance(entries, list) or not entries:
        problems.append(f"{file.name}: 'entries' must be a non-empty list")
        entries = []
    default_checked = head.get("checked")
    good: list[dict[str, Any]] = []
    for i, raw in enumerate(entries):
        if not isinstance(raw, dict):
            problems.append(f"{file.name}: entry #{i + 1} is not a mapping")
            continue
        if default_checked is not None:
            raw = {"checked": default_checked, **raw}
        good.append(raw)
    return Topic(id=topic_id, title=str(title or "").strip()), good


def _check_cross_entry(entries: list[FaqEntry], problems: list[str]) -> None:
    """Duplicate ids and phrasings that collide after normalization."""
    seen_ids: set[str] = set()
    owner: dict[str, str] = {}
    for entry in entries:
        if entry.id in seen_ids:
            problems.append(f"duplicate entry id {entry.id!r}")
        seen_ids.add(entry.id)
        for question in entry.questions:
            key = normalize(question)
            if not key:
                problems.append(
                    f"entry {entry.id!r}: phrasing {question!r} is empty when normalized"
                )
                continue
            other = owner.setdefault(key, entry.id)
            if other != entry.id:
                problems.append(
                    f"entry {entry.id!r}: phrasing {question!r} collides with entry {other!r} "
                    f"after normalization ({key!r})"
                )
