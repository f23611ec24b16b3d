"""Knowledge base: topic YAML files -> frozen FAQ entries, plus a checker for authors."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from faq.normalize import normalize

MAX_ANSWER_CHARS = 800
ACTIONS = frozenset({"signup", "reminders", "volunteer", "my_data", "topics"})
# Files in the data directory that are not topics.
NON_TOPIC_FILES = frozenset({"abbreviations.yaml", "smalltalk.yaml"})
_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_URL_RE = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d+)?(?:[/?#]\S*)?$")
_REQUIRED = ("id", "questions", "answer", "sources", "checked")


class KnowledgeBaseError(Exception):
    """Raised when the knowledge base files cannot be loaded cleanly."""


@dataclass(frozen=True)
class FaqEntry:
    """One question with several phrasings and its answer."""

    id: str
    topic: str
    questions: tuple[str, ...]
    answer: str
    sources: tuple[str, ...]
    checked: datetime.date
    keywords: tuple[str, ...] = ()
    action: str | None = None


@dataclass(frozen=True)
class Topic:
    """A group of entries shown to citizens under a short Vietnamese title."""

    id: str
    title: str


@dataclass(frozen=True)
class KnowledgeBase:
    """All topics and entries, in file order."""

    entries: tuple[FaqEntry, ...]
    topics: tuple[Topic, ...]
    _by_id: dict[str, FaqEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {e.id: e for e in self.entries})

    def get(self, faq_id: str) -> FaqEntry | None:
        """Return the entry with this id, or None."""
        return self._by_id.get(faq_id)

    def in_topic(self, topic_id: str) -> tuple[FaqEntry, ...]:
        """Return the entries of one topic, in file order."""
        return tuple(e for e in self.entries if e.topic == topic_id)

    def topic(self, topic_id: str) -> Topic | None:
        """Return the topic with this id, or None."""
        return next((t for t in self.topics if t.id == topic_id), None)


def default_data_dir() -> Path:
    """Directory of the shipped knowledge base (faq/data)."""
    return Path(__file__).parent / "data"


def load_knowledge_base(path: Path | None = None) -> KnowledgeBase:
    """Load every topic file in ``path``; raise KnowledgeBaseError listing all problems."""
    kb, problems = _read(path or default_data_dir())
    if problems or kb is None:
        raise KnowledgeBaseError(
            "knowledge base has problems:\n- " + "\n- ".join(problems or ["no entries"])
        )
    return kb


def check_knowledge_base(path: Path | None = None) -> list[str]:
    """Return human-readable problems in the knowledge base files; [] when clean."""
    return _read(path or default_data_dir())[1]


def _topic_files(path: Path) -> list[Path]:
    return sorted(p for p in path.glob("*.yaml") if p.name not in NON_TOPIC_FILES)


def _read(path: Path) -> tuple[KnowledgeBase | None, list[str]]:
    """Parse and validate all topic files; return the KB (if buildable) and problems."""
    problems: list[str] = []
    if not path.is_dir():
        return None, [f"{path}: not a directory"]
    files = _topic_files(path)
    if not files:
        return None, [f"{path}: no topic files (*.yaml)"]
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
        entry = _build_entry(file_name, topic_id, raw, topic_ids, problems)
        if entry is not None:
            entries.append(entry)
    _check_cross_entry(entries, problems)
    if problems or not entries:
        return None, problems
    return KnowledgeBase(entries=tuple(entries), topics=tuple(topics)), problems


def _read_file(file: Path, problems: list[str]) -> tuple[Topic | None, list[dict[str, Any]]]:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(f"{file.name}: cannot read YAML ({exc.__class__.__name__}: {exc})")
        return None, []
    if not isinstance(data, dict) or not isinstance(data.get("topic"), dict):
        problems.append(f"{file.name}: missing 'topic: {{id, title}}' mapping at the top")
        return None, []
    head = data["topic"]
    topic_id, title = head.get("id"), head.get("title")
    if not isinstance(topic_id, str) or not _ID_RE.match(topic_id):
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


def _str_tuple(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return tuple(v.strip() for v in value if v.strip())


def _build_entry(
    file_name: str, topic_id: str, raw: dict[str, Any], topic_ids: set[str], problems: list[str]
) -> FaqEntry | None:
    """Validate one raw entry; append problems; return the entry if it is usable."""
    entry_id = raw.get("id")
    where = f"{file_name}: entry {entry_id!r}"
    before = len(problems)
    missing = [k for k in _REQUIRED if raw.get(k) in (None, "", [])]
    if missing:
        problems.append(f"{where}: missing field(s) {', '.join(missing)}")
    if entry_id is not None and (not isinstance(entry_id, str) or not _ID_RE.match(entry_id)):
        problems.append(f"{where}: id must be lower-case-with-dashes")
    topic = raw.get("topic", topic_id)
    if topic not in topic_ids:
        problems.append(f"{where}: unknown topic {topic!r}")
    questions = _str_tuple(raw.get("questions", []))
    if questions is None:
        problems.append(f"{where}: 'questions' must be a list of strings")
    answer = raw.get("answer")
    if answer is not None and not isinstance(answer, str):
        problems.append(f"{where}: 'answer' must be text")
    elif isinstance(answer, str):
        if not answer.strip() and "answer" not in missing:
            problems.append(f"{where}: empty answer")
        if len(answer.strip()) > MAX_ANSWER_CHARS:
            problems.append(
                f"{where}: answer too long ({len(answer.strip())} > {MAX_ANSWER_CHARS} chars)"
            )
    sources = _str_tuple(raw.get("sources", []))
    if sources is None:
        problems.append(f"{where}: 'sources' must be a list of links")
    else:
        problems.extend(f"{where}: malformed link {s!r}" for s in sources if not _URL_RE.match(s))
    checked = raw.get("checked")
    if checked is not None and (
        not isinstance(checked, datetime.date) or isinstance(checked, datetime.datetime)
    ):
        problems.append(f"{where}: 'checked' must be a date like 2026-11-28")
    keywords = _str_tuple(raw.get("keywords", []))
    if keywords is None:
        problems.append(f"{where}: 'keywords' must be a list of strings (quote numbers: \"2022\")")
    action = raw.get("action")
    if action is not None and action not in ACTIONS:
        problems.append(f"{where}: unknown action {action!r} (use one of {sorted(ACTIONS)})")
    unknown = set(raw) - {*_REQUIRED, "topic", "keywords", "action"}
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    if len(problems) > before:
        return None
    assert questions is not None and sources is not None and keywords is not None
    assert isinstance(checked, datetime.date)
    return FaqEntry(
        id=str(entry_id),
        topic=str(topic),
        questions=questions,
        answer=str(answer).strip(),
        sources=sources,
        checked=checked,
        keywords=keywords,
        action=action,
    )


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
