"""Checks on a folder of gold files, beyond the schema: the mistakes labellers make.

Each problem is one line `file: json-path: message`, so an editor can jump to it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from harness.claims import GoldDocument, SpeakerType
from harness.corpus import read_gold_file
from harness.errors import UserInputError
from harness.scoring.speaker_names import SpeakerKind, describe_speaker
from harness.scoring.speakers import normalise_speaker
from harness.scoring.text import normalise

__all__ = ["GoldProblem", "validate_gold_folder"]

_SUSPICIOUS = frozenset(
    {
        "he",
        "she",
        "they",
        "it",
        "we",
        "i",
        "you",
        "him",
        "her",
        "them",
        "unknown",
        "none",
        "null",
        "n/a",
        "speaker",
        "author",
        "the article",
    }
)


@dataclass(frozen=True, slots=True)
class GoldProblem:
    path: Path
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.where}: {self.message}"


def _claim_problems(path: Path, gold: GoldDocument, text: str) -> list[GoldProblem]:
    problems = []
    seen: dict[tuple[str, str], int] = {}
    for i, claim in enumerate(gold.claims):
        where = f"$.claims[{i}]"
        if normalise(claim.evidence) not in text:
            problems.append(
                GoldProblem(
                    path, f"{where}.evidence", f"not found in the document: {claim.evidence[:60]!r}"
                )
            )
        key = (normalise(claim.statement), normalise(claim.speaker or ""))
        if key in seen:
            problems.append(GoldProblem(path, where, f"duplicate of claims[{seen[key]}]"))
        seen.setdefault(key, i)
        if claim.speaker is not None and (
            not claim.speaker.strip() or normalise(claim.speaker) in _SUSPICIOUS
        ):
            problems.append(
                GoldProblem(
                    path, f"{where}.speaker", f"suspicious speaker {claim.speaker!r}: use the name"
                )
            )
        if (claim.speaker is None) != (claim.speaker_type is SpeakerType.AUTHOR):
            problems.append(
                GoldProblem(
                    path,
                    f"{where}.speaker_type",
                    "speaker null goes with speaker_type 'author' and only it",
                )
            )
    return problems


def _alias_collisions(path: Path, gold: GoldDocument) -> list[GoldProblem]:
    """An alias of one speaker that is another speaker's name makes matching ambiguous."""
    owners: dict[str, set[str]] = defaultdict(set)
    for claim in gold.claims:
        if claim.speaker is None:
            continue
        canonical = normalise_speaker(claim.speaker)
        for name in (claim.speaker, *claim.speaker_aliases):
            owners[normalise_speaker(name)].add(canonical)
    problems = []
    for i, claim in enumerate(gold.claims):
        if claim.speaker is None:
            continue
        canonical = normalise_speaker(claim.speaker)
        for j, alias in enumerate(claim.speaker_aliases):
            others = owners[normalise_speaker(alias)] - {canonical}
            if others:
                problems.append(
                    GoldProblem(
                        path,
                        f"$.claims[{i}].speaker_aliases[{j}]",
                        f"alias {alias!r} also names {sorted(others)[0]!r}",
                    )
                )
    return problems


def _role_aliases(path: Path, gold: GoldDocument) -> list[GoldProblem]:
    """A role noun alone ("the spokesperson") never matches a named speaker when scoring, so
    listing it as an alias would only mislead the reader of the gold."""
    problems = []
    for i, claim in enumerate(gold.claims):
        if claim.speaker is None or describe_speaker(claim.speaker).kind is not SpeakerKind.NAMED:
            continue
        for j, alias in enumerate(claim.speaker_aliases):
            described = describe_speaker(alias)
            if described.kind is not SpeakerKind.NAMED and described.generic:
                problems.append(
                    GoldProblem(
                        path,
                        f"$.claims[{i}].speaker_aliases[{j}]",
                        f"alias {alias!r} is a role noun alone: it never identifies "
                        f"{claim.speaker!r} (drop it, or qualify it as the article does)",
                    )
                )
    return problems


def validate_gold_folder(gold_dir: Path, docs_dir: Path) -> tuple[int, int, list[GoldProblem]]:
    """(files, claims, problems) for every `*.json` in `gold_dir`."""
    paths = sorted(gold_dir.glob("*.json"))
    if not paths:
        raise UserInputError(f"{gold_dir}: no gold files (*.json)")
    problems: list[GoldProblem] = []
    n_claims = 0
    for path in paths:
        try:
            gold = read_gold_file(path)
        except UserInputError as exc:
            message = str(exc).removeprefix(f"{path}: ")
            where, _, rest = message.partition(": ")
            problems.append(GoldProblem(path, where, rest or message))
            continue
        n_claims += len(gold.claims)
        doc_path = docs_dir / f"{gold.doc_id}.txt"
        if not doc_path.is_file():
            problems.append(GoldProblem(path, "$.doc_id", f"no document {doc_path}"))
            continue
        text = normalise(doc_path.read_text(encoding="utf-8"))
        problems += _claim_problems(path, gold, text)
        problems += _alias_collisions(path, gold)
        problems += _role_aliases(path, gold)
    return len(paths), n_claims, problems
