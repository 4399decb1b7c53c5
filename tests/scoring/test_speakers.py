"""Speaker and reporting-chain matching (harness.scoring.speakers)."""

from __future__ import annotations

import pytest

from harness.scoring.speaker_names import SpeakerKind, describe_speaker
from harness.scoring.speakers import (
    cue_matches,
    normalise_speaker,
    speaker_matches,
    via_innermost_matches,
    via_matches,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mike Pompeo", "mike pompeo"),
        ("MIKE POMPEO", "mike pompeo"),  # case
        ("Mike Pompeo's", "mike pompeo"),  # possessive
        ("Mike Pompeo\u2019s", "mike pompeo"),  # curly apostrophe normalised first
        ("  Mike   Pompeo ", "mike pompeo"),  # whitespace
        ("The Saudi Press Agency", "saudi press agency"),  # leading article
        ("Prime Minister Jacinda Ardern", "jacinda ardern"),  # every leading title
        ("Dr. Jane Goodall", "jane goodall"),  # punctuation, then title
        ("Vice President", "vice president"),  # titles only: kept whole
        ("the President", "president"),  # article stripped, lone title kept
        ("US Secretary of State Mike Pompeo", "us secretary of state mike pompeo"),
        ("Houthi-led forces", "houthi led forces"),  # punctuation -> space
    ],
)
def test_normalise_speaker(raw: str, expected: str) -> None:
    assert normalise_speaker(raw) == expected


# (predicted, gold, gold aliases, expected, reason): the pairs a journalist would sign off.
SPEAKER_PAIRS: list[tuple[str, str, list[str], bool, str]] = [
    # Named people: titles, surnames, possessives.
    ("Mike Pompeo", "Mike Pompeo", [], True, "same name"),
    ("mike pompeo's", "Mike Pompeo", [], True, "case and possessive"),
    ("Secretary Pompeo", "Mike Pompeo", [], True, "title stripped, then surname"),
    ("Pompeo", "Mike Pompeo", [], True, "surname-only mention"),
    ("Mike Pompeo", "Pompeo", [], True, "surname-only gold, either way round"),
    ("US Secretary of State Mike Pompeo", "Mike Pompeo", [], True, "ends with the gold name"),
    ("President Trump", "Donald Trump", [], True, "title + surname"),
    ("French President Emmanuel Macron", "Emmanuel Macron", [], True, "qualifier + title"),
    ("Mike", "Mike Pompeo", [], False, "a first name is not a surname"),
    ("Mike Pence", "Mike Pompeo", [], False, "another person"),
    ("Ivanka Trump", "Donald Trump", [], False, "same surname, another person"),
    ("Pompeo Mike", "Mike Pompeo", [], False, "word order matters"),
    ("Saree", "Yahya Sarea", [], False, "another spelling needs an alias"),
    ("Saree", "Yahya Sarea", ["Saree"], True, "listed alias"),
    ("Houthi military spokesperson Yahya Sarea", "Yahya Sarea", [], True, "role + name"),
    # Role nouns never stand for a named person (issue 12).
    ("a spokesperson", "Yahya Sarea", ["Houthi military spokesperson"], False, "role noun alone"),
    ("spokesperson", "Yahya Sarea", ["spokesperson"], False, "role noun alone, even as alias"),
    ("the military spokesperson", "Yahya Sarea", [], False, "role + generic modifier"),
    (
        "Houthi military spokesperson",
        "Yahya Sarea",
        ["Houthi military spokesperson"],
        True,
        "qualified role listed as alias",
    ),
    (
        "Houthi spokesperson",
        "Yahya Sarea",
        ["Houthi military spokesperson"],
        True,
        "same role and whose as the alias",
    ),
    (
        "a Houthi official",
        "Yahya Sarea",
        ["Houthi military spokesperson"],
        False,
        "another role than the alias",
    ),
    ("an official", "Mike Pompeo", [], False, "role noun alone"),
    ("the minister", "Wiranto", ["security minister"], False, "role noun alone"),
    ("sources", "Reuters", [], False, "anonymous sources are not the outlet"),
    ("the President", "Donald Trump", ["the President"], False, "a title alone names nobody"),
    ("a senior US official", "Joe Biden", [], False, "unnamed source vs named person"),
    # Outlets and organisations.
    ("Bloomberg", "Bloomberg News", [], True, "trailing 'News' names the same outlet"),
    ("Bloomberg News", "Bloomberg", [], True, "either way round"),
    ("Interfax news agency", "Interfax", [], True, "trailing 'news agency'"),
    ("the Associated Press", "Associated Press", [], True, "leading article"),
    ("U.S. State Department", "US State Department", [], True, "initials joined"),
    ("Reuters", "Bloomberg", [], False, "another outlet"),
    ("the outlet", "Bloomberg", [], False, "generic noun without alias"),
    ("the agency", "Saudi Press Agency", [], False, "generic noun is not a surname"),
    ("the agency", "Saudi Press Agency", ["the agency"], True, "generic noun listed as alias"),
    ("Justice Department", "State Department", [], False, "different departments"),
    # Unnamed sources: same kind (one person / a group), same role, gold's qualifiers kept.
    ("a senior US official", "a senior US official", [], True, "same description"),
    ("a US official", "a senior US official", [], True, "rank is generic, 'US' kept"),
    ("an official", "a senior US official", [], False, "drops whose official"),
    ("US officials", "a senior US official", [], False, "a group vs one person"),
    ("a Saudi official", "a senior US official", [], False, "another country's official"),
    ("some in Washington", "some in Washington", [], True, "same collective"),
    ("some people in Washington", "some in Washington", [], True, "'some' means people"),
    ("a senior US official", "some in Washington", [], False, "one person vs a group"),
    ("Western leaders", "Western leaders", ["numerous Western leaders"], True, "same group"),
    ("numerous Western leaders", "Western leaders", [], True, "quantifier dropped"),
    ("allies", "Western leaders", [], False, "another role"),
    ("leaders", "Western leaders", [], False, "drops 'Western'"),
    ("Western allies", "allies", [], True, "more specific than the gold"),
    ("Kremlin officials", "Kremlin officials", [], True, "same group"),
    ("officials", "Kremlin officials", [], False, "drops 'Kremlin'"),
    ("the Kremlin", "Kremlin officials", [], False, "the institution is named, they are not"),
    ("Bloomberg's sources", "sources", ["the outlet's sources"], True, "sources, whose kept"),
    ("a source", "sources", [], False, "one source vs several"),
    ("a spokesperson", "a Woolworths spokesperson", [], False, "drops whose spokesperson"),
    ("a Woolworths spokeswoman", "a Woolworths spokesperson", [], True, "same role family"),
    ("", "Mike Pompeo", [], False, "an empty name never matches"),
    ("...", "Mike Pompeo", [], False, "nothing left after normalisation"),
]


@pytest.mark.parametrize(
    ("predicted", "gold", "aliases", "expected", "reason"),
    SPEAKER_PAIRS,
    ids=[f"{p!r}~{g!r}" for p, g, *_ in SPEAKER_PAIRS],
)
def test_speaker_pairs(
    predicted: str, gold: str, aliases: list[str], expected: bool, reason: str
) -> None:
    assert speaker_matches(predicted, gold, aliases) is expected, reason


def test_the_pair_table_is_big_and_two_sided() -> None:
    assert len(SPEAKER_PAIRS) >= 40
    assert sum(e for *_, e, _ in SPEAKER_PAIRS) >= 15
    assert sum(not e for *_, e, _ in SPEAKER_PAIRS) >= 15


@pytest.mark.parametrize(
    ("name", "kind", "role", "qualifiers", "generic"),
    [
        ("Yahya Sarea", SpeakerKind.NAMED, "", set(), False),
        ("a spokesperson", SpeakerKind.ANONYMOUS_INDIVIDUAL, "spokesperson", set(), True),
        ("a senior U.S. official", SpeakerKind.ANONYMOUS_INDIVIDUAL, "official", {"us"}, False),
        (
            "Sources in the US government",
            SpeakerKind.COLLECTIVE,
            "source",
            {"us", "government"},
            False,
        ),
        ("some in Washington", SpeakerKind.COLLECTIVE, "person", {"washington"}, False),
        ("allies", SpeakerKind.COLLECTIVE, "ally", set(), True),
        ("Kremlin officials", SpeakerKind.COLLECTIVE, "official", {"kremlin"}, False),
        ("Palestinian Authority", SpeakerKind.NAMED, "", set(), False),
        ("Palestinian authorities", SpeakerKind.COLLECTIVE, "authority", {"palestinian"}, False),
        ("the President", SpeakerKind.ANONYMOUS_INDIVIDUAL, "president", set(), True),
        ("the agency", SpeakerKind.NAMED, "", set(), True),
        ("Merkel's spokesperson, Steffen Seibert", SpeakerKind.NAMED, "", set(), False),
    ],
)
def test_describe_speaker(
    name: str, kind: SpeakerKind, role: str, qualifiers: set[str], generic: bool
) -> None:
    described = describe_speaker(name)
    assert (described.kind, described.role, set(described.qualifiers), described.generic) == (
        kind,
        role,
        qualifiers,
        generic,
    )


def test_null_speakers() -> None:
    # Both null = the article's own voice on both sides: a match. One null: not.
    assert speaker_matches(None, None) is True
    assert speaker_matches(None, "Mike Pompeo") is False
    assert speaker_matches("Mike Pompeo", None) is False
    assert speaker_matches(None, None, ["anything"]) is True
    assert speaker_matches("author", None) is False


def test_titles_are_not_stripped_from_organisation_names() -> None:
    # "justice" and "general" are titles, but not in an organisation's name.
    assert normalise_speaker("the Justice Department") == "justice department"
    assert normalise_speaker("UN General Assembly") == "un general assembly"
    assert speaker_matches("General Assembly", "the Assembly") is False  # generic, no alias
    # ... and still are from people's names.
    assert normalise_speaker("Chief Justice John Roberts") == "john roberts"
    assert speaker_matches("Justice Breyer", "Stephen Breyer") is True


@pytest.mark.parametrize(
    ("predicted", "gold", "expected"),
    [
        ([], [], True),
        (["Reuters"], ["reuters"], True),
        (["the Associated Press"], ["Associated Press"], True),
        (["Reuters", "AP"], ["Reuters", "AP"], True),
        (["AP", "Reuters"], ["Reuters", "AP"], False),  # order is outer to inner
        (["Reuters"], [], False),
        ([], ["Reuters"], False),
        (["Reuters"], ["Reuters", "AP"], False),
        (["Reuters"], ["Bloomberg"], False),
        (["Bloomberg News", "a senior US official"], ["Bloomberg", "a senior US official"], True),
        (["Bloomberg", "an official"], ["Bloomberg", "a senior US official"], False),
    ],
)
def test_via_matches(predicted: list[str], gold: list[str], expected: bool) -> None:
    assert via_matches(predicted, gold) is expected


@pytest.mark.parametrize(
    ("predicted", "gold", "expected"),
    [
        ([], [], None),  # no chain in the gold: not checked
        (["Reuters"], [], None),  # a spurious chain is the exact check's business
        ([], ["Bloomberg"], False),  # the chain was lost
        (["Bloomberg"], ["Bloomberg"], True),
        (["a senior US official"], ["Bloomberg", "a senior US official"], True),  # flattened
        (["RT", "Bloomberg", "a US official"], ["Bloomberg", "a senior US official"], True),
        (["Bloomberg"], ["Bloomberg", "a senior US official"], False),  # innermost relay lost
        (["a senior US official", "Bloomberg"], ["Bloomberg", "a senior US official"], False),
    ],
)
def test_via_innermost(predicted: list[str], gold: list[str], expected: bool | None) -> None:
    assert via_innermost_matches(predicted, gold) is expected


@pytest.mark.parametrize(
    ("predicted", "gold", "expected"),
    [
        (None, None, True),  # an author claim has no cue
        ("said", None, False),
        (None, "said", False),
        ("Said,", "said", True),  # case and punctuation
        ("told", "told reporters", True),  # one cue's words are a run in the other's
        ("according to officials", "according to", True),
        ("says", "said", False),  # cues are copied as written: tense counts
        ("reported", "reporters", False),  # whole words only
        ("claimed", "said", False),
    ],
)
def test_cue_rule(predicted: str | None, gold: str | None, expected: bool) -> None:
    assert cue_matches(predicted, gold) is expected
