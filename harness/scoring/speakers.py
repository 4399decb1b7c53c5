"""Does a predicted speaker name the same source as the gold speaker (and the same cue)?

"US Secretary of State Mike Pompeo", "Pompeo" and "Mike Pompeo's" all name one person.
Names are compared after normalisation (case, punctuation, possessives, leading
articles and titles); a surname-only mention matches a multi-word gold name or alias.
Both speakers null (the article's own voice) is a match; one null is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from harness.scoring.text import normalise

__all__ = [
    "cue_matches",
    "is_organisation_name",
    "normalise_speaker",
    "speaker_matches",
    "via_matches",
]

_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "professor",
        "sir",
        "dame",
        "lord",
        "lady",
        "rev",
        "reverend",
        "fr",
        "father",
        "president",
        "vice",
        "prime",
        "minister",
        "premier",
        "chancellor",
        "secretary",
        "governor",
        "mayor",
        "senator",
        "sen",
        "rep",
        "representative",
        "congressman",
        "congresswoman",
        "king",
        "queen",
        "prince",
        "princess",
        "general",
        "gen",
        "colonel",
        "col",
        "major",
        "maj",
        "captain",
        "capt",
        "lieutenant",
        "lt",
        "sergeant",
        "sgt",
        "chief",
        "inspector",
        "officer",
        "detective",
        "judge",
        "justice",
        "ambassador",
        "spokesperson",
        "spokesman",
        "spokeswoman",
        "commissioner",
        "director",
        "chairman",
        "chairwoman",
        "chair",
        "ceo",
        "pope",
        "cardinal",
        "bishop",
        "archbishop",
        "sheikh",
        "emir",
    ]
)
# Head nouns of organisation names: a name ending in one is not a person, so a leading
# "title" word is part of the name ("Justice Department", "General Assembly").
_ORGANISATION_HEADS = frozenset(
    [
        "administration",
        "agency",
        "army",
        "assembly",
        "association",
        "authority",
        "bank",
        "board",
        "bureau",
        "commission",
        "committee",
        "company",
        "corporation",
        "council",
        "court",
        "department",
        "foundation",
        "government",
        "group",
        "institute",
        "ministry",
        "office",
        "organisation",
        "organization",
        "party",
        "police",
        "service",
        "staff",
        "union",
        "university",
    ]
)
_LEADING = frozenset({"the", "a", "an"})
_POSSESSIVE = re.compile(r"'s\b|s'\b")
_NON_WORD = re.compile(r"[^\w\s]")


def _words(normalised: str) -> list[str]:
    """Words of already-normalised text, punctuation dropped."""
    return _NON_WORD.sub(" ", normalised).split()


@lru_cache(maxsize=65536)
def normalise_speaker(name: str) -> str:
    """Lower-case name without possessives, punctuation, leading articles or leading titles."""
    words = _words(_POSSESSIVE.sub("", normalise(name)))
    while words and words[0] in _LEADING:
        words.pop(0)
    # Strip leading titles only while a person's name remains: "Prime Minister Jacinda
    # Ardern" -> "jacinda ardern", but "Vice President" (titles only) and "Justice
    # Department" (an organisation) are kept whole.
    if words and words[-1] in _ORGANISATION_HEADS:
        return " ".join(words)
    while len(words) > 1 and words[0] in _TITLES and any(w not in _TITLES for w in words[1:]):
        words.pop(0)
    return " ".join(words)


def is_organisation_name(name: str) -> bool:
    """Does the name end in an organisation's head noun ("Justice Department")?"""
    words = _words(normalise(name))
    return bool(words) and words[-1] in _ORGANISATION_HEADS


def _names_match(predicted: str, gold: str) -> bool:
    if not predicted or not gold:
        return False
    if predicted == gold:
        return True
    pred_words, gold_words = predicted.split(), gold.split()
    # Surname-only mention of a multi-word name, either way round.
    if len(pred_words) == 1 and len(gold_words) > 1:
        return pred_words[0] == gold_words[-1]
    if len(gold_words) == 1 and len(pred_words) > 1:
        return gold_words[0] == pred_words[-1]
    # A predicted name that keeps a non-leading title or qualifier ("US Secretary of
    # State Mike Pompeo") still ends with the full gold name.
    return len(gold_words) > 1 and pred_words[-len(gold_words) :] == gold_words


def speaker_matches(predicted: str | None, gold: str | None, aliases: Iterable[str] = ()) -> bool:
    """True when `predicted` names the gold speaker or one of its aliases."""
    if gold is None or predicted is None:
        return gold is None and predicted is None
    candidate = normalise_speaker(predicted)
    return any(_names_match(candidate, normalise_speaker(name)) for name in (gold, *aliases))


def via_matches(predicted: Iterable[str], gold: Iterable[str]) -> bool:
    """Same reporting chain, entry by entry, under speaker normalisation."""
    pred, want = list(predicted), list(gold)
    return len(pred) == len(want) and all(
        _names_match(normalise_speaker(p), normalise_speaker(g))
        for p, g in zip(pred, want, strict=True)
    )


def cue_matches(predicted: str | None, gold: str | None) -> bool:
    """Same attribution cue, as written: equal words, or one cue's words a run in the other's.

    Cues are copied from the text, so tense and wording are not normalised: "told" matches
    "told reporters", "said" does not match "says". Both null (an author claim) match.
    """
    if gold is None or predicted is None:
        return gold is None and predicted is None
    pred, want = " ".join(_words(normalise(predicted))), " ".join(_words(normalise(gold)))
    if not pred or not want:
        return pred == want
    return f" {pred} " in f" {want} " or f" {want} " in f" {pred} "
