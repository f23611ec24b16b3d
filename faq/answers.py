"""The answer text a citizen gets today: features on or off, campaign calendar, validity.

An entry's prose never freezes "this year": campaign entries write ``{campaign_year}``
and carry one text per phase of the 1–10 October campaign (before, during, after), and
an entry with a validity window says what holds once it has passed.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from faq.kb_model import ACTION_FEATURES, KNOWN_FEATURES, FaqEntry, KnowledgeBase
from faq.sources import Source

Phase = Literal["before", "during", "after"]

CAMPAIGN_FIRST_DAY = 1  # of October
CAMPAIGN_LAST_DAY = 10  # National Digital Transformation Day itself
FIRST_NATIONAL_DAY_YEAR = 2022  # Decision 505/QĐ-TTg of 22/4/2022: 10/10 every year


VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def default_campaign_year(today: datetime.date) -> int:
    """This year until 10 October, then next year (the next October to come)."""
    last_day = datetime.date(today.year, 10, CAMPAIGN_LAST_DAY)
    return today.year if today <= last_day else today.year + 1


def campaign_year(configured: int | None, now: datetime.datetime) -> int:
    """The configured year (CAMPAIGN_YEAR), else the next October to come, in Vietnam time."""
    if configured is not None:
        return configured
    return default_campaign_year(now.astimezone(VIETNAM).date())


def campaign_phase(today: datetime.date, campaign_year: int) -> Phase:
    """Where ``today`` stands relative to 1–10 October of ``campaign_year``."""
    if today < datetime.date(campaign_year, 10, CAMPAIGN_FIRST_DAY):
        return "before"
    if today <= datetime.date(campaign_year, 10, CAMPAIGN_LAST_DAY):
        return "during"
    return "after"


@dataclass(frozen=True)
class Situation:
    """What an answer depends on: the day (Vietnam time), the campaign year, the features on."""

    today: datetime.date
    campaign_year: int
    features: frozenset[str]

    @classmethod
    def on(
        cls,
        today: datetime.date,
        campaign_year: int | None = None,
        features: Collection[str] = KNOWN_FEATURES,
    ) -> Situation:
        """The situation on ``today``; the campaign year defaults to the next October."""
        year = campaign_year if campaign_year is not None else default_campaign_year(today)
        return cls(today, year, frozenset(features))

    @property
    def phase(self) -> Phase:
        return campaign_phase(self.today, self.campaign_year)


@dataclass(frozen=True)
class Answer:
    """What to show for an entry in a situation: text, the action still offered, sources."""

    entry: FaqEntry
    text: str
    action: str | None
    sources: tuple[Source, ...]


def is_visible(entry: FaqEntry, situation: Situation) -> bool:
    """False when the entry must not be offered at all (matching, topics, buttons)."""
    if entry.valid_from is not None and situation.today < entry.valid_from:
        return False
    return (
        entry.feature is None
        or entry.feature in situation.features
        or entry.unavailable is not None
    )


def visible_entries(
    kb: KnowledgeBase, situation: Situation, topic_id: str | None = None
) -> tuple[FaqEntry, ...]:
    """Entries to offer (of one topic when given), in file order."""
    entries = kb.entries if topic_id is None else kb.in_topic(topic_id)
    return tuple(e for e in entries if is_visible(e, situation))


def answer_for(entry: FaqEntry, situation: Situation) -> Answer | None:
    """The answer to show today, or None when the entry is hidden in this situation."""
    if not is_visible(entry, situation):
        return None
    text, current = _base_text(entry, situation)
    # Feature sentences and the action button belong to the main answer: neither the
    # text for a feature that is off nor the text for after a period offers them.
    action = entry.action if current else None
    if current:
        notes = [note for feature, note in entry.with_feature if feature in situation.features]
        text = "\n".join([text, *notes])
    needs = ACTION_FEATURES.get(action or "")
    if needs is not None and needs not in situation.features:
        action = None
    return Answer(entry, _fill(text, situation), action, entry.citations)


def _base_text(entry: FaqEntry, situation: Situation) -> tuple[str, bool]:
    """The text for the situation, and whether it is the entry's current (main) answer."""
    if entry.feature is not None and entry.feature not in situation.features:
        assert entry.unavailable is not None  # else the entry is hidden
        return entry.unavailable, False
    if entry.valid_until is not None and situation.today > entry.valid_until:
        assert entry.after is not None  # the checker requires it
        return entry.after, False
    if entry.campaign:
        phase = situation.phase
        if phase == "after":
            assert entry.after is not None
            return entry.after, False
        if phase == "during" and entry.during is not None:
            return entry.during, True
    return entry.answer, True


def _fill(text: str, situation: Situation) -> str:
    """Replace the campaign placeholders (the checker allows no other braces)."""
    year = situation.campaign_year
    return text.replace("{campaign_year}", str(year)).replace(
        "{campaign_number}", str(year - FIRST_NATIONAL_DAY_YEAR + 1)
    )
