"""Claim matchers, chosen by name: `lexical` (default), `embedding`, `judge`, and `+guards`.

A name is `<base>` or `<base>+guards`. `lexical` needs nothing beyond the core install;
`embedding` needs the `embedding` extra (a one-line error says so); `judge` needs an
endpoint, so it is opened by `harness.judges.open_judge` and handed to scoring.
"""

from __future__ import annotations

from harness.errors import UserInputError
from harness.scoring.matchers.base import Matcher, Similarity
from harness.scoring.matchers.guards import GuardedMatcher
from harness.scoring.matchers.lexical import LexicalMatcher
from harness.scoring_names import DEFAULT_MATCHER, MATCHER_NAMES, MatcherName

__all__ = [
    "DEFAULT_MATCHER",
    "MATCHER_NAMES",
    "Matcher",
    "MatcherName",
    "Similarity",
    "get_matcher",
    "parse_matcher_name",
]

_BASES = ("lexical", "embedding")


def parse_matcher_name(name: str) -> tuple[str, bool]:
    """(base, guarded) of a matcher name; a clear error for anything else."""
    base, _, suffix = name.partition("+")
    if suffix not in ("", "guards") or base not in (*_BASES, "judge"):
        choices = ", ".join(MATCHER_NAMES)
        raise UserInputError(f"--matcher: unknown matcher {name!r} (choose from {choices})")
    return base, suffix == "guards"


def get_matcher(name: str) -> Matcher:
    """The matcher called `name`; `embedding` loads its model lazily, on first use."""
    base, guarded = parse_matcher_name(name)
    matcher: Matcher
    if base == "lexical":
        matcher = LexicalMatcher()
    elif base == "embedding":
        from harness.scoring.matchers.embedding import EmbeddingMatcher, encoder

        encoder()  # fail now, with the one-line message, if the extra is missing
        matcher = EmbeddingMatcher()
    else:
        raise UserInputError(
            f"--matcher {name}: the judge needs an endpoint (--judge-model, "
            "--judge-base-url); it is opened by harness.judges, not by name"
        )
    return GuardedMatcher(matcher) if guarded else matcher
