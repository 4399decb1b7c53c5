"""The scoring choices a user names: which claim matcher, which assignment, which judge.

Names and one small pydantic model, nothing heavier: the CLI's options, `RunRequest` and
the sweep file's schema need them while `harness --help` must not load numpy
(`resampling.py` is the same kind of module). `harness.scoring.matchers` builds a matcher
from a name, `harness.judges` the judge from its `JudgeSettings`; `ScoringConfig` records all.
"""

from __future__ import annotations

from typing import Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field

from harness.endpoints.settings import Kind, kind_of
from harness.errors import UserInputError

__all__ = [
    "ASSIGNMENTS",
    "DEFAULT_ASSIGNMENT",
    "DEFAULT_MATCHER",
    "JUDGE_NAMES",
    "MATCHER_NAMES",
    "Assignment",
    "JudgeSettings",
    "MatcherName",
    "is_judge",
]

MatcherName = Literal[
    "lexical", "embedding", "lexical+guards", "embedding+guards", "judge", "judge+guards"
]
"""Names a run, a sweep or `rescore` accepts; a `judge` name also needs `JudgeSettings`."""
MATCHER_NAMES: tuple[str, ...] = get_args(MatcherName)
JUDGE_NAMES: tuple[str, ...] = ("judge", "judge+guards")
DEFAULT_MATCHER: MatcherName = "lexical"


def is_judge(name: str) -> bool:
    """Whether the matcher called `name` asks an LLM judge (and so needs an endpoint)."""
    return name.partition("+")[0] == "judge"


class JudgeSettings(BaseModel):
    """The judge's endpoint, as the manifest records it (never the key itself).

    `model: local` is the embedded model (no `base_url`); anything else is an
    OpenAI-compatible endpoint at `base_url`, whose key is read from `api_key_env`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    model: str = Field(min_length=1, description="judge model name, or 'local'")
    base_url: str | None = Field(None, description="OpenAI-compatible URL; null for local")
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable with the key")

    @staticmethod
    def required(name: str, settings: JudgeSettings | None) -> JudgeSettings:
        """`settings`, or the one-line error a judge matcher without an endpoint earns."""
        if settings is None:
            raise UserInputError(
                f"--matcher {name}: needs --judge-model (and --judge-base-url unless "
                "--judge-model local)"
            )
        return settings

    @classmethod
    def from_flags(
        cls, base_url: str | None, model: str | None, api_key_env: str = "OPENAI_API_KEY"
    ) -> Self | None:
        """From --judge-base-url/--judge-model (None when neither is given), with the
        one-line error a wrong combination earns."""
        if base_url is None and model is None:
            return None
        if model is None:
            raise UserInputError("--judge-base-url: needs --judge-model (the model to request)")
        local = kind_of(model) is Kind.LOCAL
        if not local and not base_url:
            raise UserInputError(
                f"--judge-model {model!r}: needs --judge-base-url (or --judge-model local)"
            )
        return cls(model=model, base_url=None if local else base_url, api_key_env=api_key_env)


Assignment = Literal["one-to-one", "many-to-one"]
"""one-to-one: Hungarian; many-to-one: each claim to its best counterpart (docs/metrics.md)."""
ASSIGNMENTS: tuple[str, ...] = get_args(Assignment)
DEFAULT_ASSIGNMENT: Assignment = "one-to-one"
