"""Knowledge base: topic YAML files -> frozen FAQ entries, plus a checker for authors.

One file per topic: ``topic: {id, title, checked}`` and a list of ``entries``. An entry:

- ``id``, ``questions`` (phrasings), ``answer``, ``keywords``, ``action`` (a button);
- ``sources``: links, or ``{url, checked}`` for one verified on its own day; every host
  needs a publisher in publishers.yaml, and answers show the most authoritative first;
  ``{by, checked}`` is a first-hand source without a link (``by: tình nguyện viên`` for an
  answer a volunteer gave, approved by organizers), shown after every published one;
- ``checked``: the day the facts were verified against their sources (default: the
  topic's); ``faq check`` fails on a day in the future, ``--stale MONTHS`` lists old ones;
- ``feature`` (one of KNOWN_FEATURES) when the entry describes a bot feature, with
  ``unavailable``: what to say when the feature is off (without it the entry is hidden);
  ``with_feature: {feature: sentence}`` for sentences that hold only while it is on;
- ``campaign: true`` when the text depends on 1–10 October of the campaign year:
  ``answer`` before, ``during`` (optional) and ``after`` (required), with
  ``{campaign_year}`` and ``{campaign_number}``; or ``valid_from``/``valid_until`` with
  ``after``. faq.answers picks the text for a day, a campaign year and the features on.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import yaml

from faq.normalize import normalize
from faq.sources import (
    DEFAULT_PUBLISHERS,
    PUBLISHERS_FILE,
    PublisherTable,
    Source,
    rank_sources,
    read_publishers,
)
from faq.yamlfile import load_yaml

MAX_ANSWER_CHARS = 800
ACTIONS = frozenset({"signup", "reminders", "volunteer", "my_data", "topics"})
# Bot features an entry may describe or mention; a deployment enables some of them.
KNOWN_FEATURES = ("signup", "reminders", "volunteers")
# The feature behind each action button (actions not listed are always available).
ACTION_FEATURES = {"signup": "signup", "reminders": "reminders", "volunteer": "volunteers"}
# Names an answer of a campaign entry may use in braces, e.g. "1–10/10/{campaign_year}".
PLACEHOLDERS = frozenset({"campaign_year", "campaign_number"})
# The kind of a source without a link ({by, checked}): ranked after every published kind.
FIRST_HAND = "first_hand"
# Files in the data directory that are not topics.
# Data files next to the topics that are not topics (the reminders' calendar is one).
NON_TOPIC_FILES = frozenset(
    {"abbreviations.yaml", "smalltalk.yaml", PUBLISHERS_FILE, "campaign_days.yaml"}
)
_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_URL_RE = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d+)?(?:[/?#]\S*)?$")
_BRACES_RE = re.compile(r"\{([^{}]*)\}")
# "bấm nút ... bên dưới": the text points at the entry's action button.
_BUTTON_RE = re.compile(r"\bnút\b.*\bbên dưới\b", re.IGNORECASE | re.DOTALL)
_REQUIRED = ("id", "questions", "answer", "sources", "checked")
_TEXTS = ("answer", "unavailable", "during", "after")
_OPTIONAL = (
    "topic",
    "keywords",
    "action",
    "feature",
    "unavailable",
    "with_feature",
    "campaign",
    "during",
    "after",
    "valid_from",
    "valid_until",
)


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
    # The bot feature this entry describes; when it is off, `unavailable` is answered
    # instead, or the entry is hidden when it has no such text.
    feature: str | None = None
    unavailable: str | None = None
    # Sentences added to the answer only while a feature is on: (feature, text).
    with_feature: tuple[tuple[str, str], ...] = ()
    # Time-bound entries. `campaign`: the answer depends on the 1–10 October campaign of
    # the campaign year (`answer` before it, `during` in it, `after` once it is over).
    # `valid_from`/`valid_until`: the answer holds in that window, `after` follows it.
    campaign: bool = False
    during: str | None = None
    after: str | None = None
    valid_from: datetime.date | None = None
    valid_until: datetime.date | None = None
    # `sources` with their publisher and check date, most authoritative first.
    citations: tuple[Source, ...] = ()

    @property
    def time_bound(self) -> bool:
        """True when the answer depends on the date."""
        return self.campaign or self.valid_until is not None

    def last_checked(self) -> datetime.date:
        """The oldest check date among the entry and its sources."""
        return min([self.checked, *(s.checked for s in self.citations)])


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
        entry = _build_entry(where, topic_id, raw, topic_ids, features, publishers, problems)
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


def _is_date(value: Any) -> TypeGuard[datetime.date]:
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)


def _text(raw: dict[str, Any], key: str, where: str, problems: list[str]) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: {key!r} must be non-empty text")
        return None
    if len(value.strip()) > MAX_ANSWER_CHARS:
        problems.append(
            f"{where}: {key} too long ({len(value.strip())} > {MAX_ANSWER_CHARS} chars)"
        )
    return value.strip()


def _build_entry(
    where: str,
    topic_id: str,
    raw: dict[str, Any],
    topic_ids: set[str],
    features: Collection[str],
    publishers: PublisherTable | None,
    problems: list[str],
) -> FaqEntry | None:
    """Validate one raw entry; append problems; return the entry if it is usable."""
    entry_id = raw.get("id")
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
    elif isinstance(answer, str) and not answer.strip() and "answer" not in missing:
        problems.append(f"{where}: empty answer")
    elif isinstance(answer, str) and len(answer.strip()) > MAX_ANSWER_CHARS:
        problems.append(
            f"{where}: answer too long ({len(answer.strip())} > {MAX_ANSWER_CHARS} chars)"
        )
    checked = raw.get("checked")
    if checked is not None and not _is_date(checked):
        problems.append(f"{where}: 'checked' must be a date like 2026-02-01")
    citations = _sources(raw.get("sources", []), checked, publishers, where, problems)
    keywords = _str_tuple(raw.get("keywords", []))
    if keywords is None:
        problems.append(f"{where}: 'keywords' must be a list of strings (quote numbers: \"2022\")")
    action = raw.get("action")
    if action is not None and action not in ACTIONS:
        problems.append(f"{where}: unknown action {action!r} (use one of {sorted(ACTIONS)})")
    extra = _extras(raw, where, features, problems)
    _check_button_mentions(raw, where, problems)
    unknown = set(raw) - {*_REQUIRED, *_OPTIONAL}
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    if len(problems) > before:
        return None
    assert questions is not None and citations is not None and keywords is not None
    assert isinstance(checked, datetime.date) and extra is not None
    return FaqEntry(
        id=str(entry_id),
        topic=str(topic),
        questions=questions,
        answer=str(answer).strip(),
        sources=tuple(s.url for s in citations if s.url),
        checked=checked,
        keywords=keywords,
        action=action,
        citations=rank_sources(citations),
        **extra,
    )


def _sources(
    value: Any,
    default_checked: Any,
    publishers: PublisherTable | None,
    where: str,
    problems: list[str],
) -> list[Source] | None:
    """Each source is a link, or {url, checked} when it was verified on its own day."""
    if isinstance(value, str | dict):
        value = [value]
    if not isinstance(value, list):
        problems.append(f"{where}: 'sources' must be a list of links")
        return None
    found: list[Source] = []
    for item in value:
        if isinstance(item, dict) and "by" in item:
            first_hand = _first_hand(item, default_checked, publishers, where, problems)
            found.extend([first_hand] if first_hand is not None else [])
            continue
        if isinstance(item, dict):
            url, checked = item.get("url"), item.get("checked", default_checked)
        else:
            url, checked = item, default_checked
        if isinstance(item, dict) and set(item) - {"url", "checked"}:
            problems.append(f"{where}: a source has only 'url' and 'checked' ({item!r})")
        if not isinstance(url, str) or not _URL_RE.match(url.strip()):
            problems.append(f"{where}: malformed link {url!r}")
            continue
        url = url.strip()
        if not _is_date(checked):
            if isinstance(item, dict) and "checked" in item:
                problems.append(f"{where}: source {url}: 'checked' must be a date")
            continue  # a missing entry date is reported as a missing field
        publisher = publishers.lookup(url) if publishers is not None else None
        if publishers is not None and publisher is None:
            problems.append(
                f"{where}: no publisher known for {url.split('/')[2]!r} "
                f"(add it to {PUBLISHERS_FILE})"
            )
            continue
        if publisher is not None and publishers is not None:
            rank = publishers.rank(publisher.kind)
            found.append(Source(url, publisher.name, publisher.kind, rank, checked))
    return found


def _first_hand(
    item: dict[str, Any],
    default_checked: Any,
    publishers: PublisherTable | None,
    where: str,
    problems: list[str],
) -> Source | None:
    """{by: who, checked: day}: who answered it first-hand, with no page to link to."""
    by, checked = item.get("by"), item.get("checked", default_checked)
    if set(item) - {"by", "checked"}:
        problems.append(f"{where}: a first-hand source has only 'by' and 'checked' ({item!r})")
    if not isinstance(by, str) or not by.strip():
        problems.append(f"{where}: a source's 'by' must say who answered, e.g. 'tình nguyện viên'")
        return None
    if not _is_date(checked):
        problems.append(f"{where}: source by {by.strip()!r}: 'checked' must be a date")
        return None
    rank = publishers.rank(FIRST_HAND) if publishers is not None else 0
    return Source("", by.strip(), FIRST_HAND, rank, checked)


def _extras(
    raw: dict[str, Any], where: str, features: Collection[str], problems: list[str]
) -> dict[str, Any] | None:
    """Feature and time-bound fields, checked together; None when one is unusable."""
    before = len(problems)
    known = sorted(features)
    feature = raw.get("feature")
    if feature is not None and feature not in features:
        problems.append(f"{where}: unknown feature {feature!r} (use one of {known})")
    texts = {key: _text(raw, key, where, problems) for key in _TEXTS[1:]}
    if texts["unavailable"] is not None and feature is None:
        problems.append(f"{where}: 'unavailable' is only used with 'feature'")
    notes = raw.get("with_feature", {})
    if not isinstance(notes, dict) or not all(isinstance(v, str) for v in notes.values()):
        problems.append(f"{where}: 'with_feature' must map feature names to sentences")
        notes = {}
    for name in notes:
        if name not in features:
            problems.append(f"{where}: unknown feature {name!r} in with_feature (use {known})")
    campaign = raw.get("campaign", False)
    if not isinstance(campaign, bool):
        problems.append(f"{where}: 'campaign' must be true or false")
    window = {key: raw.get(key) for key in ("valid_from", "valid_until")}
    for key, day in window.items():
        if day is not None and not _is_date(day):
            problems.append(f"{where}: {key!r} must be a date like 2026-10-10")
    start, end = window["valid_from"], window["valid_until"]
    if _is_date(start) and _is_date(end) and start > end:
        problems.append(f"{where}: valid_from is after valid_until")
    time_bound = campaign is True or end is not None
    if time_bound and texts["after"] is None:
        problems.append(
            f"{where}: time-bound entry has no 'after' text (what is true once it is over)"
        )
    if texts["after"] is not None and not time_bound:
        problems.append(f"{where}: 'after' needs 'campaign: true' or 'valid_until'")
    if texts["during"] is not None and campaign is not True:
        problems.append(f"{where}: 'during' needs 'campaign: true'")
    _check_placeholders(raw, campaign is True, where, problems)
    if len(problems) > before:
        return None
    return {
        "feature": feature,
        "unavailable": texts["unavailable"],
        "with_feature": tuple((str(k), v.strip()) for k, v in notes.items()),
        "campaign": campaign,
        "during": texts["during"],
        "after": texts["after"],
        "valid_from": start,
        "valid_until": end,
    }


def _check_button_mentions(raw: dict[str, Any], where: str, problems: list[str]) -> None:
    """A text that points at a feature's button must not outlive the button.

    The button of an action tied to a feature disappears when the feature is off, so such
    a sentence belongs in `with_feature`, or the entry declares the feature (and says in
    `unavailable` what is true without it).
    """
    needs = ACTION_FEATURES.get(str(raw.get("action")))
    if needs is None or raw.get("feature") == needs:
        return
    for key in ("answer", "during", "after"):
        text = raw.get(key)
        if isinstance(text, str) and _BUTTON_RE.search(text):
            problems.append(
                f"{where}: {key} points at the {raw.get('action')!r} button, which is hidden "
                f"when {needs!r} is off: move the sentence to with_feature.{needs}, or declare "
                f"'feature: {needs}' with an 'unavailable' text"
            )


def _check_placeholders(
    raw: dict[str, Any], campaign: bool, where: str, problems: list[str]
) -> None:
    """Braces only around known names, and only in campaign entries."""
    notes = raw.get("with_feature")
    values = [raw.get(k) for k in _TEXTS] + list(notes.values() if isinstance(notes, dict) else [])
    for text in (v for v in values if isinstance(v, str)):
        names = _BRACES_RE.findall(text)
        stray = _BRACES_RE.sub("", text)
        if "{" in stray or "}" in stray:
            problems.append(f"{where}: unmatched brace in {text[:40]!r}")
        for name in names:
            if name not in PLACEHOLDERS:
                problems.append(
                    f"{where}: unknown placeholder {{{name}}} (use {sorted(PLACEHOLDERS)})"
                )
            elif not campaign:
                problems.append(f"{where}: {{{name}}} is only used with 'campaign: true'")


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
