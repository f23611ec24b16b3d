"""Scoring knowledge-base entries against a question's words (0..100).

The score of an entry mixes two signals computed on normalized text:

* coverage: the share of the question's IDF weight (content words and word pairs)
  found in the entry's phrasings and keywords. Words the knowledge base has never
  seen weigh as much as the rarest known word, so off-topic questions score low.
* similarity: the best rapidfuzz similarity between the question and one phrasing.

An inverted index keeps only entries sharing a word with the question, so scoring
stays fast with thousands of entries. Unknown words are corrected first: leftover
Telex keys, glued or split words, typos.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from faq.kb_model import KnowledgeBase
from faq.question_words import STOPWORDS, bigrams, question_kinds, word_units

# Telex keys left in a word when the keyboard did not convert them ("ddinhj" for "định").
_TELEX_LETTERS = (
    ("dd", "d"),
    ("aa", "a"),
    ("aw", "a"),
    ("ee", "e"),
    ("oo", "o"),
    ("ow", "o"),
    ("uw", "u"),
)
_TELEX_TONES = frozenset("sfrxj")
_VOWELS = frozenset("aeiouy")


@dataclass(frozen=True)
class MatcherConfig:
    """Thresholds and weights; defaults were chosen on the development set."""

    answer_threshold: float = 62.0
    suggest_threshold: float = 50.0
    margin: float = 6.0
    sure_threshold: float = 85.0  # above this a small margin is enough
    sure_margin: float = 2.0
    min_coverage: float = 0.45  # share of the question's weight the entry must explain
    min_evidence: float = 3.0  # summed IDF needed to answer (one common word is not enough)
    coverage_weight: float = 0.6
    bigram_share: float = 0.3
    candidates: int = 25
    typo_cutoff: float = 80.0
    stopword_weight: float = 0.5
    answer_weight: float = 0.3  # words found only in the answer text
    fuzzy_full: bool = True
    kind_penalty: float = 3.0  # no phrasing asks for this kind of answer (when/where/...)
    scorer: str = "token_sort_ratio"


_SCORERS = {
    "token_sort_ratio": fuzz.token_sort_ratio,
    "token_set_ratio": fuzz.token_set_ratio,
    "ratio": fuzz.ratio,
    "WRatio": fuzz.WRatio,
    "QRatio": fuzz.QRatio,
}


class ScoringIndex:
    """Precomputed index over a knowledge base: word weights, postings and typo fixes."""

    def __init__(self, kb: KnowledgeBase, config: MatcherConfig | None = None) -> None:
        self.kb = kb
        self.config = config or MatcherConfig()
        self._entries = kb.entries
        self._phrasings: list[list[str]] = []  # content words of each phrasing
        self._full: list[list[str]] = []  # all words of each phrasing
        uni_df: dict[str, int] = defaultdict(int)
        bi_df: dict[str, int] = defaultdict(int)
        self._uni: list[frozenset[str]] = []
        self._bi: list[frozenset[str]] = []
        self._ans: list[frozenset[str]] = []  # answer words not already in the phrasings
        self._kinds: list[frozenset[str]] = []  # question kinds among the phrasings
        for entry in self._entries:
            norm = [word_units(q) for q in entry.questions]
            self._phrasings.append([" ".join(self._content(q) or q) for q in norm])
            self._full.append([" ".join(q) for q in norm])
            bag = [*norm, *(word_units(k) for k in entry.keywords)]
            uni = frozenset(t for q in bag for t in q)
            bi = frozenset(b for q in bag for b in bigrams(self._content(q)))
            self._uni.append(uni)
            self._ans.append(frozenset(word_units(entry.answer)) - uni - STOPWORDS)
            self._kinds.append(frozenset().union(*(question_kinds(q) for q in norm)))
            self._bi.append(bi)
            for t in uni | self._ans[-1]:
                uni_df[t] += 1
            for b in bi:
                bi_df[b] += 1
        n = len(self._entries)
        self._unknown_idf = math.log(n + 1) + 1.0
        self._uni_idf = {t: math.log((n + 1) / (d + 1)) + 1.0 for t, d in uni_df.items()}
        self._bi_idf = {b: math.log((n + 1) / (d + 1)) + 1.0 for b, d in bi_df.items()}
        self._postings: dict[str, list[int]] = defaultdict(list)
        self._ans_postings: dict[str, list[int]] = defaultdict(list)
        for i, uni in enumerate(self._uni):
            for t in uni:
                self._postings[t].append(i)
            for t in self._ans[i]:
                self._ans_postings[t].append(i)
        # Typo targets: known content words (a fix into "anh" or "la" only adds noise).
        self._vocab = sorted(
            t for t in self._uni_idf if len(t) >= 3 and not t.isdigit() and t not in STOPWORDS
        )
        self._fixes: dict[str, tuple[str, ...]] = {}
        # Entries that a situation may hide (a feature that is off, a window not yet open).
        self._conditional = [
            i for i, e in enumerate(self._entries) if e.feature is not None or e.valid_from
        ]

    def _known(self, word: str) -> bool:
        return word in self._uni_idf or word in STOPWORDS

    def _merge_split(self, words: list[str]) -> list[str]:
        """Join two neighbours into a known word when one of them is unknown ("vn eid")."""
        out: list[str] = []
        i = 0
        while i < len(words):
            if i + 1 < len(words):
                a, b = words[i], words[i + 1]
                joined = a + b
                unknown = not self._known(a) or not self._known(b)
                if unknown and joined in self._uni_idf and not joined.isdigit():
                    out.append(joined)
                    i += 2
                    continue
            out.append(words[i])
            i += 1
        return out

    def _untelex(self, word: str) -> str | None:
        """A known word once leftover Telex keys are removed, else None."""
        plain = word
        for keys, letter in _TELEX_LETTERS:
            plain = plain.replace(keys, letter)
        candidates = [plain]
        if (
            len(plain) > 2
            and plain[-1] in _TELEX_TONES
            and (plain[-2] in _VOWELS or plain[-2] in "cghmnpt")
        ):
            candidates.append(plain[:-1])
        return next((c for c in candidates if c != word and c in self._uni_idf), None)

    @staticmethod
    def _content(words: Iterable[str]) -> list[str]:
        return [w for w in words if w not in STOPWORDS]

    def _correct(self, word: str) -> tuple[str, ...]:
        """Map an unknown word to known word(s): typo fix or split of glued words."""
        if word in self._uni_idf or word in STOPWORDS or len(word) < 3 or word.isdigit():
            return (word,)
        cached = self._fixes.get(word)
        if cached is not None:
            return cached
        fixed: tuple[str, ...] = (word,)
        untelexed = self._untelex(word)
        if untelexed is not None:
            fixed = (untelexed,)
            if len(self._fixes) < 50_000:
                self._fixes[word] = fixed
            return fixed
        for cut in range(2, len(word) - 1):
            left, right = word[:cut], word[cut:]
            if left in self._uni_idf and right in self._uni_idf:
                fixed = (left, right)
                break
        else:
            best = process.extractOne(
                word, self._vocab, scorer=fuzz.ratio, score_cutoff=self.config.typo_cutoff
            )
            if best is not None:
                fixed = (best[0],)
        if len(self._fixes) < 50_000:
            self._fixes[word] = fixed
        return fixed

    def _weight(self, token: str) -> float:
        w = self._uni_idf.get(token, self._unknown_idf)
        return w * self.config.stopword_weight if token in STOPWORDS else w

    def _score(
        self, words: list[str], hidden: frozenset[int] = frozenset()
    ) -> list[tuple[float, float, float, int]]:
        """Return (score, coverage, evidence, entry index) of the best candidates, best first.

        Evidence is the summed IDF of the question words found in the entry: a lone
        common word ("vneid") covers many entries fully but is weak evidence.
        """
        cfg = self.config
        fixed = [w for word in self._merge_split(words) for w in self._correct(word)]
        content = self._content(fixed)
        terms = list(dict.fromkeys(fixed))
        weights = {t: self._weight(t) for t in terms}
        total = sum(weights.values())
        if total <= 0:
            return []
        hits: dict[int, float] = defaultdict(float)
        # Only content words select candidates, unless the question has none.
        for t in dict.fromkeys(content or fixed):
            for i in self._postings.get(t, ()):
                if i not in hidden:
                    hits[i] += 0.0
        if not hits:
            return []
        for t in terms:
            w = weights[t]
            posting = self._postings.get(t, ())
            if not w or not posting:
                continue
            if len(posting) <= len(hits):  # walk whichever side is shorter
                for i in posting:
                    if i in hits:
                        hits[i] += w
            else:
                for i in hits:
                    if t in self._uni[i]:
                        hits[i] += w
            # A word found only in the answer text is weaker evidence.
            aw = w * cfg.answer_weight
            if aw:
                for i in self._ans_postings.get(t, ()):
                    if i in hits:
                        hits[i] += aw
        shortlist = heapq.nlargest(cfg.candidates * 2, hits.items(), key=lambda kv: kv[1])
        qbi = list(dict.fromkeys(bigrams(content)))
        bi_w = {b: self._bi_idf.get(b, self._unknown_idf / 2) for b in qbi}
        bi_total = sum(bi_w.values())
        query = " ".join(fixed if cfg.fuzzy_full else (content or fixed))
        covs: list[tuple[float, float, int]] = []
        for i, uni_hit in shortlist:
            cov = uni_hit / total
            if bi_total:
                bi_cov = sum(w for b, w in bi_w.items() if b in self._bi[i]) / bi_total
                cov = (1 - cfg.bigram_share) * cov + cfg.bigram_share * bi_cov
            covs.append((cov, uni_hit, i))
        results: list[tuple[float, float, float, int]] = []
        order: dict[int, float] = {}
        phrasings = self._full if cfg.fuzzy_full else self._phrasings
        kinds = question_kinds(fixed)
        for cov, evidence, i in heapq.nlargest(cfg.candidates, covs):
            sim = max(_SCORERS[cfg.scorer](query, p) for p in phrasings[i])
            score = 100 * cfg.coverage_weight * cov + (1 - cfg.coverage_weight) * sim
            # An entry never asked the way this question asks (a "when" question, only
            # "what" phrasings) ranks lower; its score, which decides whether to answer
            # at all, is left as it is, so the reorder can only make the bot less sure.
            mismatch = bool(kinds and self._kinds[i] and not kinds & self._kinds[i])
            order[i] = score - cfg.kind_penalty * mismatch
            results.append((round(score, 2), cov, evidence, i))
        results.sort(key=lambda r: -order[r[3]])
        return results
