"""`ask`, `faq check` and `faq unanswered`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.channels.console import render
from bot.config import Settings
from faq.grouping import group_similar
from faq.kb import check_knowledge_base, load_knowledge_base
from faq.matcher import Matcher, MatchResult
from handlers.faq.replies import reply_for
from storage import unanswered
from storage.db import create_engine, create_session_maker, upgrade_schema


def register(subparsers: Any) -> None:
    ask = subparsers.add_parser("ask", help="print the reply a citizen would see")
    ask.add_argument("question", nargs="?", help="the question (omit with --json)")
    ask.add_argument(
        "--json", action="store_true", help="read one question per line on stdin, print JSON lines"
    )
    ask.set_defaults(func=_ask)
    faq = subparsers.add_parser("faq", help="knowledge-base tools")
    faq_sub = faq.add_subparsers(dest="faq_command", required=True)
    check = faq_sub.add_parser("check", help="validate the knowledge-base files")
    check.set_defaults(func=_check)
    report = faq_sub.add_parser("unanswered", help="questions without a confident answer")
    report.add_argument("--limit", type=int, default=30, help="groups to show")
    report.set_defaults(func=_unanswered)


def result_as_json(question: str, result: MatchResult) -> dict[str, Any]:
    """The stable JSON shape of `ask --json` (scripts and evaluations rely on it)."""
    return {
        "question": question,
        "action": result.action,
        "faq_id": result.entry.id if result.entry else None,
        "score": round(result.score, 2),
        "answer": result.entry.answer if result.entry else None,
        "suggestions": [
            {
                "faq_id": s.entry.id,
                "question": s.entry.questions[0],
                "answer": s.entry.answer,
                "score": round(s.score, 2),
            }
            for s in result.suggestions
        ],
    }


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    matcher = Matcher(load_knowledge_base(settings.faq_data_dir))
    if args.json:
        for line in sys.stdin:
            question = line.rstrip("\n")
            result = result_as_json(question, matcher.match(question))
            print(json.dumps(result, ensure_ascii=False), flush=False)
        sys.stdout.flush()
        return 0
    if not args.question:
        print("give a question, or use --json with questions on stdin", file=sys.stderr)
        return 2
    print(render(reply_for(matcher.match(args.question))))
    return 0


def _check(args: argparse.Namespace, settings: Settings) -> int:
    problems = check_knowledge_base(settings.faq_data_dir)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    knowledge = load_knowledge_base(settings.faq_data_dir)
    print(f"ok: {len(knowledge.entries)} entries in {len(knowledge.topics)} topics")
    return 0


async def _unanswered(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_engine(settings.database_url, settings.database_schema)
    try:
        await upgrade_schema(engine)
        async with create_session_maker(engine)() as db:
            rows = list(await unanswered.list_since(db))
    finally:
        await engine.dispose()
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
    return 0
