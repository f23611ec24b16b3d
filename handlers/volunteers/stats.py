"""Figures for organizers (`tickets stats`): waiting, first answers, volunteers, ratings."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from bot.privacy import mask_id
from storage.models import Ticket, TicketOutcome, TicketRating, TicketStatus


def describe_duration(span: timedelta) -> str:
    """'45 s', '14 min', '2 h 05 min', '3 d 4 h'."""
    seconds = max(int(span.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def _typical(spans: Sequence[timedelta]) -> str:
    if not spans:
        return "-"
    median = timedelta(seconds=statistics.median(s.total_seconds() for s in spans))
    return f"median {describe_duration(median)}, longest {describe_duration(max(spans))}"


def stats_lines(rows: Sequence[Ticket]) -> list[str]:
    """The report, line by line."""
    statuses = Counter(t.status for t in rows)
    outcomes = Counter(t.outcome for t in rows if t.outcome is not None)
    claimed = [t.claimed_at - t.opened_at for t in rows if t.claimed_at is not None]
    answered = [t.first_answer_at - t.opened_at for t in rows if t.first_answer_at is not None]
    ratings = Counter(t.rating for t in rows if t.rating is not None)
    lines = [
        f"  opened: {len(rows)}; open now: {statuses[TicketStatus.WAITING]} waiting, "
        f"{statuses[TicketStatus.CLAIMED]} with a volunteer",
        "  closed: "
        + (", ".join(f"{outcomes[o]} {o}" for o in TicketOutcome if outcomes[o]) or "none"),
        f"  waiting until claimed: {_typical(claimed)}",
        f"  time to the first answer: {_typical(answered)}",
        f"  ratings: {ratings[TicketRating.HELPFUL]} helpful, "
        f"{ratings[TicketRating.NOT_HELPFUL]} not helpful, "
        f"{sum(t.status == TicketStatus.CLOSED and t.rating is None for t in rows)} not rated",
        "  per volunteer (tickets, answered, helpful / not helpful):",
    ]
    by_volunteer: dict[str, list[Ticket]] = {}
    for ticket in rows:
        if ticket.volunteer_id is not None:
            by_volunteer.setdefault(ticket.volunteer_id, []).append(ticket)
    for volunteer_id, theirs in sorted(by_volunteer.items(), key=lambda item: -len(item[1])):
        name = theirs[-1].volunteer_name or "?"
        helpful = sum(t.rating == TicketRating.HELPFUL for t in theirs)
        unhelpful = sum(t.rating == TicketRating.NOT_HELPFUL for t in theirs)
        answers = sum(t.first_answer_at is not None for t in theirs)
        lines.append(
            f"    {name} ({mask_id(volunteer_id)}): {len(theirs)}, {answers}, "
            f"{helpful} / {unhelpful}"
        )
    if not by_volunteer:
        lines.append("    none yet")
    return lines
