"""The sweep folder on disk: `<results>/sweeps/<name>/`, one run folder per cell.

    sweep.json              the sweep file as run (its models, validated)
    summary.json, .md       one row per cell, rebuilt from the cells' folders every time
    server-<endpoint>.log   a local endpoint's server log
    cells/<cell id>/        an ordinary run folder (manifest.json, predictions.jsonl, ...)
    leases/<cell id>.lease  which process runs the cell now (`--cells`; runs/lease.py)

Nothing else in the harness spells these names: the engine, `compare` and `report` all
come through here.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.errors import UserInputError, json_path
from harness.runs.folder import RunFolder, write_atomic
from harness.scoring.metrics import MetricValue

__all__ = ["SummaryCell", "SweepFolder", "SweepSummary", "cell_outcome"]

_CELLS, _SUMMARY, _SUMMARY_MD, _SWEEP = "cells", "summary.json", "summary.md", "sweep.json"
_LEASES = "leases"


class SummaryCell(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    label: str = ""  # what tells this cell from the others (written since 0.x; "" before)
    prompt: str
    endpoint: str
    model: str
    params: dict[str, object]
    repeat: int
    folder: str
    status: str
    n_docs: int | None
    metrics: dict[str, MetricValue]
    failures: dict[str, int]
    error: str | None


class SweepSummary(BaseModel):
    """`summary.json`: one row per cell, headline metrics with 95% bootstrap intervals."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    metrics: list[str]
    cells: list[SummaryCell]


def cell_outcome(run: RunFolder, metrics: list[str]) -> dict[str, object]:
    """A cell's status, error, document count, `metrics` and failures, read from its run
    folder: the one rule for what a summary row says, at a sweep's end and after rescore."""
    status, error = "not run", None
    if run.has_manifest():
        manifest = run.read_manifest()
        status, error = manifest.status, manifest.error
    found = run.read_metrics() if run.has_metrics() else None
    return {
        "status": status,
        "error": error,
        "n_docs": found.n_docs if found else None,
        "metrics": {k: v for k, v in (found.metrics if found else {}).items() if k in metrics},
        "failures": found.failures if found else {},
    }


class SweepFolder:
    CELLS = _CELLS

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def of(cls, results: Path, name: str) -> SweepFolder:
        return cls(results / "sweeps" / name)

    @staticmethod
    def holds_sweep(path: Path) -> bool:
        """A sweep folder has run at least once: `summary.json` beside `cells/`."""
        return (path / _CELLS).is_dir() and (path / _SUMMARY).is_file()

    @classmethod
    def cells_under(cls, results: Path) -> list[Path]:
        """Every cell run folder (one holding a manifest) of every sweep under `results`."""
        found = results.glob(f"sweeps/*/{_CELLS}/*/manifest.json")
        return sorted(path.parent for path in found)

    @classmethod
    def label_of(cls, run: Path) -> str | None:
        """The label a sweep summary gives the cell folder `run`; None if it is no cell."""
        sweep = cls(run.parent.parent)
        if run.parent.name != _CELLS or not cls.holds_sweep(sweep.path):
            return None
        try:
            cells = sweep.read_summary().cells
        except (OSError, UserInputError):  # a summary we cannot read costs only the label
            return None
        return next((c.label for c in cells if c.id == run.name and c.label), None)

    def cell(self, cell_id: str) -> Path:
        return self.path / _CELLS / cell_id

    def lease(self, cell_id: str) -> Path:
        return self.path / _LEASES / f"{cell_id}.lease"

    def cell_ref(self, cell_id: str) -> str:
        """The cell's folder relative to the sweep folder, as the summary records it."""
        return f"{_CELLS}/{cell_id}"

    def server_log(self, endpoint: str) -> Path:
        return self.path / f"server-{endpoint}.log"

    def prepare(self, sweep_json: str) -> None:
        (self.path / _CELLS).mkdir(parents=True, exist_ok=True)
        write_atomic(self.path / _SWEEP, sweep_json)

    def write_summary(self, summary: SweepSummary, markdown: str) -> None:
        write_atomic(self.path / _SUMMARY, summary.model_dump_json(indent=2) + "\n")
        write_atomic(self.path / _SUMMARY_MD, markdown)

    def read_summary(self) -> SweepSummary:
        path = self.path / _SUMMARY
        try:
            return SweepSummary.model_validate_json(path.read_text(encoding="utf-8"))
        except ValidationError as exc:
            first = exc.errors()[0]
            raise UserInputError(
                f"{path}: {json_path(first['loc'])}: not a sweep summary: {first['msg']}"
            ) from exc

    def refreshed_summary(self) -> SweepSummary:
        """The summary with every row re-read from its cell's folder (after a rescore)."""
        summary = self.read_summary()
        cells = [
            cell.model_copy(update=cell_outcome(RunFolder(self.cell(cell.id)), summary.metrics))
            for cell in summary.cells
        ]
        return summary.model_copy(update={"cells": cells})

    def completed_cells(self) -> tuple[list[RunFolder], list[str]]:
        """The completed cells' run folders in sweep order, and a note for each one left out."""
        folders: list[RunFolder] = []
        notes: list[str] = []
        for cell in self.read_summary().cells:
            if cell.status == "completed":
                folders.append(RunFolder.open(self.cell(cell.id)))
            else:
                notes.append(f"{self.path.name}: cell {cell.id} left out ({cell.status})")
        return folders, notes
