"""Questions counted per Vietnam day and outcome in memory, written every few seconds.

Adding one to the row (today, outcome) inside every FAQ turn made that row's lock a queue
for all turns of all workers on PostgreSQL, and cost every turn one more statement. Each
worker counts in memory instead and adds its sums every WRITE_EVERY_SECONDS, at a stop,
and before the dashboard's overview is drawn. A crash loses at most those seconds of counts;
they are statistics, never anyone's data.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from bot.context import AppContext
from storage import question_counts

WRITE_EVERY_SECONDS = 10.0
_KEY = "faq.question_tally"


def _tally(app: AppContext) -> Counter[tuple[date, str]]:
    tally: Counter[tuple[date, str]] = app.feature_state.setdefault(_KEY, Counter())
    return tally


def count(app: AppContext, day: date, action: str) -> None:
    """One question with this outcome (answer, suggest, fallback, smalltalk)."""
    _tally(app)[(day, action)] += 1


async def write(app: AppContext) -> None:
    """Add what this worker counted to the stored counts; kept for the next try if it fails."""
    counted = _tally(app)
    if not counted:
        return
    app.feature_state[_KEY] = Counter()
    try:
        async with app.transaction() as db:
            for (day, action), questions in sorted(counted.items()):
                await question_counts.add(db, day, action, questions)
    except BaseException:
        _tally(app).update(counted)
        raise
