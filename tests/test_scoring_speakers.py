"""Speaker and reporting-chain matching (harness.scoring.speakers)."""

from __future__ import annotations

import pytest

from harness.scoring.speakers import cue_matches, normalise_speaker, speaker_matches, via_matches


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


@pytest.mark.parametrize(
    ("predicted", "gold", "aliases", "expected"),
    [
        ("Mike Pompeo", "Mike Pompeo", [], True),
        ("mike pompeo's", "Mike Pompeo", [], True),
        ("Secretary Pompeo", "Mike Pompeo", [], True),  # title stripped, then surname-only
        ("Pompeo", "Mike Pompeo", [], True),  # surname-only mention
        ("Mike Pompeo", "Pompeo", [], True),  # surname-only gold, either way round
        ("US Secretary of State Mike Pompeo", "Mike Pompeo", [], True),  # ends with gold
        ("President Trump", "Donald Trump", [], True),
        ("Mike", "Mike Pompeo", [], False),  # a first name is not a surname
        ("Mike Pence", "Mike Pompeo", [], False),
        ("Ivanka Trump", "Donald Trump", [], False),
        ("Saudi officials", "US officials", [], False),
        ("Pompeo Mike", "Mike Pompeo", [], False),  # order matters
        ("Saree", "Yahya Sarea", [], False),
        ("Saree", "Yahya Sarea", ["Saree"], True),  # alias
        ("the agency", "Saudi Press Agency", ["the agency"], True),
        ("Houthi military spokesperson", "Yahya Sarea", ["Houthi military spokesperson"], True),
        ("", "Mike Pompeo", [], False),  # an empty name never matches
        ("...", "Mike Pompeo", [], False),  # nothing left after normalisation
    ],
)
def test_speaker_matches(predicted: str, gold: str, aliases: list[str], expected: bool) -> None:
    assert speaker_matches(predicted, gold, aliases) is expected


def test_null_speakers() -> None:
    # Both null = the article's own voice on both sides: a match. One null: not.
    assert speaker_matches(None, None) is True
    assert speaker_matches(None, "Mike Pompeo") is False
    assert speaker_matches("Mike Pompeo", None) is False
    assert speaker_matches(None, None, ["anything"]) is True
    assert speaker_matches("author", None) is False


def test_surname_rule_applies_to_any_last_word() -> None:
    # Documented looseness of the surname rule: it is blind to whether the name is a
    # person. A one-word prediction equal to the last word of a multi-word gold matches.
    assert speaker_matches("the agency", "Saudi Press Agency") is True
    assert speaker_matches("officials", "Saudi officials") is True
    assert speaker_matches("the department", "the Justice Department") is True


def test_titles_are_not_stripped_from_organisation_names() -> None:
    # "justice" and "general" are titles, but not in an organisation's name.
    assert normalise_speaker("the Justice Department") == "justice department"
    assert normalise_speaker("UN General Assembly") == "un general assembly"
    assert speaker_matches("Justice Department", "State Department") is False
    assert speaker_matches("General Assembly", "the Assembly") is True  # surname rule
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
    ],
)
def test_via_matches(predicted: list[str], gold: list[str], expected: bool) -> None:
    assert via_matches(predicted, gold) is expected


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
