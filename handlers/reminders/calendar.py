"""The campaign calendar: what each of the ten days' reminders says (a YAML file).

`faq/data/campaign_days.yaml` sits next to the knowledge base's campaign file; a province
replaces it. `check_calendar` lists every problem (unknown FAQ ids, days outside 1-10, texts
too long for one Telegram or Zalo message once the day's sessions are added).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from faq.kb_model import KnowledgeBase
from faq.yamlfile import load_yaml

DEFAULT_CALENDAR = Path(__file__).resolve().parents[2] / "faq" / "data" / "campaign_days.yaml"
FIRST_DAY, LAST_DAY = 1, 10
# The whole reminder must fit one Zalo message (2,000 characters; Telegram allows 4,096);
# the day's text is kept well under it so the sessions listed below it fit too.
MAX_DAY_TEXT_CHARS = 700
MAX_TITLE_CHARS = 100


@dataclass(frozen=True)
class CampaignDay:
    day: int
    title: str
    text: str
    tip: str  # a knowledge-base entry id
    sessions: str | None = None  # only sessions whose topics mention this word


@dataclass(frozen=True)
class Calendar:
    days: dict[int, CampaignDay]
    sample: bool

    def on(self, day: int) -> CampaignDay | None:
        return self.days.get(day)


class CalendarError(Exception):
    """The file cannot be used; `problems` lists why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def load_calendar(path: Path = DEFAULT_CALENDAR) -> Calendar:
    """Parse the file; CalendarError when its shape is wrong."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise CalendarError([f"{path}: cannot read it: {error}"]) from error
    problems: list[str] = []
    days: dict[int, CampaignDay] = {}
    for index, item in enumerate(raw.get("days") or [], start=1):
        where = f"{path.name}, day entry {index}"
        if not isinstance(item, dict):
            problems.append(f"{where}: not a mapping")
            continue
        day = item.get("day")
        if not isinstance(day, int) or not FIRST_DAY <= day <= LAST_DAY:
            problems.append(f"{where}: `day` must be a number from 1 to 10")
            continue
        if day in days:
            problems.append(f"{where}: day {day} appears twice")
        missing = [key for key in ("title", "text", "tip") if not str(item.get(key) or "").strip()]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        days[day] = CampaignDay(
            day=day,
            title=" ".join(str(item["title"]).split()),
            text=" ".join(str(item["text"]).split()),
            tip=str(item["tip"]).strip(),
            sessions=str(item["sessions"]).strip() if item.get("sessions") else None,
        )
    if problems:
        raise CalendarError(problems)
    return Calendar(days, bool(raw.get("sample", False)))


def check_calendar(calendar: Calendar, knowledge: KnowledgeBase) -> list[str]:
    """Problems a valid-looking file still has: unknown tips, missing days, long texts."""
    problems = []
    for number in range(FIRST_DAY, LAST_DAY + 1):
        day = calendar.on(number)
        if day is None:
            problems.append(f"day {number}: no entry (subscribers would get nothing that day)")
            continue
        if knowledge.get(day.tip) is None:
            problems.append(f"day {number}: tip {day.tip!r} is not a knowledge-base entry id")
        if len(day.text) > MAX_DAY_TEXT_CHARS:
            problems.append(
                f"day {number}: text is {len(day.text)} characters; keep it under "
                f"{MAX_DAY_TEXT_CHARS} so the reminder fits one Zalo message (2,000)"
            )
        if len(day.title) > MAX_TITLE_CHARS:
            problems.append(f"day {number}: title longer than {MAX_TITLE_CHARS} characters")
    return problems
