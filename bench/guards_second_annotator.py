"""Do the guards reject claims that two annotators wrote independently for the same text?

Run from the repository root:

    python bench/guards_second_annotator.py

`tests/data/second_annotator/` holds a second, independent annotation of two seed
documents (issue 12). Its claims are scored as predictions against `gold/` with each
matcher; every pair one matcher accepts and another does not is printed, so a reader can
judge who is right. The calibration pairs' negatives were built by rule (a changed number,
an added "not"); these claims were written by another annotator, like a model's.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.claims import Claim
from harness.corpus import load_documents, load_gold
from harness.scoring.document import ScoringConfig, score_document

MATCHERS = ("lexical", "lexical+guards")
SECOND = Path("tests/data/second_annotator")


def main() -> int:
    documents = {d.id: d for d in load_documents(Path("seeds"))}
    ids = sorted(p.stem for p in SECOND.glob("*.json"))
    gold = load_gold(Path("gold"), [documents[i] for i in ids])
    other = load_gold(SECOND, [documents[i] for i in ids])
    totals = dict.fromkeys(MATCHERS, 0)
    fields = set(Claim.model_fields)
    for doc_id in ids:
        claims = other[doc_id].claims
        predicted = [Claim.model_validate(c.model_dump(include=fields)) for c in claims]
        found: dict[str, set[tuple[int, int]]] = {}
        for name in MATCHERS:
            score = score_document(
                doc_id, documents[doc_id].text, gold[doc_id], predicted,
                config=ScoringConfig(matcher=name),
            )  # fmt: skip
            found[name] = {(p.predicted, p.gold) for p in score.pairs}
            totals[name] += len(found[name])
        counts = ", ".join(f"{name} {len(found[name])}" for name in MATCHERS)
        print(f"{doc_id}: {len(predicted)} second-annotator claims, "
              f"{len(gold[doc_id].claims)} gold; matched: {counts}")  # fmt: skip
        a, b = (found[name] for name in MATCHERS)
        for label, pairs in ((f"only {MATCHERS[0]}", a - b), (f"only {MATCHERS[1]}", b - a)):
            for p, g in sorted(pairs):
                print(f"  {label}:\n    second: {predicted[p].statement}\n"
                      f"    gold:   {gold[doc_id].claims[g].statement}")  # fmt: skip
    print("total matched: " + ", ".join(f"{name} {n}" for name, n in totals.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
