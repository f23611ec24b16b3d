"""`ask`, `faq check` and `faq unanswered`."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from typing import Any

from bot.channels.console import render
from bot.clock import VN_TZ
from bot.commands.common import database
from bot.config import Settings
from faq.answers import Situation, answer_for
from faq.grouping import group_similar
from faq.kb import check_knowledge_base, load_knowledge_base, stale_entries
from faq.kb_model import KNOWN_FEATURES
from faq.matcher import Matcher, MatchResult
from handlers.faq.replies import reply_for, situation_now
from storage import unanswered


def register(subparsers: Any) -> None:
    ask = subparsers.add_parser("ask", help="print the reply a citizen would see")
    ask.add_argument("question", nargs="?", help="the question (omit with --json)")
    ask.add_argument(
        "--json", action="store_true", help="read one question per line on stdin, print JSON lines"
    )
    ask.set_defaults(func=_ask)
    faq = subparsers.add_parser("faq", help="knowledge-base tools")
    faq_sub = faq.add_subparsers(dest="faq_command", required=True)
    # Other features add `faq` verbs here: subparsers.choices["faq"].get_default("verbs").
    faq.set_defaults(verbs=faq_sub)
    check = faq_sub.add_parser("check", help="validate the knowledge-base files")
    check.add_argument(
        "--stale",
        type=int,
        metavar="MONTHS",
        help="also list entries whose facts were last checked more than MONTHS months ago",
    )
    check.add_argument(
        "--today",
        type=datetime.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="check as of this day (default: today in Vietnam)",
    )
    check.add_argument(
        "--features",
        type=lambda text: tuple(f.strip() for f in text.split(",") if f.strip()),
        default=KNOWN_FEATURES,
        metavar="A,B",
        help=f"valid feature names (default: {','.join(KNOWN_FEATURES)})",
    )
    check.set_defaults(func=_check)
    report = faq_sub.add_parser("unanswered", help="questions without a confident answer")
    report.add_argument("--limit", type=int, default=30, help="groups to show")
    report.set_defaults(func=_unanswered)


def result_as_json(question: str, result: MatchResult, situation: Situation) -> dict[str, Any]:
    """The stable JSON shape of `ask --json` (scripts and evaluations rely on it).

    Answers are the texts a citizen would read in `situation`.
    """

    def text(entry: Any) -> str:
        answer = answer_for(entry, situation)
        return answer.text if answer is not None else str(entry.answer)

    return {
        "question": question,
        "action": result.action,
        "faq_id": result.entry.id if result.entry else None,
        "score": round(result.score, 2),
        "answer": text(result.entry) if result.entry else None,
        "suggestions": [
            {
                "faq_id": s.entry.id,
                "question": s.entry.questions[0],
                "answer": text(s.entry),
                "score": round(s.score, 2),
            }
            for s in result.suggestions
        ],
    }


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    matcher = Matcher(load_knowledge_base(settings.faq_data_dir))
    situation = situation_now(settings.campaign_year, args.product.available(settings))
    if args.json:
        for line in sys.stdin:
            question = line.rstrip("\n")
            result = result_as_json(question, matcher.match(question, situation), situation)
            print(json.dumps(result, ensure_ascii=False), flush=False)
        sys.stdout.flush()
        return 0
    if not args.question:
        print("give a question, or use --json with questions on stdin", file=sys.stderr)
        return 2
    print(render(reply_for(matcher.match(args.question, situation), situation)))
    return 0


def _check(args: argparse.Namespace, settings: Settings) -> int:
    today = args.today or datetime.datetime.now(VN_TZ).date()
    problems = check_knowledge_base(settings.faq_data_dir, today=today, features=args.features)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    knowledge = load_knowledge_base(settings.faq_data_dir, features=args.features)
    print(f"ok: {len(knowledge.entries)} entries in {len(knowledge.topics)} topics")
    if args.stale is not None:
        due = stale_entries(knowledge, today, args.stale)
        print(
            f"{len(due)} entr{'y' if len(due) == 1 else 'ies'} last checked more than "
            f"{args.stale} month(s) before {today.isoformat()}:"
        )
        for entry, checked in due:
            oldest = [s for s in entry.citations if s.checked == checked] or entry.citations
            publishers = ", ".join(dict.fromkeys(s.publisher for s in oldest))
            print(f"  {checked.isoformat()}  {entry.id}  ({publishers})")
    return 0


async def _unanswered(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as db:
        rows = list(await unanswered.list_since(db))
    if not rows:
        print("no unanswered questions stored")
        return 0
    groups = group_similar([row.text for row in rows])
    print(f"{len(rows)} question(s) in {len(groups)} group(s), most frequent first:\n")
    for group in groups[: args.limit]:
        sample = [rows[i] for i in group]
        best = max(sample, key=lambda row: row.best_score)
        print(f"{len(group):>4} × {sample[0].text}")
        for row in sample[1:4]:
            print(f"       · {row.text}")
        print(f"       closest entry: {best.best_faq_id or '-'} (score {best.best_score:.0f})")
        answered = sorted({row.ticket_id for row in sample if row.ticket_id is not None})
        if answered:
            numbers = ", ".join(f"#{ticket_id}" for ticket_id in answered)
            print(f"       answered by volunteers: ticket {numbers} (`tickets show ID`)")
    return 0
