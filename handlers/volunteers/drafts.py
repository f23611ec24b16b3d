"""An approved FAQ draft becomes an entry of a topic file, checked like any other.

The entry is appended to the file of the chosen topic (YAML text, so the file's comments
stay), with "tình nguyện viên" as its first-hand source and the day of approval; the whole
knowledge base is then checked, and the file is put back as it was when the new entry
brings a problem.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from faq.kb import check_knowledge_base, default_data_dir, load_knowledge_base
from faq.kb_model import NON_TOPIC_FILES
from storage.models import FaqDraft

VOLUNTEER_SOURCE = "tình nguyện viên"


class ApprovalError(Exception):
    """The draft could not become an entry; the message says why (and what to change)."""


@dataclass(frozen=True)
class Approval:
    """What an organizer approves: the draft, its topic, and the texts (edited or not)."""

    draft: FaqDraft
    topic: str
    question: str
    answer: str
    today: datetime.date

    @property
    def entry_id(self) -> str:
        return f"volunteer-answer-{self.draft.id}"

    def entry(self) -> dict[str, Any]:
        return {
            "id": self.entry_id,
            "questions": [self.question.strip()],
            "answer": self.answer.strip(),
            "sources": [{"by": VOLUNTEER_SOURCE, "checked": self.today}],
            "checked": self.today,
        }


def topic_file(data_dir: Path, topic: str) -> Path:
    """The YAML file whose `topic.id` is `topic`."""
    for path in sorted(data_dir.glob("*.yaml")):
        if path.name in NON_TOPIC_FILES:
            continue
        head = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("topic") or {}
        if isinstance(head, dict) and head.get("id") == topic:
            return path
    known = ", ".join(sorted(t.id for t in load_knowledge_base(data_dir).topics))
    raise ApprovalError(f"no topic {topic!r} in {data_dir} (topics: {known})")


def write_entry(approval: Approval, data_dir: Path | None = None) -> Path:
    """Append the entry to its topic's file; undone (ApprovalError) if `faq check` objects."""
    data_dir = data_dir or default_data_dir()
    path = topic_file(data_dir, approval.topic)
    before = set(check_knowledge_base(data_dir, today=approval.today))
    original = path.read_text(encoding="utf-8")
    path.write_text(original.rstrip("\n") + "\n" + _as_yaml(approval), encoding="utf-8")
    problems = [p for p in check_knowledge_base(data_dir, today=approval.today) if p not in before]
    if not problems and not _landed(data_dir, approval):
        problems = [f"{path.name}: the entry did not land in the topic's 'entries' list"]
    if problems:
        path.write_text(original, encoding="utf-8")
        raise ApprovalError("the entry was not written:\n- " + "\n- ".join(problems))
    return path


def _landed(data_dir: Path, approval: Approval) -> bool:
    entry = load_knowledge_base(data_dir).get(approval.entry_id)
    return entry is not None and entry.topic == approval.topic


class _Dumper(yaml.SafeDumper):
    """Multi-line texts as `|` blocks, the way the topic files are written."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None
    )


_Dumper.add_representer(str, _text)


def _as_yaml(approval: Approval) -> str:
    """The entry as an item of the file's `entries:` list (indented two spaces)."""
    dumped = yaml.dump(
        [approval.entry()], Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000
    )
    ticket = f"ticket #{approval.draft.ticket_id}" if approval.draft.ticket_id else "a ticket"
    lines = [
        "",
        f"  # A volunteer's answer ({ticket}, draft #{approval.draft.id}), approved "
        f"{approval.today.isoformat()}.",
    ]
    lines += [f"  {line}" if line else "" for line in dumped.splitlines()]
    return "\n".join(lines) + "\n"
