"""Does a predicted speaker name the same source as the gold speaker (and the same cue)?

"US Secretary of State Mike Pompeo", "Pompeo" and "Mike Pompeo's" all name one person;
"a spokesperson" names nobody in particular, so it never matches "Yahya Sarea", whatever
aliases the gold lists. Unnamed sources match only unnamed sources of the same kind (one
person versus a group) with the same role and at least the gold's qualifiers ("a senior US
official" ~ "a US official", not ~ "an official" or "officials"). Both speakers null (the
article's own voice) is a match; one null is not. docs/metrics.md states the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from harness.scoring.speaker_names import (
    SpeakerKind,
    SpeakerName,
    describe_speaker,
    normalise_speaker,
    words,
)
from harness.scoring.text import normalise

__all__ = [
    "cue_matches",
    "normalise_speaker",
    "speaker_matches",
    "via_innermost_matches",
    "via_matches",
]


def _named_match(predicted: SpeakerName, gold: SpeakerName) -> bool:
    """Surname-only mentions and names kept with a leading qualifier, for named sources."""
    pred_words, gold_words = predicted.text.split(), gold.text.split()
    # A generic noun ("the agency", "president") is no surname: only an alias lets it in.
    if predicted.generic or gold.generic:
        return False
    if len(pred_words) == 1 and len(gold_words) > 1:
        return pred_words[0] == gold_words[-1]
    if len(gold_words) == 1 and len(pred_words) > 1:
        return gold_words[0] == pred_words[-1]
    # "US Secretary of State Mike Pompeo" still ends with the full gold name.
    return len(gold_words) > 1 and pred_words[-len(gold_words) :] == gold_words


def _names_match(predicted: SpeakerName, gold: SpeakerName) -> bool:
    if not predicted.text or not gold.text:
        return False
    if predicted.text == gold.text:
        return True
    if predicted.kind is not gold.kind:
        return False
    if predicted.kind is SpeakerKind.NAMED:
        return _named_match(predicted, gold)
    # Unnamed sources: same role, and the prediction keeps every word saying whose.
    return predicted.role == gold.role and predicted.qualifiers >= gold.qualifiers


def speaker_matches(predicted: str | None, gold: str | None, aliases: Iterable[str] = ()) -> bool:
    """True when `predicted` names the gold speaker or one of its aliases."""
    if gold is None or predicted is None:
        return gold is None and predicted is None
    candidate = describe_speaker(predicted)
    canonical = describe_speaker(gold)
    # "a spokesperson", "officials": a role noun alone never stands for a named source,
    # even when the gold lists a role description among its aliases.
    if (
        canonical.kind is SpeakerKind.NAMED
        and candidate.kind is not SpeakerKind.NAMED
        and candidate.generic
    ):
        return False
    return any(_names_match(candidate, describe_speaker(name)) for name in (gold, *aliases) if name)


def via_matches(predicted: Iterable[str], gold: Iterable[str]) -> bool:
    """Same reporting chain, entry by entry (outer to inner), under the name rule."""
    pred, want = list(predicted), list(gold)
    return len(pred) == len(want) and all(
        _names_match(describe_speaker(p), describe_speaker(g))
        for p, g in zip(pred, want, strict=True)
    )


def via_innermost_matches(predicted: Sequence[str], gold: Sequence[str]) -> bool | None:
    """Same innermost relay (the outlet or person who first had the claim from its speaker).

    None when the gold chain is empty: the check is only made where there is a chain to
    recover. A prediction that flattens or pads the outer links still scores here.
    """
    if not gold:
        return None
    return bool(predicted) and _names_match(
        describe_speaker(predicted[-1]), describe_speaker(gold[-1])
    )


@lru_cache(maxsize=4096)
def _cue_words(cue: str) -> str:
    """A cue's words, normalised; cached: a corpus has few distinct cues ("said", "told")."""
    return " ".join(words(normalise(cue)))


def cue_matches(predicted: str | None, gold: str | None) -> bool:
    """Same attribution cue, as written: equal words, or one cue's words a run in the other's.

    Cues are copied from the text, so tense and wording are not normalised: "told" matches
    "told reporters", "said" does not match "says". Both null (an author claim) match.
    """
    if gold is None or predicted is None:
        return gold is None and predicted is None
    pred, want = _cue_words(predicted), _cue_words(gold)
    if not pred or not want:
        return pred == want
    return f" {pred} " in f" {want} " or f" {want} " in f" {pred} "
