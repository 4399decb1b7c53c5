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
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from harness.endpoints.settings import HttpClient, Kind, SamplingParams, kind_of

__all__ = ["Cell", "EndpointSpec", "Override", "ParamGrid", "SweepFile"]

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

    @property
    def kind(self) -> Kind:
        return kind_of(self.model)

    @property
    def local(self) -> bool:
        return self.kind is Kind.LOCAL


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


@dataclass(frozen=True)
class Cell:
    id: str
    prompt: str  # resolved name@version
    endpoint: str
    params: SamplingParams
    repeat: int
