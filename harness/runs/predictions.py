"""The one reader of predictions.jsonl, and its one rule: which record of a document counts.

Resume, scoring, rescore, export and the report all read through `scan`: **a document's
last readable record counts**; a line that is not a readable record (a torn tail after a
crash, a junk line) counts for nothing and is reported with its file and line number.
Before, resume validated every record while scoring took the last line naming the document,
so a junk last line left a document recorded for resume and `not_run` for scoring, forever.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from harness.runs.records import PredictionRecord

__all__ = ["Scan", "Unreadable", "scan"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unreadable:
    path: Path
    line_no: int
    reason: str
    torn: bool = False  # the last line, cut by a crash or a full disk: expected, not warned

    def __str__(self) -> str:
        return f"{self.path}:{self.line_no}: {self.reason}"


@dataclass
class Scan:
    """Byte offset of each document's counting record, and the lines that were skipped."""

    offsets: dict[str, int] = field(default_factory=dict)
    records: dict[str, PredictionRecord] = field(default_factory=dict)  # only if kept
    unreadable: list[Unreadable] = field(default_factory=list)


def scan(path: Path, keep_records: bool = False, warn: bool = True) -> Scan:
    """Read every line once. `keep_records` keeps the counting records in memory (resume,
    export); scoring keeps only offsets and reads each record back when its batch comes.
    Each skipped line is one `warning:` line on this module's logger unless `warn` is off."""
    result = Scan()
    if not path.exists():
        return result
    with path.open("rb") as handle:
        offset = 0
        for line_no, line in enumerate(handle, start=1):
            record, reason = _parse(line)
            if record is not None:
                result.offsets[record.doc_id] = offset
                if keep_records:
                    result.records[record.doc_id] = record
            elif reason is not None:
                torn = not line.endswith(b"\n")
                result.unreadable.append(Unreadable(path, line_no, reason, torn))
            offset += len(line)
    if warn:
        for problem in (p for p in result.unreadable if not p.torn):
            _log.warning("warning: %s; the line is ignored", problem)
    return result


def read_at(path: Path, offset: int) -> PredictionRecord:
    """The record `scan` found at `offset` (it was readable then)."""
    with path.open("rb") as handle:
        handle.seek(offset)
        return PredictionRecord.model_validate_json(handle.readline())


def _parse(line: bytes) -> tuple[PredictionRecord | None, str | None]:
    """The record on a line, or why there is none (None for a blank line)."""
    if not line.strip():
        return None, None
    if not line.endswith(b"\n"):
        return None, "torn last line (a crash mid-write), not a record"
    try:
        return PredictionRecord.model_validate_json(line), None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return None, f"not a prediction record ({where + ': ' if where else ''}{first['msg']})"
