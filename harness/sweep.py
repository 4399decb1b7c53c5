"""Sweep files: prompts x endpoints x sampling parameters x repeats, as one validated value.

A sweep file (YAML) is checked against the published JSON Schema `sweep` (unknown keys
rejected; every error is one line `file: $.path: message`), then parsed into `SweepFile`
and expanded into `Cell`s. A cell is one ordinary run; its id is deterministic
(`<prompt>-<endpoint>-<config hash>-r<repeat>`), so re-running a sweep finds, and resumes,
the same run folders instead of creating new ones. The hash covers everything a run folder
cannot change on resume (model, sampling parameters, re-asks, output mode, documents), so
changing any of them makes a new cell and leaves the others untouched.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol, TypeVar

import jsonschema
import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from harness.errors import UserInputError, json_path
from harness.scoring.document import Assignment
from harness.scoring.matchers import DEFAULT_MATCHER, MatcherName

if TYPE_CHECKING:  # harness.schemas publishes SweepFile's schema: modules importing it
    from harness.endpoints.settings import SamplingParams  # (endpoints, prompts) load late

__all__ = ["Cell", "KindDefaults", "SweepFile", "config_hash", "expand_cells", "load_sweep"]

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]
Temperature = Annotated[float, Field(ge=0, le=2)]
Positive = Annotated[int, Field(ge=1)]
TopP = Annotated[float, Field(gt=0, le=1)]
Penalty = Annotated[float, Field(ge=-2, le=2)]
RepeatPenalty = Annotated[float, Field(gt=0)]
T = TypeVar("T")
Axis = Annotated[list[T], Field(min_length=1)]


class ParamGrid(BaseModel):
    """Sampling parameters; a list is a grid axis, a single value a one-value axis."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    temperature: Temperature | Axis[Temperature] | None = None
    max_tokens: Positive | Axis[Positive] | None = None
    top_p: TopP | Axis[TopP] | None = None
    seed: int | Axis[int] | None = None
    frequency_penalty: Penalty | Axis[Penalty] | None = None
    presence_penalty: Penalty | Axis[Penalty] | None = None
    repeat_penalty: RepeatPenalty | Axis[RepeatPenalty] | None = None

    def axes(self) -> dict[str, list[Any]]:
        values = self.model_dump(exclude_none=True)
        return {k: v if isinstance(v, list) else [v] for k, v in values.items()}


class EndpointSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    base_url: str | None = Field(None, description="OpenAI-compatible URL; null for local models")
    model: str = Field(min_length=1, description="model name, or 'local' / 'local:/path.gguf'")
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable with the key")
    concurrency: Positive | None = None
    timeout: Annotated[float, Field(gt=0)] | None = Field(None, description="seconds per request")
    max_attempts: Positive = 4
    n_ctx: Annotated[int, Field(ge=512)] | None = Field(
        None, description="context window of a local model [default: 8192]"
    )
    params: ParamGrid = Field(ParamGrid(), description="overrides the sweep's params")

    @property
    def local(self) -> bool:
        return self.model == "local" or self.model.startswith("local:")


class Override(BaseModel):
    """Params for the cells matching `prompt` and/or `endpoint` (applied in order)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    prompt: str | None = None
    endpoint: str | None = None
    params: ParamGrid


class SweepFile(BaseModel):
    """A sweep: every prompt on every model, over the params grid, `repeats` times.

    Relative paths are relative to the working directory, like `harness run`'s options.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Name
    description: str | None = None
    docs: Path = Path("seeds")
    gold: Path = Path("gold")
    prompts_dir: Path = Path("prompts")
    results: Path = Field(Path("results"), description="the sweep goes to results/sweeps/NAME")
    limit: Positive | None = Field(None, description="only the first N documents")
    endpoints: dict[Name, EndpointSpec] = Field(
        min_length=1, json_schema_extra={"additionalProperties": False}
    )
    prompts: list[str] = Field(min_length=1, description="name@version")
    models: list[str] = Field(min_length=1, description="endpoint names")
    params: ParamGrid = ParamGrid()
    overrides: list[Override] = []
    repeats: Annotated[int, Field(ge=1, le=100)] = 1
    reask: Annotated[int, Field(ge=0, le=5)] = 1
    output_mode: Literal["json_schema", "json_object", "prompt"] | None = Field(
        None, description="force a structured-output rung; null = probe"
    )
    threshold: Annotated[float, Field(ge=0, le=1)] | None = None
    matcher: MatcherName = Field(DEFAULT_MATCHER, description="claim matcher for every cell")
    assignment: Assignment = "one-to-one"

    @property
    def folder(self) -> Path:
        return self.results / "sweeps" / self.name


class KindDefaults(Protocol):
    """Per endpoint kind (local or API) defaults; the CLI's LOCAL_DEFAULTS/API_DEFAULTS."""

    @property
    def max_tokens(self) -> int: ...
    @property
    def repeat_penalty(self) -> float | None: ...
    @property
    def concurrency(self) -> int: ...
    @property
    def timeout_s(self) -> float: ...


@dataclass(frozen=True)
class Cell:
    id: str
    prompt: str  # resolved name@version
    endpoint: str
    params: SamplingParams
    repeat: int


@cache
def _validator() -> jsonschema.Draft202012Validator:
    from harness.schemas import load_published

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
        if spec.local and spec.base_url is not None:
            problems.append(f"$.endpoints.{name}.base_url: must be null for model {spec.model!r}")
        if not spec.local and spec.base_url is None:
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
        "base_url": spec.base_url,
        "n_ctx": spec.n_ctx if spec.local else None,
        "params": params.model_dump(),
        "reask": sweep.reask,
        "output_mode": sweep.output_mode,
        "docs": str(sweep.docs),
        "limit": sweep.limit,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:8]


def expand_cells(
    sweep: SweepFile, path: Path, local: KindDefaults, api: KindDefaults
) -> list[Cell]:
    """Every cell in a stable order: prompt, endpoint, params grid, repeat."""
    from harness.endpoints.settings import SamplingParams
    from harness.prompts import load_prompt

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
            defaults = local if spec.local else api
            base = {"max_tokens": defaults.max_tokens, "repeat_penalty": defaults.repeat_penalty}
            for combo in itertools.product(*axes.values()):
                chosen = dict(zip(axes, combo, strict=True))
                params = SamplingParams.model_validate({**base, **chosen})
                digest = config_hash(sweep, spec, params)
                for repeat in range(sweep.repeats):
                    cell_id = f"{_safe(ref.replace('@', '-'))}-{name}-{digest}-r{repeat}"
                    cells.append(Cell(cell_id, ref, name, params, repeat))
    return cells
