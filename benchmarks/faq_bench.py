"""FAQ matcher benchmark: accuracy on the dev set and the held-out set, latency, a baseline.

Run from the repo root: ``.venv/bin/python benchmarks/faq_bench.py`` (``--quick`` skips
the latency rounds on larger synthetic knowledge bases).

Held-out set (tests/data/faq_heldout_citizens.yaml): questions written without reading
the knowledge base, labelled and frozen before any matcher ran on them. Its top-1/top-3
count the in-scope questions whose expected entry exists in the knowledge base being
measured; "missing" is the share of in-scope questions without one. Figures are given
for the frozen `expected` labels (the original knowledge base) and for `expected_after`
(entries added later for missing intents; the original entry, if any, stays acceptable);
a label naming an entry this knowledge base
does not have counts as missing, so the script also measures older commits.

Baseline: rapidfuzz ``process.extractOne`` with ``WRatio`` over the raw lower-cased
phrasings; it "answers" when its score is >= BASELINE_ANSWER (80), which is what the
out-of-scope metric counts. Top-1 for both systems is the best-ranked entry whatever
the action; "answered right/wrong" counts only confident answers.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from faq.kb import load_knowledge_base  # noqa: E402
from faq.kb_model import FaqEntry, KnowledgeBase  # noqa: E402
from faq.matcher import Matcher  # noqa: E402
from faq.normalize import strip_diacritics  # noqa: E402

DEVSET = ROOT / "tests" / "data" / "faq_devset.yaml"
HELDOUT = ROOT / "tests" / "data" / "faq_heldout_citizens.yaml"
NOT_AN_ENTRY = {"none", "out_of_scope", "smalltalk"}
BASELINE_ANSWER = 80.0

Ranker = Callable[[str], tuple[list[str], bool]]  # -> (ranked entry ids, answered?)
Row = tuple[str, str, str]


class Baseline:
    """extractOne/extract with WRatio over lower-cased phrasings."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.choices = [q.lower() for e in kb.entries for q in e.questions]
        self.owner = [e.id for e in kb.entries for _ in e.questions]

    def top1(self, text: str) -> tuple[str | None, float]:
        best = process.extractOne(text.lower(), self.choices, scorer=fuzz.WRatio)
        return (self.owner[best[2]], best[1]) if best else (None, 0.0)

    def rank(self, text: str) -> tuple[list[str], bool]:
        ids: list[str] = []
        hits = process.extract(text.lower(), self.choices, scorer=fuzz.WRatio, limit=30)
        for _, _, idx in hits:
            if self.owner[idx] not in ids:
                ids.append(self.owner[idx])
        return ids[:3], bool(hits) and hits[0][1] >= BASELINE_ANSWER


def ours(matcher: Matcher) -> Ranker:
    def rank(text: str) -> tuple[list[str], bool]:
        result = matcher.match(text)
        return [s.entry.id for s in result.suggestions], result.action == "answer"

    return rank


def accuracy(
    rank: Ranker, items: Sequence[dict[str, Any]], strip: bool = False
) -> dict[str, float]:
    top1 = top3 = right = wrong = 0
    for q in items:
        ids, answered = rank(strip_diacritics(q["q"]) if strip else q["q"])
        top1 += ids[:1] == [q["id"]]
        top3 += q["id"] in ids[:3]
        right += answered and ids[:1] == [q["id"]]
        wrong += answered and ids[:1] != [q["id"]]
    n = len(items)
    return {"top1": top1 / n, "top3": top3 / n, "right": right / n, "wrong": wrong / n}


def synthetic_kb(kb: KnowledgeBase, factor: int, seed: int = 7) -> KnowledgeBase:
    """KB ``factor`` times larger: copies of real entries with perturbed phrasings."""
    rng = random.Random(seed)
    words = sorted({w for e in kb.entries for q in e.questions for w in q.lower().split()})
    entries: list[FaqEntry] = list(kb.entries)
    for k in range(1, factor):
        for e in kb.entries:
            questions = []
            for q in e.questions:
                toks = q.split()
                if len(toks) > 3:
                    del toks[rng.randrange(len(toks))]
                i = rng.randrange(len(toks) - 1) if len(toks) > 1 else 0
                toks[i : i + 2] = reversed(toks[i : i + 2])
                toks.insert(rng.randrange(len(toks) + 1), rng.choice(words))
                toks.append(f"xã{k}{rng.randrange(1000)}")  # unique token, like a place name
                questions.append(" ".join(toks))
            entries.append(replace(e, id=f"{e.id}-syn{k}", questions=tuple(questions)))
    return KnowledgeBase(entries=tuple(entries), topics=kb.topics)


def latency(
    fn: Callable[[str], object], texts: Sequence[str], rounds: int = 3
) -> tuple[float, float]:
    """Median and p99 per call in milliseconds."""
    for t in texts[:20]:
        fn(t)  # warm caches
    samples: list[float] = []
    for _ in range(rounds):
        for t in texts:
            start = time.perf_counter()
            fn(t)
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.99 * (len(samples) - 1))]


def _labels(value: Any) -> set[str]:
    return set(value) if isinstance(value, list) else {str(value)}


def _expected(question: dict[str, Any], key: str) -> set[str]:
    """Acceptable entry ids; an entry added later does not make the original one wrong."""
    ids = _labels(question["expected"]) - NOT_AN_ENTRY
    return ids | _labels(question.get(key, question["expected"])) - NOT_AN_ENTRY


def _score_heldout(
    results: dict[str, tuple[list[str], bool]], covered: list[tuple[str, set[str]]]
) -> dict[str, float]:
    """top-1/top-3 and confident right/wrong answers over questions with an entry."""
    n = max(len(covered), 1)
    hits = [(results[t][0], results[t][1], ids) for t, ids in covered]
    return {
        "top-1": sum(bool(r[:1]) and r[0] in ids for r, _, ids in hits) / n,
        "top-3": sum(bool(set(r[:3]) & ids) for r, _, ids in hits) / n,
        "answered right": sum(a and bool(r) and r[0] in ids for r, a, ids in hits) / n,
        "answered wrong": sum(a and not (r and r[0] in ids) for r, a, ids in hits) / n,
    }


def heldout_rows(kb: KnowledgeBase, systems: dict[str, Ranker], matcher: Matcher) -> list[Row]:
    """Held-out figures for both label sets, for ours and the baseline."""
    items: list[dict[str, Any]] = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))["questions"]
    known = {e.id for e in kb.entries}
    results = {name: {q["text"]: rank(q["text"]) for q in items} for name, rank in systems.items()}
    oos = [q["text"] for q in items if _labels(q["expected"]) == {"out_of_scope"}]
    talk = [q["text"] for q in items if _labels(q["expected"]) == {"smalltalk"}]
    in_scope = [q for q in items if not _labels(q["expected"]) & {"out_of_scope", "smalltalk"}]
    rows: list[Row] = []
    for name, key in (("frozen labels", "expected"), ("labels after", "expected_after")):
        labelled = [(q["text"], _expected(q, key) & known) for q in in_scope]
        covered = [(t, ids) for t, ids in labelled if ids]
        missing = [t for t, ids in labelled if not ids]
        prefix = f"held-out, {name}:"
        rows.append((f"{prefix} in scope with an entry", f"{len(covered):>7}", ""))
        share = len(missing) / len(in_scope)
        rows.append((f"{prefix} in scope, intent missing", f"{share:7.1%}", ""))
        ours, base = (_score_heldout(results[s], covered) for s in ("ours", "baseline"))
        rows += [(f"{prefix} {m}", f"{ours[m]:7.1%}", f"{base[m]:8.1%}") for m in ours]
        answered = [
            sum(results[s][t][1] for t in missing) / max(len(missing), 1)
            for s in ("ours", "baseline")
        ]
        rows.append(
            (f"{prefix} missing intent answered", f"{answered[0]:7.1%}", f"{answered[1]:8.1%}")
        )
    answered = [sum(results[s][t][1] for t in oos) / len(oos) for s in ("ours", "baseline")]
    label = f"held-out out of scope answered ({len(oos)})"
    rows.append((label, f"{answered[0]:7.1%}", f"{answered[1]:8.1%}"))
    talked = sum(matcher.match(t).action == "smalltalk" for t in talk)
    rows.append((f"held-out smalltalk recognised (of {len(talk)})", f"{talked:>7}", ""))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the latency rounds")
    args = parser.parse_args()
    devset: list[dict[str, Any]] = yaml.safe_load(DEVSET.read_text(encoding="utf-8"))["questions"]
    kb = load_knowledge_base()
    in_scope = [q for q in devset if q["id"] is not None]
    oos = [q for q in devset if q["id"] is None]
    with_marks = [q for q in in_scope if "diacritics" in q["tags"]]
    without = [q for q in in_scope if "no_diacritics" in q["tags"]]
    abbrev = [q for q in in_scope if "abbrev" in q["tags"]]
    typo = [q for q in in_scope if "typo" in q["tags"]]
    held = [q for q in in_scope if "holdout" in q["tags"]]
    held_oos = [q for q in oos if "holdout" in q["tags"]]
    matcher, base = Matcher(kb), Baseline(kb)
    systems = {"ours": ours(matcher), "baseline": base.rank}

    print(
        f"KB: {len(kb.entries)} entries, {len(kb.topics)} topics; dev set: {len(devset)} questions"
    )
    print(
        f"  in scope {len(in_scope)} (diacritics {len(with_marks)}, no diacritics {len(without)}, "
        f"abbrev {len(abbrev)}, typo {len(typo)}, held-out {len(held)}), out of scope {len(oos)}"
    )
    print(f"  baseline answers when WRatio >= {BASELINE_ANSWER:.0f}\n")
    rows: list[Row] = []

    def row(label: str, fn: Callable[[Ranker], float]) -> None:
        rows.append((label, f"{fn(systems['ours']):7.1%}", f"{fn(systems['baseline']):7.1%}"))

    row("top-1, with diacritics", lambda r: accuracy(r, with_marks)["top1"])
    row("top-1, without diacritics (tag)", lambda r: accuracy(r, without)["top1"])
    row("top-1, all in scope stripped", lambda r: accuracy(r, in_scope, strip=True)["top1"])
    row("top-1, abbreviations", lambda r: accuracy(r, abbrev)["top1"])
    row("top-1, typos", lambda r: accuracy(r, typo)["top1"])
    row("top-1, all in scope", lambda r: accuracy(r, in_scope)["top1"])
    row("top-3, all in scope", lambda r: accuracy(r, in_scope)["top3"])
    row(f"top-1, held-out batch ({len(held)})", lambda r: accuracy(r, held)["top1"])
    row(f"top-3, held-out batch ({len(held)})", lambda r: accuracy(r, held)["top3"])
    row("answered right (in scope)", lambda r: accuracy(r, in_scope)["right"])
    row("answered wrong (in scope)", lambda r: accuracy(r, in_scope)["wrong"])
    row("out of scope answered as known", lambda r: sum(r(q["q"])[1] for q in oos) / len(oos))
    row(
        f"held-out OOS answered ({len(held_oos)})",
        lambda r: sum(r(q["q"])[1] for q in held_oos) / len(held_oos),
    )
    actions = [matcher.match(q["q"]).action for q in oos]
    rows.append(
        (
            "out of scope -> fallback (ours)",
            f"{actions.count('fallback') / len(oos):7.1%}",
            "      -",
        )
    )

    rows += heldout_rows(kb, systems, matcher)

    texts = [q["q"] for q in devset]
    for factor in (1,) if args.quick else (1, 10, 100):
        big = kb if factor == 1 else synthetic_kb(kb, factor)
        start = time.perf_counter()
        m = Matcher(big)
        build = (time.perf_counter() - start) * 1000
        b = Baseline(big)
        om, op = latency(m.match, texts)
        bm, bp = latency(b.top1, texts, rounds=1 if factor == 100 else 3)
        label = f"latency {factor}x ({len(big.entries)} entries) ms"
        rows.append((f"{label} median", f"{om:7.2f}", f"{bm:7.2f}"))
        rows.append((f"{label} p99", f"{op:7.2f}", f"{bp:7.2f}"))
        rows.append((f"index build {factor}x ms", f"{build:7.0f}", "      -"))

    width = max(len(r[0]) for r in rows)
    print(f"{'metric':<{width}} | {'ours':>7} | {'baseline':>8}")
    print(f"{'-' * width}-+-{'-' * 7}-+-{'-' * 8}")
    for label, a, b2 in rows:
        print(f"{label:<{width}} | {a:>7} | {b2:>8}")


if __name__ == "__main__":
    main()
