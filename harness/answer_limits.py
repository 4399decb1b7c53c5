"""What one model answer may cost to validate: `AnswerLimits`, with the bounds a user may set.

Kept apart from `validation.py` (numpy, jsonschema) so the CLI, `RunRequest`, the sweep
file and the manifest can name the limits and their bounds without loading a parser: the
bounds live here once, and every place a user sets a limit checks them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DEFAULT_LIMITS",
    "DEPTH_RANGE",
    "SIZE_RANGE",
    "AnswerLimits",
    "MaxChars",
    "MaxDepth",
]

# A limit of 0 would reject every answer; past the ceilings a limit protects nothing:
# 100 million characters is seconds of validation and gigabytes of memory per answer, and
# nesting past 256 nears Python's recursion limit, which the depth limit exists to keep
# the decoders away from (an `Extraction` nests 4 deep).
SIZE_RANGE = (1, 100_000_000)
DEPTH_RANGE = (1, 256)

MaxChars = Annotated[int, Field(ge=SIZE_RANGE[0], le=SIZE_RANGE[1])]
MaxDepth = Annotated[int, Field(ge=DEPTH_RANGE[0], le=DEPTH_RANGE[1])]


class AnswerLimits(BaseModel):
    """What an answer may cost to validate. An `Extraction` nests 4 deep and a long answer
    is tens of kilobytes: the defaults leave room for any real answer, and bound the time
    (linear in `max_chars`) and stack (`max_depth`) a hostile one can take.

    A run records its limits in its manifest (a resume validates with the same ones); they
    are not part of the response cache key, because the cache stores raw answers and the
    limits apply after it: lowering one re-classifies cached answers without a request."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    max_chars: MaxChars = 1_000_000
    max_depth: MaxDepth = 64

    def describe(self) -> str:
        return f"max_chars={self.max_chars}, max_depth={self.max_depth}"


DEFAULT_LIMITS = AnswerLimits()
