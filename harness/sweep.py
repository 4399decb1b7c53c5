"""Sweep files: prompts x endpoints x sampling parameters x repeats, as validated models.

Only the models live here (they publish the JSON Schema `sweep`, so `harness.schemas`
imports this module and this module imports nothing that loads prompts or schemas).
Reading a file and expanding it into `Cell`s is the engine's (`_eval/expand.py`). A cell
is one ordinary run; its id is deterministic (`<prompt>-<endpoint>-<config hash>-r<repeat>`),
so re-running a sweep finds, and resumes, the same run folders instead of creating new ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from harness.answer_limits import AnswerLimits, MaxChars, MaxDepth
from harness.endpoints.settings import HttpClient, Kind, SamplingParams, kind_of, replica_urls
from harness.scoring_names import (
    DEFAULT_ASSIGNMENT,
    DEFAULT_MATCHER,
    Assignment,
    JudgeSettings,
    MatcherName,
    is_judge,
)

__all__ = ["Cell", "EndpointSpec", "Override", "ParamGrid", "SweepFile", "cell_labels"]

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
    base_url: str | list[str] | None = Field(
        None,
        description="OpenAI-compatible URL; null for local models. Several (a list or a "
        "comma-separated string) are replicas of one model: a pool",
    )
    base_urls: list[str] | None = Field(None, description="the replicas of a pool (or base_url)")
    pool_name: Name | None = Field(
        None, description="cache identity of the pool [default: its sorted URLs]"
    )
    model: str = Field(
        min_length=1, description="model name, or 'local' / 'local:/path.gguf' / 'baseline:NAME'"
    )
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable with the key")
    api_key_file: Path | None = Field(None, description="file holding the key (instead)")
    concurrency: Positive | None = None
    timeout: Annotated[float, Field(gt=0)] | None = Field(None, description="seconds per request")
    max_attempts: Positive = 4
    backoff_max: Annotated[float, Field(ge=0)] = Field(
        20.0, description="cap in seconds of one retry backoff sleep"
    )
    n_ctx: Annotated[int, Field(ge=512)] | None = Field(
        None, description="context window of a local model [default: 8192]"
    )
    http_client: HttpClient | None = Field(
        None, description="the SDK's HTTP transport [default: aiohttp where installed]"
    )
    params: ParamGrid = Field(ParamGrid(), description="overrides the sweep's params")

    @model_validator(mode="after")
    def _urls_once(self) -> Self:
        if self.base_url is not None and self.base_urls is not None:
            raise ValueError("give base_url or base_urls, not both")
        replica_urls(self.base_url if self.base_urls is None else self.base_urls)
        return self

    @property
    def kind(self) -> Kind:
        return kind_of(self.model)

    @property
    def local(self) -> bool:
        return self.kind is Kind.LOCAL

    @property
    def urls(self) -> tuple[str, ...]:
        """Every base URL, in the order given (more than one: a pool of replicas)."""
        return replica_urls(self.base_url if self.base_urls is None else self.base_urls)


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
    assignment: Assignment = Field(DEFAULT_ASSIGNMENT, description="how claims pair up")
    judge: JudgeSettings | None = Field(
        None, description="the judge's endpoint, for matcher judge or judge+guards"
    )

    @model_validator(mode="after")
    def _judge_with_judge_matcher(self) -> Self:
        if is_judge(self.matcher) and self.judge is None:
            raise ValueError(f"matcher {self.matcher} needs judge: {{model: ..., base_url: ...}}")
        if self.judge is not None and not is_judge(self.matcher):
            raise ValueError("judge: only meaningful with matcher judge or judge+guards")
        return self

    max_answer_chars: MaxChars = Field(
        AnswerLimits.model_fields["max_chars"].default,
        description="a longer answer is failure class oversize, for every cell",
    )
    max_answer_depth: MaxDepth = Field(
        AnswerLimits.model_fields["max_depth"].default,
        description="JSON nested deeper is failure class oversize, for every cell",
    )

    def answer_limits(self) -> AnswerLimits:
        return AnswerLimits(max_chars=self.max_answer_chars, max_depth=self.max_answer_depth)

    def with_answer_limits(
        self, max_answer_chars: int | None = None, max_answer_depth: int | None = None
    ) -> SweepFile:
        """The sweep with the limits given on the command line (None keeps the file's),
        checked as the file's own fields are."""
        given = {"max_answer_chars": max_answer_chars, "max_answer_depth": max_answer_depth}
        update = {k: v for k, v in given.items() if v is not None}
        return SweepFile.model_validate({**self.model_dump(), **update}) if update else self


@dataclass(frozen=True)
class Cell:
    id: str
    prompt: str  # resolved name@version
    endpoint: str
    params: SamplingParams
    repeat: int


def cell_labels(cells: list[Cell]) -> dict[str, str]:
    """A readable label per cell id, built only from what differs between the cells.

    The id keeps its config hash (it names the folder, so resume finds it); a reader
    needs `extract@v2 / gpt / temperature=0.7` instead. The prompt and the endpoint
    always appear when there is one cell, so a label is never empty.
    """
    params = [c.params.model_dump(exclude_none=True) for c in cells]
    names = sorted({k for p in params for k in p})
    varying = [k for k in names if len({repr(p.get(k)) for p in params}) > 1]
    show_prompt = len({c.prompt for c in cells}) > 1 or len(cells) == 1
    show_endpoint = len({c.endpoint for c in cells}) > 1 or len(cells) == 1
    show_repeat = len({c.repeat for c in cells}) > 1
    labels = {}
    for cell, values in zip(cells, params, strict=True):
        parts = [cell.prompt] if show_prompt else []
        parts += [cell.endpoint] if show_endpoint else []
        parts += [f"{k}={values.get(k, '-')}" for k in varying]
        parts += [f"r{cell.repeat}"] if show_repeat else []
        labels[cell.id] = " / ".join(parts) or cell.id
    return labels
