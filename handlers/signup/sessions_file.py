"""Read and check the organizers' help-session file (YAML), with line numbers in errors.

Format (see handlers/data/sample_sessions.yaml):

    year: auto            # or 2026; auto = CAMPAIGN_YEAR, else the next October to come
    defaults: {capacity: 30, bring: ..., topics: [...], contact: ...}   # optional
    sessions:
      - id: cam-thanh-0103-sang
        title: ...
        place: ...
        address: ...
        commune: Phường Cẩm Thành
        day: 3            # day of October of the campaign year; or date: 2026-10-03
        start: "07:30"    # Vietnam time
        end: "11:00"
        capacity: 30
        topics: [Cài đặt, kích hoạt VNeID, ...]
        bring: Điện thoại, thẻ căn cước
        contact: Tổ công nghệ số cộng đồng phường Cẩm Thành
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from bot.clock import VN_TZ
from faq.answers import campaign_year
from storage.help_sessions import SessionSpec

MAX_TOPIC_CHARS = 48
MAX_TOPICS = 6
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_TIME = re.compile(r"^([01]?\d|2[0-3])[:hH]([0-5]\d)$")
_LIMITS = {
    "title": 200,
    "place": 200,
    "address": 300,
    "commune": 100,
    "contact": 200,
    "bring": 1000,
}
_KNOWN = {
    "id",
    "title",
    "place",
    "address",
    "commune",
    "day",
    "date",
    "start",
    "end",
    "capacity",
    "topics",
    "bring",
    "contact",
}
_LINE = "__line__"
_KEY_LINES = "__key_lines__"


class SessionFileError(Exception):
    """The file cannot be imported; `problems` lists every one with its line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers on which line each mapping and each key starts."""


def _mapping_with_lines(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = dict(loader.construct_mapping(node, deep=True))
    mapping[_LINE] = node.start_mark.line + 1
    mapping[_KEY_LINES] = {str(k.value): k.start_mark.line + 1 for k, _v in node.value}
    return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _mapping_with_lines,
)


def load_sessions(path: Path, configured_year: int | None, now: dt.datetime) -> list[SessionSpec]:
    """Parse and check the whole file; raise SessionFileError listing every problem."""
    try:
        raw = yaml.load(
            path.read_text(encoding="utf-8"), Loader=_LineLoader
        )  # a SafeLoader subclass
    except (OSError, UnicodeDecodeError) as error:
        raise SessionFileError([f"{path}: cannot read: {error}"]) from error
    except yaml.YAMLError as error:
        raise SessionFileError([f"{path}: not valid YAML: {error}"]) from error
    if not isinstance(raw, dict) or not isinstance(raw.get("sessions"), list):
        raise SessionFileError([f"{path}: expected a mapping with a 'sessions' list"])
    problems: list[str] = []
    year = _year(raw, configured_year, now, path, problems)
    defaults = raw.get("defaults") or {}
    if not isinstance(defaults, dict):
        line = raw[_KEY_LINES].get("defaults", 1)
        problems.append(f"{path}:{line}: 'defaults' must be a mapping")
        defaults = {}
    specs: list[SessionSpec] = []
    seen: dict[str, int] = {}
    for item in raw["sessions"]:
        if not isinstance(item, dict):
            problems.append(f"{path}: each session must be a mapping (id: ..., title: ...)")
            continue
        spec = _session(item, defaults, year, path, problems)
        if spec is None:
            continue
        if spec.slug in seen:
            problems.append(
                f"{path}:{item[_LINE]}: id '{spec.slug}' is used twice (first on line "
                f"{seen[spec.slug]})"
            )
            continue
        seen[spec.slug] = item[_LINE]
        specs.append(spec)
    if problems:
        raise SessionFileError(problems)
    return specs


def _year(
    raw: dict[str, Any], configured: int | None, now: dt.datetime, path: Path, problems: list[str]
) -> int:
    value = raw.get("year", "auto")
    if value in (None, "auto"):
        return campaign_year(configured, now)
    if isinstance(value, int) and 2020 <= value <= 2100:
        return value
    problems.append(f"{path}:{raw[_KEY_LINES].get('year', 1)}: 'year' must be 'auto' or a year")
    return campaign_year(configured, now)


def _session(
    item: dict[str, Any], defaults: dict[str, Any], year: int, path: Path, problems: list[str]
) -> SessionSpec | None:
    lines: dict[str, int] = item[_KEY_LINES]
    slug = str(item.get("id", "")).strip()
    where = f"{path}:{item[_LINE]}: session '{slug or '?'}'"
    before = len(problems)

    def fail(key: str, message: str) -> None:
        problems.append(
            f"{path}:{lines.get(key, item[_LINE])}: session '{slug or '?'}': "
            f"field '{key}': {message}"
        )

    for key in item:
        if str(key) not in _KNOWN and not str(key).startswith("__"):
            fail(key, f"unknown field (known: {', '.join(sorted(_KNOWN))})")
    if not _SLUG.match(slug):
        fail("id", "required; lower-case letters, digits and '-', at most 40 characters")

    def text(key: str, required: bool = True) -> str:
        raw_value = item.get(key, defaults.get(key, ""))
        value = "" if raw_value is None else str(raw_value).strip()
        if required and not value:
            fail(key, "required")
        elif len(value) > _LIMITS[key]:
            fail(key, f"too long (at most {_LIMITS[key]} characters)")
        return value

    title, place, address, commune = text("title"), text("place"), text("address"), text("commune")
    bring, contact = text("bring", required=False), text("contact")
    if re.search(r"\d{3}[\s.]?\d{3}[\s.]?\d{3,4}", contact):
        fail("contact", "give a role (e.g. 'Đoàn Thanh niên xã ...'), not a phone number")
    capacity = item.get("capacity", defaults.get("capacity"))
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= 10000:
        fail("capacity", "required; a whole number from 1 to 10000")
        capacity = 0
    topics = _topics(item.get("topics", defaults.get("topics", [])), fail)
    day = _date(item, year, fail)
    start = _time(item.get("start"), "start", fail)
    end = _time(item.get("end"), "end", fail)
    if len(problems) > before or day is None or start is None or end is None:
        return None
    starts_at = dt.datetime.combine(day, start, VN_TZ).astimezone(dt.UTC)
    ends_at = dt.datetime.combine(day, end, VN_TZ).astimezone(dt.UTC)
    if ends_at <= starts_at:
        problems.append(f"{where}: 'end' must be after 'start'")
        return None
    return SessionSpec(
        slug, title, place, address, commune, starts_at, ends_at, capacity, topics, bring, contact
    )


def _topics(value: Any, fail: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        fail("topics", "required; a list of what volunteers help with")
        return ()
    topics = tuple(str(t).strip() for t in value if str(t).strip())
    if len(topics) > MAX_TOPICS:
        fail("topics", f"at most {MAX_TOPICS} (each becomes a button)")
    for topic in topics:
        if len(topic) > MAX_TOPIC_CHARS:
            fail("topics", f"'{topic}' is too long for a button (at most {MAX_TOPIC_CHARS})")
    return topics


def _date(item: dict[str, Any], year: int, fail: Any) -> dt.date | None:
    if ("day" in item) == ("date" in item):
        fail("day", "give either 'day' (day of October) or 'date' (YYYY-MM-DD)")
        return None
    if "day" in item:
        day = item["day"]
        if not isinstance(day, int) or not 1 <= day <= 31:
            fail("day", "a day of October, 1 to 31")
            return None
        return dt.date(year, 10, day)
    value = item["date"]
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        fail("date", "write it as YYYY-MM-DD, e.g. 2026-10-03")
        return None


def _time(value: Any, key: str, fail: Any) -> dt.time | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 reads an unquoted 13:30 as the base-60 number 810.
        return dt.time(value // 60, value % 60)
    match = _TIME.match(str(value or "").strip())
    if match is None:
        fail(key, 'required; a time like "08:00" (Vietnam time)')
        return None
    return dt.time(int(match.group(1)), int(match.group(2)))
