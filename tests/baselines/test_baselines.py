"""Baselines (harness.baselines): lead-N, quotes and gold on real seed sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.baselines import resolve_baseline
from harness.claims import Document, Extraction, GoldDocument, QuoteType, SpeakerType
from harness.corpus import load_documents, load_gold
from harness.errors import UserInputError
from harness.scoring import aggregate, score_document

REPO = Path(__file__).resolve().parents[2]


def _doc(text: str) -> Document:
    return Document(id="d", text=text)


def _quotes(text: str) -> list[tuple[str, str | None, str | None, str, str]]:
    claims = resolve_baseline("baseline:quotes")(_doc(text), None).claims
    return [(c.statement, c.speaker, c.cue, c.quote_type.value, c.evidence) for c in claims]


@pytest.fixture(scope="module")
def seeds() -> tuple[list[Document], dict[str, GoldDocument]]:
    documents = load_documents(REPO / "seeds")
    return documents, load_gold(REPO / "gold", documents)


# --- lead-N ---------------------------------------------------------------------------------


def test_lead_skips_the_dateline_and_speaks_in_the_authors_voice() -> None:
    text = (
        "Sunday, September 15, 2019\n\nYesterday, oil facilities were hit by drone strikes. "
        "The attacks triggered major fires.\n\nThe Houthi movement claimed responsibility."
    )
    claims = resolve_baseline("baseline:lead-2")(_doc(text), None).claims
    assert [c.evidence for c in claims] == [
        "Yesterday, oil facilities were hit by drone strikes.",
        "The attacks triggered major fires.",
    ]
    for c in claims:
        assert (c.statement, c.speaker, c.cue, c.via) == (c.evidence, None, None, [])
        assert (c.speaker_type, c.quote_type) == (SpeakerType.AUTHOR, QuoteType.NONE)


def test_lead_n_on_a_short_document_returns_what_there_is() -> None:
    assert len(resolve_baseline("lead-50")(_doc("One. Two."), None).claims) == 2
    assert resolve_baseline("lead-3")(_doc("A heading without a full stop"), None).claims == []


# --- quotes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Seed 000: attribution after the quote (straight quotes, comma outside).
        (
            '"These attacks are our right, and we warn the Saudis", Saree said.',
            [("These attacks are our right, and we warn the Saudis", "Saree", "said", "direct")],
        ),
        # Seed 005: curly quotes, comma inside, attribution after.
        (
            "“The next hours will decide everything,” Stefaniak said.",
            [("The next hours will decide everything", "Stefaniak", "said", "direct")],
        ),
        # Inverted attribution after the quote.
        (
            '"We will rebuild," said Mayor Ana Ruiz.',
            [("We will rebuild", "Mayor Ana Ruiz", "said", "direct")],
        ),
        # Seed 003: attribution before the quote, through a lower-case appositive.
        (
            'Sumeet Singh, a vice president at PG&E, said "We very much understand the '
            'inconvenience".',
            [("We very much understand the inconvenience", "Sumeet Singh", "said", "direct")],
        ),
        # Seed 004: a capitalised appositive names the speaker; the date is skipped.
        (
            'The Senate Minority Leader, Chuck Schumer, said on Friday "We made a plea to the '
            'president once again".',
            [("We made a plea to the president once again", "Chuck Schumer", "said", "direct")],
        ),
        # Seed 004: "the United States is" must not read as the verb "states".
        (
            "The Vice President, Mike Pence, said on Friday the United States is "
            '"in the midst of a crisis on our southern border."',
            [("in the midst of a crisis on our southern border", "Mike Pence", "said", "mixed")],
        ),
        # Seed 000: "according to" with a pronoun, resolved to the last named person.
        (
            "Houthi military spokesperson Yahya Sarea said it had carried out the attack. "
            'According to him, it was accomplished with the help of "honourable people inside '
            'the kingdom".',
            [("honourable people inside the kingdom", "Yahya Sarea", "according to", "mixed")],
        ),
    ],
)
def test_quote_attribution(text: str, expected: list[tuple[str, str, str, str]]) -> None:
    assert [q[:4] for q in _quotes(text)] == expected


def test_quote_evidence_is_the_whole_sentence() -> None:
    text = 'Intro. "These attacks are our right", Saree said. Outro.'
    assert _quotes(text)[0][4] == '"These attacks are our right", Saree said.'


def test_pronoun_subject_resolves_or_is_skipped() -> None:
    # Seed 004: "He also said" after a named Trump quote; a lone "He said" has no antecedent.
    text = 'Trump said on Friday "I can do it." He also said, "I never threaten anybody."'
    assert [(q[0], q[1]) for q in _quotes(text)] == [
        ("I can do it", "Trump"),
        ("I never threaten anybody", "Trump"),
    ]
    assert _quotes('He also said, "I never threaten anybody."') == []


def test_a_run_on_quote_inherits_the_speaker_only_within_its_paragraph() -> None:
    same = '"These attacks are our right", Saree said. "We have the right to strike back."'
    assert [q[1] for q in _quotes(same)] == ["Saree", "Saree"]
    other = '"These attacks are our right", Saree said.\n\n"We have the right to strike back."'
    assert [q[1] for q in _quotes(other)] == ["Saree"]


@pytest.mark.parametrize(
    "text",
    [
        'Reports vary between a knife and a "sharp tool".',  # scare quotes, no say-verb
        'A man identified only as "P Wilson" was arrested, officials announced.',  # a name
        'He called it "--".',  # no words
        'An unclosed "quote that never ends, officials said.',
    ],
)
def test_quotes_without_a_speaker_or_words_are_not_claims(text: str) -> None:
    assert _quotes(text) == []


# --- gold and the registry -------------------------------------------------------------------


def test_gold_baseline_scores_perfectly_and_needs_gold(
    seeds: tuple[list[Document], dict[str, GoldDocument]],
) -> None:
    documents, gold = seeds
    baseline = resolve_baseline("baseline:gold")
    scores = [
        score_document(d.id, d.text, gold[d.id], baseline(d, gold[d.id]).claims)
        for d in documents
        if d.id in gold
    ]
    metrics = aggregate(scores, resamples=50).metrics
    assert metrics["claim_f1"].value == 1.0
    assert metrics["attributed_f1"].value == 1.0
    with pytest.raises(UserInputError, match=r"baseline:gold: document 'd' has no gold file"):
        baseline(_doc("text"), None)


def test_every_baseline_is_valid_deterministic_and_grounded_on_every_seed(
    seeds: tuple[list[Document], dict[str, GoldDocument]],
) -> None:
    documents, gold = seeds
    for name in ("lead-3", "quotes"):
        baseline = resolve_baseline(name)
        for d in documents:
            first = baseline(d, None)
            assert first == baseline(d, None)
            Extraction.model_validate(first.model_dump())  # the published schema's rules
            if d.id in gold:
                score = score_document(d.id, d.text, gold[d.id], first.claims)
                assert score.ungrounded_predicted == [], (name, d.id)


def test_lead_and_quotes_score_above_zero_on_the_seeds(
    seeds: tuple[list[Document], dict[str, GoldDocument]],
) -> None:
    documents, gold = seeds
    for name, metric in (("lead-3", "claim_f1"), ("quotes", "attributed_f1")):
        baseline = resolve_baseline(name)
        scores = [
            score_document(d.id, d.text, gold[d.id], baseline(d, None).claims)
            for d in documents
            if d.id in gold
        ]
        value = aggregate(scores, resamples=50).metrics[metric].value
        assert value is not None and 0.1 < value < 1.0, (name, value)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("baseline:lead-0", r"unknown baseline 'lead-0'"),
        ("baseline:lead-x", r"unknown baseline 'lead-x'"),
        ("baseline:nope", r"unknown baseline 'nope' \(known: baseline:lead-N, baseline:quotes"),
    ],
)
def test_unknown_baselines_are_user_errors(model: str, message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        resolve_baseline(model)
