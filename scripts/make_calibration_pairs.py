"""Build the matcher-calibration pairs (calibration/pairs.jsonl) from the project's own gold.

Every matcher answers one question: is this predicted claim that gold claim? To measure how
well a matcher agrees with people we need (predicted, gold) pairs whose answer a person has
given, including the hard ones a lexical rule gets wrong. This script builds the pairs; the
answers come from annotators following section 12 of docs/annotation-guidelines.md and live in
calibration/labels_<annotator>.jsonl, keyed by a hash of the pair so that a pair that changes
loses its stale label instead of inheriting it.

Run from the repository root (deterministic: same inputs, same seed, same files):

    PYTHONPATH=. python scripts/make_calibration_pairs.py

Pairs come from two sources:
- rules applied to the gold (seeded): verbatim copies with model-like variation, a wrong
  speaker, a changed number or date, another claim of the same sentence or document;
- hand-written rewordings in calibration/paraphrases.jsonl (a model's own words) and
  calibration/variants.jsonl (negations, hedges, splits, merges), which the rules cannot write.

Writes calibration/pairs_unlabelled.jsonl (for a blind annotator) and calibration/pairs.jsonl
(pairs with every annotator's labels); prints counts per kind and label.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.claims import Claim, GoldClaim, GoldDocument
from harness.scoring.text import normalise, tokens

SEED = 13
DOC_PREFIXES = [f"{i:03d}_" for i in range(1, 28)]  # 000_ is excluded: its gold is being rewritten
QUOTA = {  # pairs built by rule, per kind
    "verbatim": 85,
    "other_speaker": 55,
    "number": 45,
    "date": 30,
    "same_sentence_other_claim": 40,
    "other_claim_same_doc": 40,
}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip
NUMBER_WORDS = {"two": "four", "three": "five", "four": "six", "five": "seven", "six": "eight",
                "seven": "nine", "eight": "eleven", "ten": "twelve", "twelve": "twenty",
                "sixteen": "eighteen", "seventeen": "seventy", "twenty": "thirty",
                "thirty": "thirteen", "hundreds": "dozens", "thousands": "millions"}  # fmt: skip


@dataclass(frozen=True)
class Doc:
    doc_id: str
    text: str
    claims: list[GoldClaim]


@dataclass(frozen=True)
class Pair:
    doc_id: str
    kind: str
    predicted: Claim
    gold: GoldClaim

    def key(self) -> str:
        """Content hash: a label belongs to these exact texts, not to a line number.

        The gold's `speaker_aliases` are left out: they are a scoring aid (other names for the
        speaker), not part of what the claim says, so pruning an alias keeps the label."""
        gold = self.gold.model_dump(mode="json", exclude={"speaker_aliases"})
        body = json.dumps([self.doc_id, self.predicted.model_dump(mode="json"), gold],
                          sort_keys=True)  # fmt: skip
        return hashlib.sha1(body.encode()).hexdigest()[:12]


def load_docs(root: Path) -> dict[str, Doc]:
    docs = {}
    for gold_path in sorted((root / "gold").glob("*.json")):
        if not gold_path.name.startswith(tuple(DOC_PREFIXES)):
            continue
        gold = GoldDocument.model_validate_json(gold_path.read_text(encoding="utf-8"))
        text = (root / "seeds" / f"{gold.doc_id}.txt").read_text(encoding="utf-8")
        docs[gold.doc_id] = Doc(gold.doc_id, text, list(gold.claims))
    return docs


def token_f1(a: str, b: str) -> float:
    ta, tb = Counter(tokens(a)), Counter(tokens(b))
    common = sum((ta & tb).values())
    return 2 * common / (sum(ta.values()) + sum(tb.values())) if common else 0.0


# --- evidence spans a model might quote -------------------------------------------------


def sentence_of(text: str, evidence: str) -> str:
    """The whole sentence (or sentences) around a verbatim evidence passage."""
    start = text.find(evidence)
    if start < 0:
        return evidence
    end = start + len(evidence)
    left = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start))
    match = re.compile(r"[.!?][\"'”]?(?=\s|$)").search(text, end)
    right = match.end() if match else len(text)
    return text[left + 1 : max(right, end)].strip()


def trimmed(evidence: str, cue: str | None) -> str:
    """The evidence without its attribution part, as models often quote only the content."""
    if cue and f" {cue} " in evidence:
        rest = evidence.split(f" {cue} ", 1)[1]
    else:
        words = evidence.split()
        rest = " ".join(words[len(words) // 3 :])
    rest = re.sub(r"^(that|,)\s+", "", rest.strip(" ,"))
    return rest if len(rest.split()) >= 4 else evidence


def evidence_for(mode: str, doc: Doc, gold: GoldClaim, statement: str) -> str:
    if mode == "same":
        return gold.evidence
    if mode == "sentence":
        return sentence_of(doc.text, gold.evidence)
    if mode == "trim":
        return trimmed(gold.evidence, gold.cue)
    if mode == "own":  # no usable quote: the model repeats its own statement
        return statement
    if normalise(mode) not in normalise(doc.text):
        raise ValueError(f"{doc.doc_id}: evidence is not in the document: {mode!r}")
    return mode


# --- model-like variation of a copied claim ----------------------------------------------


def with_speaker_in_statement(statement: str, speaker: str) -> str:
    if speaker.split()[-1] in statement:  # "According to Trump, Trump ..." reads as no model writes
        return statement
    if statement.split()[0] in {"The", "A", "An", "Some", "All", "Other", "There", "This", "It"}:
        statement = statement[0].lower() + statement[1:]
    return f"According to {speaker}, {statement}"


def vary(rng: random.Random, doc: Doc, gold: GoldClaim, **override: Any) -> Claim:
    """A copy of a gold claim as a model would write it: same content, different surface."""
    fields = gold.model_dump(exclude={"speaker_aliases", "required"})
    fields.update(override)
    options = ["sentence", "trim", "no_period", "via", "quote_type"]
    if gold.speaker_aliases and "speaker" not in override:
        options.append("alias")
    if fields["speaker"]:
        options.append("in_statement")
    for choice in rng.sample(options, 2):
        if choice in ("sentence", "trim"):
            fields["evidence"] = evidence_for(choice, doc, gold, gold.statement)
        elif choice == "no_period":
            fields["statement"] = fields["statement"].rstrip(".")
        elif choice == "via":
            fields["via"] = []
        elif choice == "quote_type" and fields["quote_type"] in ("direct", "mixed"):
            fields["quote_type"] = "indirect"
        elif choice == "alias":
            fields["speaker"] = rng.choice(gold.speaker_aliases)
        elif choice == "in_statement":
            fields["statement"] = with_speaker_in_statement(fields["statement"], fields["speaker"])
    return Claim.model_validate(fields)


# --- rule-built kinds ----------------------------------------------------------------------


def all_claims(docs: dict[str, Doc]) -> list[tuple[Doc, int, GoldClaim]]:
    return [(d, i, c) for d in docs.values() for i, c in enumerate(d.claims)]


def verbatim_pairs(rng: random.Random, docs: dict[str, Doc]) -> list[Pair]:
    chosen = rng.sample(all_claims(docs), QUOTA["verbatim"])
    return [Pair(d.doc_id, "verbatim", vary(rng, d, c), c) for d, _, c in chosen]


def names_of(claim: GoldClaim) -> set[str]:
    return {n.casefold() for n in [claim.speaker or "", *claim.speaker_aliases] if n}


def asserts(doc: Doc, speaker: str | None, statement: str) -> bool:
    """Does this speaker make (nearly) this statement anywhere in the document's gold?"""
    return any(c.speaker == speaker and token_f1(c.statement, statement) >= 0.6 for c in doc.claims)


def misattributed(rng: random.Random, docs: dict[str, Doc], n: int) -> list[Pair]:
    """Right content at the right place, credited to someone in the document who did not say it."""
    out: list[Pair] = []
    for d, _, c in rng.sample(all_claims(docs), len(all_claims(docs))):
        others = {
            (o.speaker, o.speaker_type)
            for o in d.claims
            if o.speaker != c.speaker
            and (o.speaker or "").casefold() not in names_of(c)
            and not asserts(d, o.speaker, c.statement)
        }
        if not others or len(out) >= n:
            continue
        speaker, stype = rng.choice(sorted(others, key=str))
        cue = None if speaker is None else (c.cue or "said")
        qtype = "none" if speaker is None else ("indirect" if c.speaker is None else c.quote_type)
        over = {"speaker": speaker, "speaker_type": stype, "cue": cue, "quote_type": qtype}
        out.append(Pair(d.doc_id, "other_speaker", vary(rng, d, c, **over, via=[]), c))
    return out


def claim_pairs(docs: dict[str, Doc]) -> list[tuple[Doc, GoldClaim, GoldClaim]]:
    return [(d, a, b) for d in docs.values() for a in d.claims for b in d.claims if a is not b]


def same_content_other_speaker(rng: random.Random, docs: dict[str, Doc], n: int) -> list[Pair]:
    """A claim truly made by one source, against the gold claim of another who said the same."""
    found = [
        (d, a, b)
        for d, a, b in claim_pairs(docs)
        if a.speaker != b.speaker and token_f1(a.statement, b.statement) >= 0.5
    ]
    chosen = rng.sample(found, min(n, len(found)))
    return [Pair(d.doc_id, "other_speaker", vary(rng, d, a), b) for d, a, b in chosen]


def same_sentence(doc: Doc, a: GoldClaim, b: GoldClaim) -> bool:
    return sentence_of(doc.text, a.evidence) == sentence_of(doc.text, b.evidence) or (
        a.evidence in b.evidence or b.evidence in a.evidence
    )


def other_claim_pairs(rng: random.Random, docs: dict[str, Doc]) -> list[Pair]:
    """Another proposition of the same sentence, and the most similar claim elsewhere."""
    distinct = [
        (d, a, b)
        for d, a, b in claim_pairs(docs)
        if (token_f1(a.statement, b.statement) < 0.6 and a.speaker == b.speaker)
        or token_f1(a.statement, b.statement) < 0.5
    ]
    sentence = [t for t in distinct if same_sentence(*t)]
    nearest: list[tuple[Doc, GoldClaim, GoldClaim]] = []
    for d in docs.values():
        for a in d.claims:
            rest = [b for dd, aa, b in distinct if aa is a and not same_sentence(d, a, b)]
            if rest:
                nearest.append((d, a, max(rest, key=lambda b: token_f1(a.statement, b.statement))))
    out = []
    for kind, pool in (("same_sentence_other_claim", sentence), ("other_claim_same_doc", nearest)):
        for d, a, b in rng.sample(pool, QUOTA[kind]):
            out.append(Pair(d.doc_id, kind, vary(rng, d, a), b))
    return out


def changed_number(rng: random.Random, statement: str) -> str | None:
    """The statement with one quantity changed; None when it states no plain quantity."""
    pattern = re.compile(
        r"(?<![\w/:.-])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w/:-])"
        r"|\b(" + "|".join(NUMBER_WORDS) + r")\b"
    )
    dates = rf"(?:{'|'.join(MONTHS)}) $|^,? (?:19|20)\d\d"
    spots = [
        m
        for m in pattern.finditer(statement)
        if not re.search(dates, statement[max(0, m.start() - 10) : m.start()])
        and not re.fullmatch(r"(19|20)\d\d", m.group())
        and not re.search(r"(Boeing|Airbus A|Article|Category|COVID-) ?$", statement[: m.start()])
    ]
    if not spots:
        return None
    m = rng.choice(spots)
    if m.group(2):
        new = NUMBER_WORDS[m.group(2)]
    else:
        value = float(m.group(1).replace(",", ""))
        if statement[m.end() : m.end() + 1] == "%":  # a share stays a share
            scaled = value / 2 if value > 50 else value * 2
        else:
            halves = [0.5] if value >= 4 and value % 2 == 0 else []
            scaled = value * rng.choice([10, 2, *halves] if value >= 4 else [10, 3])
        new = f"{scaled:,.0f}" if "," in m.group(1) else f"{scaled:g}"
    return statement[: m.start()] + new + statement[m.end() :]


def changed_date(rng: random.Random, statement: str) -> str | None:
    """The statement with one weekday, month, day of month or year changed."""
    named = r"\b(" + "|".join(WEEKDAYS + MONTHS) + r")\b|\b((?:19|20)\d\d)\b(?!/)"
    day = r"\b(?:" + "|".join(MONTHS) + r") (\d{1,2})\b"
    spots = [m.span(m.lastindex or 0) for m in re.finditer(f"{day}|{named}", statement)]
    if not spots:
        return None
    start, end = rng.choice(spots)
    word = statement[start:end]
    if word in WEEKDAYS:
        new = WEEKDAYS[(WEEKDAYS.index(word) + rng.choice([1, 2, 5])) % 7]
    elif word in MONTHS:
        new = MONTHS[(MONTHS.index(word) + rng.choice([1, 2, 11])) % 12]
    elif len(word) == 4:
        new = str(int(word) + rng.choice([-1, 1]))
    else:
        new = str((int(word) + rng.choice([3, 9])) % 28 + 1)
    return statement[:start] + new + statement[end:]


def altered_pairs(rng: random.Random, docs: dict[str, Doc]) -> list[Pair]:
    """A figure or date the model got wrong; sometimes its quoted evidence carries the error."""
    out = []
    for kind, change in (("number", changed_number), ("date", changed_date)):
        pool = [(d, c, change(rng, c.statement)) for d, _, c in all_claims(docs)]
        usable = [(d, c, s) for d, c, s in pool if s]
        for d, c, s in rng.sample(usable, min(QUOTA[kind], len(usable))):
            evidence = rng.choice(["same", "sentence", "own"])
            fields = c.model_dump(exclude={"speaker_aliases", "required"})
            fields.update(statement=s, evidence=evidence_for(evidence, d, c, s))
            out.append(Pair(d.doc_id, kind, Claim.model_validate(fields), c))
    return out


# --- hand-written pairs ----------------------------------------------------------------------


def doc_by_prefix(docs: dict[str, Doc], prefix: str, where: str) -> Doc:
    match = [d for d in docs.values() if d.doc_id.startswith(f"{prefix}_")]
    if len(match) != 1:
        raise ValueError(f"{where}: doc {prefix!r} names no single document in 001-027")
    return match[0]


def handwritten_pairs(path: Path, docs: dict[str, Doc], default_kind: str) -> list[Pair]:
    """Rewordings a person wrote: statement in their words; other fields from the gold claim."""
    out = []
    allowed = {"doc", "gold", "kind", "statement", "ev", "with", "speaker", "speaker_type",
               "cue", "quote_type", "via"}  # fmt: skip
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        row = json.loads(line)
        if unknown := set(row) - allowed:
            raise ValueError(f"{where}: unknown field(s) {sorted(unknown)}")
        doc = doc_by_prefix(docs, row["doc"], where)
        gold = doc.claims[row["gold"]]
        fields = gold.model_dump(exclude={"speaker_aliases", "required"})
        fields.update({k: row[k] for k in ("speaker", "speaker_type", "cue", "quote_type", "via")
                       if k in row})  # fmt: skip
        fields["statement"] = row["statement"]
        ev = row.get("ev", "same")
        if "with" in row and ev == "sentence":  # a merged claim quotes both sentences
            other = doc.claims[row["with"]]
            ev = join_span(doc.text, gold.evidence, other.evidence)
        fields["evidence"] = evidence_for(ev, doc, gold, row["statement"])
        out.append(
            Pair(doc.doc_id, row.get("kind", default_kind), Claim.model_validate(fields), gold)
        )
    return out


def join_span(text: str, a: str, b: str) -> str:
    """The shortest verbatim passage holding both sentences (a model quoting a merged claim)."""
    spans = sorted([(text.find(sentence_of(text, e)), sentence_of(text, e)) for e in (a, b)])
    (s1, t1), (s2, t2) = spans
    if s2 - (s1 + len(t1)) > 200:  # far apart: a model would quote the first sentence only
        return t1
    return text[s1 : max(s1 + len(t1), s2 + len(t2))]


# --- labels and output ---------------------------------------------------------------------


def load_labels(folder: Path) -> dict[str, dict[str, tuple[str, bool]]]:
    """annotator -> pair_id -> (pair key, same claim?) from calibration/labels_<annotator>.jsonl."""
    labels: dict[str, dict[str, tuple[str, bool]]] = {}
    for path in sorted(folder.glob("labels_*.jsonl")):
        name = path.stem.removeprefix("labels_")
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        for n, row in enumerate(rows, 1):
            if not isinstance(row.get("same_claim"), bool):
                raise ValueError(f"{path}:{n}: same_claim must be true or false")
        labels[name] = {r["pair_id"]: (r["key"], r["same_claim"]) for r in rows}
    return labels


def pair_line(pair_id: str, pair: Pair, labels: dict[str, bool] | None) -> str:
    body: dict[str, Any] = {
        "pair_id": pair_id,
        "doc_id": pair.doc_id,
        "kind": pair.kind,
        "predicted": pair.predicted.model_dump(mode="json"),
        "gold": pair.gold.model_dump(mode="json"),
    }
    if labels is not None:
        body["labels"] = labels
    return json.dumps(body, ensure_ascii=False)


def build(root: Path) -> list[Pair]:
    docs = load_docs(root)
    rng = random.Random(SEED)
    pairs = verbatim_pairs(rng, docs)
    pairs += misattributed(rng, docs, 30)
    pairs += same_content_other_speaker(rng, docs, QUOTA["other_speaker"] - 30)
    pairs += other_claim_pairs(rng, docs)
    pairs += altered_pairs(rng, docs)
    folder = root / "calibration"
    pairs += handwritten_pairs(folder / "paraphrases.jsonl", docs, "paraphrase")
    pairs += handwritten_pairs(folder / "variants.jsonl", docs, "variants")
    by_key: dict[str, Pair] = {}
    for p in pairs:  # a rule and a hand-written row can produce the same pair: keep the first
        by_key.setdefault(p.key(), p)
    unique = list(by_key.values())
    for p in unique:  # validate both sides the way the harness will read them
        Claim.model_validate(p.predicted.model_dump(mode="json"))
        GoldClaim.model_validate(p.gold.model_dump(mode="json"))
    random.Random(SEED).shuffle(unique)
    return unique


def sheet(pairs: list[tuple[str, Pair]]) -> str:
    """A plain-text labelling sheet: what an annotator reads (never the kind)."""
    out = []
    for pid, p in pairs:
        pr, g = p.predicted, p.gold
        out.append(
            f"## {pid}  doc {p.doc_id}\n"
            f"  PRED: {pr.statement}\n        [{pr.speaker} | {pr.speaker_type} | {pr.cue}]"
            f"\n        ev: {pr.evidence}\n"
            f"  GOLD: {g.statement}\n        [{g.speaker} | {g.speaker_type} | {g.cue}]"
            f"\n        ev: {g.evidence}\n"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument(
        "--sheet", nargs=2, type=int, metavar=("FROM", "TO"),
        help="print pairs FROM..TO (1-based) as a labelling sheet, then stop",
    )  # fmt: skip
    args = parser.parse_args(argv)
    pairs = [(f"p{i:04d}", p) for i, p in enumerate(build(args.root), 1)]
    if args.sheet:
        print(sheet(pairs[args.sheet[0] - 1 : args.sheet[1]]))
        return 0
    folder = args.root / "calibration"
    labels = load_labels(folder)
    lines, stale = [], Counter[str]()
    for pid, p in pairs:
        got = {}
        for name, table in labels.items():
            key, value = table.get(pid, ("", False))
            if key == p.key():
                got[name] = value
            else:
                stale[name] += 1
        lines.append((pid, p, got))
    (folder / "pairs_unlabelled.jsonl").write_text(
        "".join(pair_line(pid, p, None) + "\n" for pid, p, _ in lines), encoding="utf-8"
    )
    (folder / "pairs.jsonl").write_text(
        "".join(pair_line(pid, p, got) + "\n" for pid, p, got in lines), encoding="utf-8"
    )
    report(lines, stale, sorted(labels))
    return 1 if stale else 0


def report(
    lines: list[tuple[str, Pair, dict[str, bool]]], stale: Counter[str], names: list[str]
) -> None:
    kinds = Counter(p.kind for _, p, _ in lines)
    print(f"{len(lines)} pairs from {len({p.doc_id for _, p, _ in lines})} documents")
    header = "".join(f"  {n + ' T/F':>18}" for n in names)
    print(f"{'kind':<28}{'pairs':>6}{header}")
    for kind in sorted(kinds):
        row = f"{kind:<28}{kinds[kind]:>6}"
        for n in names:
            vals = [got[n] for _, p, got in lines if p.kind == kind and n in got]
            row += f"  {sum(vals):>8} / {len(vals) - sum(vals):<7}"
        print(row)
    for n in names:
        vals = [got[n] for _, _, got in lines if n in got]
        print(f"{n}: {sum(vals)} same / {len(vals) - sum(vals)} different "
              f"({sum(vals) / max(1, len(vals)):.1%} positive)")  # fmt: skip
    for n, count in stale.items():
        print(f"{n}: {count} pairs have no current label (new pair or changed since labelled)")


if __name__ == "__main__":
    sys.exit(main())
