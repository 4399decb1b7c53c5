"""What a speaker name says about its speaker: normalised form, and whether it names anyone.

A journalist reads "Yahya Sarea", "a spokesperson" and "Western leaders" as three
different kinds of source: a named one, one unnamed person described by role, and an
unnamed group. `describe_speaker` recovers that from the words alone, so the matcher can
refuse to let a role noun stand in for a name (docs/metrics.md, "Name rule").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from harness.scoring.text import normalise

__all__ = [
    "SpeakerKind",
    "SpeakerName",
    "describe_speaker",
    "is_organisation_name",
    "normalise_speaker",
    "words",
]


def _vocabulary(text: str) -> frozenset[str]:
    """A word list written as one string, to keep the vocabularies readable."""
    return frozenset(text.split())


# Leading titles, stripped from a person's name ("Prime Minister Jacinda Ardern").
_TITLES = _vocabulary(
    """mr mrs ms miss dr prof professor sir dame lord lady rev reverend fr father president vice
    prime minister premier chancellor secretary governor mayor senator sen rep representative
    congressman congresswoman king queen prince princess general gen colonel col major maj
    captain capt lieutenant lt sergeant sgt chief inspector officer detective judge justice
    ambassador spokesperson spokesman spokeswoman commissioner director chairman chairwoman
    chair ceo pope cardinal bishop archbishop sheikh emir"""
)
# Head nouns of organisation names: a name ending in one is not a person, so a leading
# "title" word is part of the name ("Justice Department", "General Assembly").
_ORGANISATION_HEADS = _vocabulary(
    """administration agency army assembly association authority bank board bureau commission
    committee company corporation council court department foundation government group
    institute ministry office organisation organization party police service staff union
    university"""
)
# Nouns that describe a source by role without naming it (singular -> plural forms).
# Alone, or with only generic modifiers, they never identify a named speaker.
_ROLES: dict[str, tuple[str, ...]] = {
    "official": ("officials",),
    "source": ("sources",),
    "spokesperson": ("spokespersons", "spokespeople"),
    "spokesman": ("spokesmen",),
    "spokeswoman": ("spokeswomen",),
    "minister": ("ministers",),
    "officer": ("officers",),
    "diplomat": ("diplomats",),
    "leader": ("leaders",),
    "ally": ("allies",),
    "analyst": ("analysts",),
    "expert": ("experts",),
    "person": ("people", "persons"),
    "resident": ("residents",),
    "witness": ("witnesses",),
    "aide": ("aides",),
    "adviser": ("advisers", "advisors"),
    "insider": ("insiders",),
    "member": ("members",),
    "critic": ("critics",),
    "observer": ("observers",),
    "lawmaker": ("lawmakers",),
    "legislator": ("legislators",),
    "activist": ("activists",),
    "investigator": ("investigators",),
    "negotiator": ("negotiators",),
    "employee": ("employees",),
    "worker": ("workers",),
    "staffer": ("staffers",),
    "nation": ("nations",),
    "country": ("countries",),
    "report": ("reports",),
}
# The spokesman/-woman/-person family is one role for matching.
_SAME_ROLE = {"spokesman": "spokesperson", "spokeswoman": "spokesperson"}
_SINGULAR = {s: _SAME_ROLE.get(s, s) for s in _ROLES}
_PLURAL = {p: _SAME_ROLE.get(s, s) for s, forms in _ROLES.items() for p in forms}
_PLURAL["authorities"] = "authority"  # "the Palestinian Authority" is a name; "authorities" not
# "some in Washington", "many": a quantifier standing alone means unnamed people.
_PRONOUN_HEADS = _vocabulary("some many others several most few")
_DETERMINERS = _vocabulary(
    """a an the one some many several numerous various multiple few other others most all
    two three four five six seven eight nine ten dozens hundreds"""
)
# Modifiers that grade a source without saying whose it is: "a senior official".
_GENERIC = _vocabulary(
    """senior top high ranking level highlevel unnamed anonymous unidentified former local
    certain informed knowledgeable several military"""
)
# Words that open a post-modifier ("sources in the US government", "a source close to").
_LINKS = _vocabulary(
    """in of at from with to for on within inside near close familiar who that among behind
    by"""
)
_STOP = _LINKS | _DETERMINERS | frozenset({"and", "s"})
# Trailing words that do not change which outlet is meant: "Bloomberg News" is Bloomberg.
_MEDIA_SUFFIXES = (("news", "agency"), ("news", "service"), ("news",), ("newspaper",))
_LEADING = frozenset({"the", "a", "an"})
_POSSESSIVE = re.compile(r"'s\b|s'\b")
_NON_WORD = re.compile(r"[^\w\s]")
_INITIALS = re.compile(r"(?<!\w)(?:\w\.){2,}")


def words(normalised: str) -> list[str]:
    """Words of already-normalised text, punctuation dropped."""
    return _NON_WORD.sub(" ", normalised).split()


def is_organisation_name(name: str) -> bool:
    """Does the name end in an organisation's head noun ("Justice Department")?"""
    parts = words(normalise(name))
    return bool(parts) and parts[-1] in _ORGANISATION_HEADS


def _strip_media_suffix(parts: list[str]) -> list[str]:
    for suffix in _MEDIA_SUFFIXES:
        if len(parts) > len(suffix) and tuple(parts[-len(suffix) :]) == suffix:
            return parts[: -len(suffix)]
    return parts


@lru_cache(maxsize=65536)
def normalise_speaker(name: str) -> str:
    """Lower-case name without possessives, punctuation, leading articles or leading titles.

    Initials are joined ("U.S." -> "us") and a trailing "News"/"news agency" is dropped
    ("Bloomberg News" -> "bloomberg"), so spellings of one source compare equal.
    """
    text = _INITIALS.sub(lambda m: m.group(0).replace(".", ""), normalise(name))
    parts = _strip_media_suffix(words(_POSSESSIVE.sub("", text)))
    while parts and parts[0] in _LEADING:
        parts.pop(0)
    # Strip leading titles only while a person's name remains: "Prime Minister Jacinda
    # Ardern" -> "jacinda ardern", but "Vice President" (titles only) and "Justice
    # Department" (an organisation) are kept whole.
    if parts and parts[-1] in _ORGANISATION_HEADS:
        return " ".join(parts)
    while len(parts) > 1 and parts[0] in _TITLES and any(w not in _TITLES for w in parts[1:]):
        parts.pop(0)
    return " ".join(parts)


class SpeakerKind(StrEnum):
    """Named source, one unnamed person, or an unnamed group (docs/annotation-guidelines.md)."""

    NAMED = "named"
    ANONYMOUS_INDIVIDUAL = "anonymous_individual"
    COLLECTIVE = "collective"


@dataclass(frozen=True, slots=True)
class SpeakerName:
    text: str
    kind: SpeakerKind
    role: str = ""  # the role noun, singular ("official"); "" for a named speaker
    qualifiers: frozenset[str] = frozenset()  # words that say whose ("us", "kremlin")
    generic: bool = False  # a role or organisation noun alone: "a spokesperson", "the agency"


def _head(parts: list[str]) -> int | None:
    """Index of the role noun a description is built on, or None for a name."""
    for i, word in enumerate(parts):
        before, after = parts[:i], parts[i + 1 :]
        if word in _PRONOUN_HEADS:
            if not after or after[0] in _LINKS:
                return i  # "some in Washington"
            continue  # "some people": a determiner
        if word in _SINGULAR or word in _PLURAL:
            if any(w in _LEADING for w in before):
                return None  # "jasim uddin a spokesperson...": a name in apposition
            if after and after[0] not in _LINKS:
                return None  # "spokesperson yahya sarea": the name follows the role
            return i
    return None


@lru_cache(maxsize=65536)
def describe_speaker(name: str) -> SpeakerName:
    """Normalised name with its kind, role noun and the qualifiers that say whose."""
    text = normalise_speaker(name)
    parts = text.split()
    i = _head(parts)
    if i is None:
        if parts and all(w in _TITLES for w in parts):
            # "the President", "Vice President": a title is a role, not a name.
            return SpeakerName(text, SpeakerKind.ANONYMOUS_INDIVIDUAL, role=text, generic=True)
        generic = len(parts) == 1 and parts[0] in _ORGANISATION_HEADS  # "the agency"
        return SpeakerName(text, SpeakerKind.NAMED, generic=generic)
    word = parts[i]
    if word in _PRONOUN_HEADS:
        role, kind = "person", SpeakerKind.COLLECTIVE
    elif word in _PLURAL:
        role, kind = _PLURAL[word], SpeakerKind.COLLECTIVE
    else:
        role, kind = _SINGULAR[word], SpeakerKind.ANONYMOUS_INDIVIDUAL
    others = [w for j, w in enumerate(parts) if j != i and w not in _STOP]
    qualifiers = frozenset(w for w in others if w not in _GENERIC)
    return SpeakerName(text, kind, role, qualifiers, generic=not qualifiers)
