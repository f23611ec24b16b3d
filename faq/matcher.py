"""Match a citizen's question to a knowledge-base entry.

Small talk is recognised first; otherwise the entries are scored (faq/scoring.py), and
the best score and its margin over the runner-up decide between answering, suggesting
three entries, or falling back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from faq.answers import Situation, is_visible
from faq.kb_model import FaqEntry, KnowledgeBase
from faq.normalize import join_phrases, tokens
from faq.scoring import MatcherConfig, ScoringIndex
from faq.smalltalk import detect_smalltalk, load_rules, strip_courtesy

MAX_QUERY_TOKENS = 60  # long texts: only the first words count


@dataclass(frozen=True)
class Suggestion:
    """A candidate entry with its score (0..100)."""

    entry: FaqEntry
    score: float


@dataclass(frozen=True)
class MatchResult:
    """What the bot should do with a message."""

    action: Literal["answer", "suggest", "fallback", "smalltalk"]
    entry: FaqEntry | None
    score: float
    suggestions: tuple[Suggestion, ...]
    smalltalk: str | None = None


class Matcher(ScoringIndex):
    """Precomputed index over a knowledge base; ``match`` is cheap and never raises."""

    def __init__(self, kb: KnowledgeBase, config: MatcherConfig | None = None) -> None:
        super().__init__(kb, config)
        load_rules()  # read smalltalk rules now, not on the first message

    def match(self, text: str, situation: Situation | None = None) -> MatchResult:
        """Classify ``text`` as answer / suggest / fallback / smalltalk.

        With a ``situation``, entries hidden in it (a feature that is off) are never
        answered nor suggested.
        """
        text = text if isinstance(text, str) else ""
        words = tokens(text[:2000])[:MAX_QUERY_TOKENS]
        intent = detect_smalltalk(text[:200], words)
        if intent is not None:
            return MatchResult("smalltalk", None, 0.0, (), smalltalk=intent)
        hidden = frozenset(
            i
            for i in self._conditional
            if situation is not None and not is_visible(self._entries[i], situation)
        )
        scored = self._score(join_phrases(strip_courtesy(words)), hidden)
        if not scored:
            return MatchResult("fallback", None, 0.0, ())
        cfg = self.config
        best, cov, evidence, _ = scored[0]
        runner_up = max((r[0] for r in scored[1:]), default=0.0)
        top3 = tuple(Suggestion(self._entries[i], score) for score, _, _, i in scored[:3])
        margin = best - runner_up
        if (
            cov >= cfg.min_coverage
            and evidence >= cfg.min_evidence
            and (
                (best >= cfg.sure_threshold and margin >= cfg.sure_margin)
                or (best >= cfg.answer_threshold and margin >= cfg.margin)
            )
        ):
            return MatchResult("answer", top3[0].entry, best, top3)
        if best >= cfg.suggest_threshold and cov >= cfg.min_coverage:
            return MatchResult("suggest", None, best, top3)
        return MatchResult("fallback", None, best, top3)

    def rank(self, words: list[str]) -> list[Suggestion]:
        """Score candidate entries for normalized ``words``; best first."""
        return [Suggestion(self._entries[i], score) for score, _, _, i in self._score(words)]
