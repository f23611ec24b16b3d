"""Validating one raw entry of a topic file: fields, sources, time-bound texts, placeholders."""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection
from typing import Any, TypeGuard

from faq.kb_model import (
    ACTION_FEATURES,
    ACTIONS,
    FIRST_HAND,
    MAX_ANSWER_CHARS,
    PLACEHOLDERS,
    FaqEntry,
)
from faq.sources import PUBLISHERS_FILE, PublisherTable, Source, rank_sources

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
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


def build_entry(
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
    if entry_id is not None and (not isinstance(entry_id, str) or not ID_RE.match(entry_id)):
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
