"""The scoring choices a user names: which claim matcher, which assignment.

Names only, importing nothing: the CLI's options, `RunRequest` and the sweep file's schema
need them while `harness --help` must not load numpy (`resampling.py` is the same kind of
module). `harness.scoring.matchers` builds a matcher from a name; `ScoringConfig` records both.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "ASSIGNMENTS",
    "DEFAULT_ASSIGNMENT",
    "DEFAULT_MATCHER",
    "MATCHER_NAMES",
    "Assignment",
    "MatcherName",
]

MatcherName = Literal["lexical", "embedding", "lexical+guards", "embedding+guards"]
"""Names a run, a sweep or `rescore` accepts (`judge` needs an endpoint: see calibrate)."""
MATCHER_NAMES: tuple[str, ...] = get_args(MatcherName)
DEFAULT_MATCHER: MatcherName = "lexical"

Assignment = Literal["one-to-one", "many-to-one"]
"""one-to-one: Hungarian; many-to-one: each claim to its best counterpart (docs/metrics.md)."""
ASSIGNMENTS: tuple[str, ...] = get_args(Assignment)
DEFAULT_ASSIGNMENT: Assignment = "one-to-one"
