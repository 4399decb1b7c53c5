"""Reading a sweep file and expanding it into cells.

A sweep file (YAML) is checked against the published JSON Schema `sweep` (unknown keys
rejected; every error is one line `file: $.path: message`), then parsed into `SweepFile`
and expanded into `Cell`s. The config hash in a cell's id covers everything a run folder
cannot change on resume (model, sampling parameters, re-asks, output mode, documents), so
changing any of them makes a new cell and leaves the others untouched.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from functools import cache
from pathlib import Path

import jsonschema
import yaml
from pydantic import ValidationError

from harness.endpoints.resolve import with_kind_defaults
from harness.endpoints.settings import SamplingParams
from harness.errors import UserInputError, json_path
from harness.prompts import load_prompt
from harness.schemas import load_published
from harness.sweep import Cell, EndpointSpec, SweepFile

__all__ = ["config_hash", "expand_cells", "load_sweep"]


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(load_published("sweep"))


def load_sweep(path: Path) -> SweepFile:
    """Read, schema-check and parse a sweep file; errors name the file and JSON path."""
    try:
        value = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserInputError(f"{path}: cannot read the sweep file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc
        raise UserInputError(f"{path}: {where}invalid YAML: {problem}") from exc
    error = jsonschema.exceptions.best_match(_validator().iter_errors(value))
    if error is not None:
        raise UserInputError(f"{path}: {json_path(error.absolute_path)}: {error.message}")
    try:
        sweep = SweepFile.model_validate(value)
    except ValidationError as exc:  # the schema should have caught it; same one-line form
        first = exc.errors()[0]
        raise UserInputError(f"{path}: {json_path(first['loc'])}: {first['msg']}") from exc
    _check_references(path, sweep)
    return sweep


def _check_references(path: Path, sweep: SweepFile) -> None:
    problems: list[str] = []
    for index, name in enumerate(sweep.models):
        if name not in sweep.endpoints:
            problems.append(f"$.models[{index}]: unknown endpoint {name!r}")
    if len(set(sweep.models)) != len(sweep.models):
        problems.append("$.models: an endpoint is listed twice")
    for name, spec in sweep.endpoints.items():
        if not spec.kind.takes_url and spec.urls:
            problems.append(f"$.endpoints.{name}.base_url: must be null for model {spec.model!r}")
        if spec.kind.takes_url and not spec.urls:
            problems.append(f"$.endpoints.{name}.base_url: required for model {spec.model!r}")
    for index, override in enumerate(sweep.overrides):
        if override.endpoint is not None and override.endpoint not in sweep.models:
            problems.append(f"$.overrides[{index}].endpoint: {override.endpoint!r} not in models")
        if override.prompt is not None and override.prompt not in sweep.prompts:
            problems.append(f"$.overrides[{index}].prompt: {override.prompt!r} not in prompts")
    if problems:
        raise UserInputError(f"{path}: {problems[0]}")


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text)


def config_hash(sweep: SweepFile, spec: EndpointSpec, params: SamplingParams) -> str:
    """What a run folder cannot change on resume (the prompt and repeat are in the id)."""
    parts = {
        "model": spec.model,
        # a pool is hashed by its sorted URLs: the same replicas in another order are the same cell
        "base_url": spec.urls[0] if len(spec.urls) == 1 else sorted(spec.urls) or None,
        **({"pool_name": spec.pool_name} if spec.pool_name else {}),
        "n_ctx": spec.n_ctx if spec.local else None,
        "params": params.model_dump(),
        "reask": sweep.reask,
        "output_mode": sweep.output_mode,
        "docs": str(sweep.docs),
        "limit": sweep.limit,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:8]


def expand_cells(sweep: SweepFile, path: Path) -> list[Cell]:
    """Every cell in a stable order: prompt, endpoint, params grid, repeat."""
    refs: list[str] = []
    for index, ref in enumerate(sweep.prompts):
        try:
            refs.append(load_prompt(ref, sweep.prompts_dir).ref)
        except UserInputError as exc:
            raise UserInputError(f"{path}: $.prompts[{index}]: {exc}") from exc
        if refs.count(refs[-1]) > 1:
            raise UserInputError(f"{path}: $.prompts[{index}]: {refs[-1]} is listed twice")
    cells: list[Cell] = []
    for given, ref in zip(sweep.prompts, refs, strict=True):
        for name in sweep.models:
            spec = sweep.endpoints[name]
            axes = {**sweep.params.axes(), **spec.params.axes()}
            for override in sweep.overrides:
                if override.prompt in (None, given) and override.endpoint in (None, name):
                    axes.update(override.params.axes())
            for combo in itertools.product(*axes.values()):
                params = with_kind_defaults(spec.model, dict(zip(axes, combo, strict=True)))
                digest = config_hash(sweep, spec, params)
                for repeat in range(sweep.repeats):
                    cell_id = f"{_safe(ref.replace('@', '-'))}-{name}-{digest}-r{repeat}"
                    cells.append(Cell(cell_id, ref, name, params, repeat))
    return cells
