"""Human-labelled (predicted, gold) claim pairs: `calibration/pairs.jsonl`.

One JSON object per line: pair_id, doc_id, kind, predicted (a Claim), gold (a GoldClaim)
and labels {annotator: true|false}, each label saying "the predicted claim IS this gold
claim" under docs/annotation-guidelines.md, section "Same claim". `kind` records how the
pair was built and is never used as a label. Errors name the file, the line and the field.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from harness.claims import Claim, GoldClaim
from harness.errors import UserInputError, json_path

__all__ = ["CalibrationPair", "consensus", "load_pairs"]


class CalibrationPair(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    pair_id: str = Field(min_length=1)
    doc_id: str = Field(min_length=1)
    kind: str
    predicted: Claim
    gold: GoldClaim
    labels: dict[str, StrictBool] = Field(min_length=1)  # "yes" must not pass as true


def consensus(pair: CalibrationPair) -> bool | None:
    """The label every annotator gave, or None when they disagree."""
    values = set(pair.labels.values())
    return values.pop() if len(values) == 1 else None


def load_pairs(path: Path) -> list[CalibrationPair]:
    """Every pair of the file, validated; the first bad line stops loading."""
    if not path.is_file():
        raise UserInputError(f"{path}: no such pairs file")
    pairs: list[CalibrationPair] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                pair = CalibrationPair.model_validate(json.loads(line))
            except json.JSONDecodeError as exc:
                raise UserInputError(f"{where}: not JSON: {exc.msg}") from exc
            except ValidationError as exc:
                first = exc.errors()[0]
                field = json_path(first["loc"])
                raise UserInputError(f"{where}: {field}: {first['msg']}") from exc
            if pair.pair_id in seen:
                raise UserInputError(f"{where}: $.pair_id: duplicate {pair.pair_id!r}")
            seen.add(pair.pair_id)
            pairs.append(pair)
    if not pairs:
        raise UserInputError(f"{path}: no pairs")
    return pairs
