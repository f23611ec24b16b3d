"""Knowledge base model: FAQ entries, topics and the constants of the topic file format.

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
from dataclasses import dataclass, field

from faq.sources import PUBLISHERS_FILE, Source

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
# Data files next to the topics that are not topics (the reminders' calendar is one).
NON_TOPIC_FILES = frozenset(
    {"abbreviations.yaml", "smalltalk.yaml", PUBLISHERS_FILE, "campaign_days.yaml"}
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
