"""Guards (harness.scoring.matchers.guards): a table of pairs and the guard each must trip.

Each row is (predicted statement, gold statement, expected conflict or None). The None
rows matter as much: a guard that fires on paraphrases or split claims would punish
models for things people accept.
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.scoring.grounding import Grounding, GroundingKind, NormalisedDocument
from harness.scoring.matchers import get_matcher
from harness.scoring.matchers.guards import GuardedMatcher, conflict
from harness.scoring.matching import ClaimView

CASES = [
    # numbers
    ("5 people died in the fire", "50 people died in the fire", "numbers"),
    ("Police said 5 people died", "Police said five people died", None),
    ("The company lost $2.5 million", "The company lost $2.5 billion", "numbers"),
    ("The company lost $2.5 million", "The company lost $3.5 million", "numbers"),
    ("Turnout was 61 percent", "Turnout was 61%", None),
    ("1,200 homes were destroyed", "1200 homes were destroyed", None),
    ("12 were killed and 40 injured", "12 were killed", None),  # split: subset, allowed
    ("12 were killed and 40 injured", "12 were killed and 41 injured", "numbers"),
    ("a dozen soldiers were captured", "12 soldiers were captured", None),
    ("Unemployment rose", "Unemployment rose to 7 percent", None),  # one side has none
    ("185,000 customers lost power", "185 thousand customers lost power", None),
    ("Millions of people voted", "Thousands of people voted", "numbers"),
    ("Version 1.2.3 was released", "Version 1.2.4 was released", "numbers"),
    # dates
    ("The vote is on Monday", "The vote is on Tuesday", "dates"),
    ("The law took effect in March", "The law took effect in May", "dates"),
    ("The summit was in 2019", "The summit was in 2020", "numbers"),  # years are numbers
    ("The strike began on 3 June", "The strike began on 4 June", "numbers"),
    ("He left yesterday", "He left today", "dates"),
    ("The ministry may act", "The ministry could act", None),  # "may" is a modal here
    # negation
    ("The minister resigned", "The minister did not resign", "negation"),
    ("The minister didn't resign", "The minister did not resign", None),
    ("The mayor denied the report", "The mayor confirmed the report", "negation"),
    ("No one was hurt", "Nobody was hurt", None),
    ("Officials never saw the letter", "Officials saw the letter", "negation"),
    # hedges
    ("The virus may have spread", "The virus has spread", "hedge"),
    ("He was reportedly arrested", "He was arrested", "hedge"),
    ("The fire was allegedly set by the owner", "The owner set the fire", "hedge"),
    ("Rates will likely rise", "Rates are likely to rise", None),
    ("36 people it believes took part", "36 people believed to have taken part", None),
    # plain paraphrase: nothing to guard
    ("The bank raised rates", "Interest rates were raised by the bank", None),
]


@pytest.mark.parametrize(("predicted", "gold", "expected"), CASES)
def test_guard_table(predicted: str, gold: str, expected: str | None) -> None:
    assert conflict(predicted, gold) == expected
    assert conflict(gold, predicted) == expected  # guards are symmetric


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 20
    assert {c[2] for c in CASES} == {"numbers", "dates", "negation", "hedge", None}


NOT_FOUND = Grounding(GroundingKind.NOT_FOUND, -1, -1, 0.0)


def test_guarded_lexical_zeroes_only_the_conflicting_pairs() -> None:
    # "X said 5 people died" vs "X said 50 people died": lexical F1 = 2*4/10 = 0.8 (a match)
    predicted = [ClaimView.of(NOT_FOUND, "X said 5 people died")]
    gold = [
        ClaimView.of(NOT_FOUND, "X said 50 people died"),
        ClaimView.of(NOT_FOUND, "X said 5 people died"),
    ]
    document = NormalisedDocument("irrelevant")
    plain = get_matcher("lexical").similarity(predicted, gold, document)
    guarded = get_matcher("lexical+guards")
    assert isinstance(guarded, GuardedMatcher)
    assert guarded.name == "lexical+guards"
    assert plain[0, 0] == pytest.approx(0.8)
    np.testing.assert_array_equal(guarded.similarity(predicted, gold, document), [[0.0, 1.0]])
