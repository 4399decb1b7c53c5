"""Text normalisation and evidence grounding (harness.scoring.text, harness.scoring.grounding).

Every expected number is worked out by hand in a comment next to the assertion.
"""

from __future__ import annotations

import random
import re
import string

import pytest

from harness.scoring.grounding import (
    DEFAULT_FUZZY_THRESHOLD,
    GroundingKind,
    NormalisedDocument,
    ground,
)
from harness.scoring.text import normalise, tokens

# --- normalise / tokens -------------------------------------------------------------------


def test_normalise_quotes_dashes_spaces_and_case() -> None:
    # curly double quotes -> '"', right single quote -> "'", em dash -> '-',
    # NBSP + runs of spaces -> one space, outer whitespace stripped, case-folded.
    assert normalise("  \u201cHello\u201d\u00a0 \u2014  World\u2019s ") == '"hello" - world\'s'


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\u2018a\u2019 \u201ab\u201b `c\u2032", "'a' 'b' 'c'"),
        ("\u201ea\u201f \u00abb\u00bb \u2033", '"a" "b" "'),
        ("a\u2013b\u2012c\u2212d", "a-b-c-d"),
        ("co\u00adoperate", "cooperate"),  # soft hyphen removed
        ("a\u2009b\u202fc\n\t d", "a b c d"),
        ("\ufb01ne STRASSE", "fine strasse"),  # NFKC ligature, casefold
        ("Stra\u00dfe", "strasse"),  # casefold, not lower(): sharp s -> 'ss'
    ],
)
def test_normalise_table(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_tokens_are_word_runs_of_normalised_text() -> None:
    # "U.S." -> u, s; the apostrophe splits "officials'"; curly quotes vanish.
    assert tokens("U.S. Officials' \u201cNo\u201d, 2019!") == ["u", "s", "officials", "no", "2019"]
    assert tokens(" -- ") == []


def test_ascii_tokens_take_the_fast_path_and_equal_the_regex_ones() -> None:
    """ASCII text is tokenised by a byte translation; it must give exactly the word runs
    of the normalised text, whatever the punctuation, control characters or case."""
    rng = random.Random(7)
    alphabet = string.printable + "\x00\x7f`"
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert tokens(text) == re.findall(r"\w+", normalise(text)), repr(text)
    assert tokens("snake_case C3PO it's") == ["snake_case", "c3po", "it", "s"]
    assert tokens("Stra\u00dfe \u00c9t\u00e9") == ["strasse", "\u00e9t\u00e9"]  # not ASCII: regex


# --- ground: exact ------------------------------------------------------------------------


def test_exact_after_quote_space_and_case_normalisation() -> None:
    doc = NormalisedDocument("He said: \u201cWe are READY.\u201d  Then left.")
    # normalised doc: 'he said: "we are ready." then left.'
    #                  0123456789...: 'he said: ' is 9 chars, so the quote starts at 9;
    # needle '"we are ready."' has 15 chars -> end = 9 + 15 = 24.
    g = ground('"We are   ready."', doc)
    assert (g.kind, g.start, g.end, g.score) == (GroundingKind.EXACT, 9, 24, 100.0)
    assert g.found


def test_exact_takes_the_first_occurrence() -> None:
    doc = NormalisedDocument("He said no. She said no.")
    # 'said no.' first starts at index 3 ('he ' is 3 chars) -> end 3 + 8 = 11.
    g = ground("said no.", doc)
    assert (g.start, g.end) == (3, 11)


def test_short_exact_evidence_is_still_grounded() -> None:
    # The 12-character minimum applies to fuzzy matching only.
    g = ground("left", NormalisedDocument("He left."))
    assert (g.kind, g.start, g.end) == (GroundingKind.EXACT, 3, 7)


# --- ground: fuzzy ------------------------------------------------------------------------

BUDGET = NormalisedDocument("The minister said the budget will rise next year.")


def test_fuzzy_one_typo_scores_indel_similarity() -> None:
    # needle 'the budget will rize next year' (30 chars) vs the aligned substring
    # 'the budget will rise next year' (30 chars): one substitution = Indel distance 2,
    # score = 100 * (1 - 2 / (30 + 30)) = 100 * 58/60 = 96.667 >= 90 -> FUZZY.
    # 'the minister said ' is 18 chars -> span [18, 18 + 30) = [18, 48).
    g = ground("the budget will rize next year", BUDGET)
    assert g.kind is GroundingKind.FUZZY
    assert (g.start, g.end) == (18, 48)
    assert g.score == pytest.approx(100 * 58 / 60)


def test_fuzzy_threshold_is_inclusive_floor() -> None:
    # Same pair scores 96.667: found at threshold 96.6, not found at 97.
    assert ground("the budget will rize next year", BUDGET, 96.6).found
    missing = ground("the budget will rize next year", BUDGET, 97.0)
    assert (missing.kind, missing.start, missing.end, missing.score) == (
        GroundingKind.NOT_FOUND,
        -1,
        -1,
        0.0,
    )


def test_default_fuzzy_threshold_is_90() -> None:
    assert DEFAULT_FUZZY_THRESHOLD == 90.0


def test_fuzzy_needs_at_least_12_characters() -> None:
    # 'budget rize' is 11 chars; vs 'budget rise' its score would be 100*(1-2/22) = 90.9,
    # above 90, but short evidence is only grounded exactly.
    assert not ground("budget rize", BUDGET).found


def test_invented_sentence_is_not_grounded() -> None:
    assert not ground("The mayor resigned on Tuesday after the vote.", BUDGET).found


def test_whitespace_only_evidence_is_not_grounded() -> None:
    assert ground(" \n\t ", BUDGET).kind is GroundingKind.NOT_FOUND


def test_evidence_longer_than_document_compares_whole_strings() -> None:
    doc = NormalisedDocument("Officials said the bridge will reopen in May.")  # 45 chars
    # 'the whole document + invented text' must not ground: ratio of 45 vs 91 chars is
    # 100 * 2*45 / (45 + 91) = 66.2 < 90. (partial_ratio would have scored 100.)
    padded = "Officials said the bridge will reopen in May. They said taxes will be abolished."
    assert not ground(padded, doc).found
    # One extra character: Indel distance 1 -> 100 * (1 - 1/(45 + 46)) = 98.90 -> FUZZY,
    # span is the whole document [0, 45).
    g = ground("Officials said the bridge will reopen in May!.", doc)
    assert (g.kind, g.start, g.end) == (GroundingKind.FUZZY, 0, 45)
    assert g.score == pytest.approx(100 * 90 / 91)
