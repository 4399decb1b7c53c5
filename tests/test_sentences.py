"""The sentence splitter (harness.sentences): real seed sentences and the hostile cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.corpus import load_documents
from harness.sentences import sentence_texts, split_sentences

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Seed 000: a dateline paragraph, "A.M." mid-sentence, "5.7" decimals.
        (
            "Sunday, September 15, 2019\n\nAccording to the Saudi Press Agency, the attacks "
            "occurred at 4:00 A.M. local time (0100 UTC). The oil field is about 160 km "
            "(100 miles) east of the capital, Riyadh.",
            [
                "Sunday, September 15, 2019",
                "According to the Saudi Press Agency, the attacks occurred at 4:00 A.M. local "
                "time (0100 UTC).",
                "The oil field is about 160 km (100 miles) east of the capital, Riyadh.",
            ],
        ),
        (
            "Saudi officials subsequently said 5.7  million barrels had been disrupted. This "
            "would be nearly half.",
            [
                "Saudi officials subsequently said 5.7  million barrels had been disrupted.",
                "This would be nearly half.",
            ],
        ),
        # Seed 000: a quote that ends a sentence keeps its closing mark; the next opens one.
        (
            '"These attacks are our right", Saree said. "We have the right to strike back."',
            ['"These attacks are our right", Saree said.', '"We have the right to strike back."'],
        ),
        # Seed 004: the closing quote after the full stop belongs to the first sentence.
        (
            'He also said, "I never threaten anybody." He also claimed that the wall was crucial.',
            [
                'He also said, "I never threaten anybody."',
                "He also claimed that the wall was crucial.",
            ],
        ),
        # Curly quotes, "?" inside a quote followed by a lower-case attribution: one sentence.
        (
            "“Will it hold?” she asked. “Yes.” Mr. Ruiz said.",
            ["“Will it hold?” she asked.", "“Yes.”", "Mr. Ruiz said."],
        ),
        # Titles and initials never end a sentence.
        (
            "Dr. Jane Smith met Gen. Mark Milley and J. K. Rowling. They talked.",
            ["Dr. Jane Smith met Gen. Mark Milley and J. K. Rowling.", "They talked."],
        ),
        # "U.S." ends a sentence only before a common opener.
        (
            "U.S. President Donald Trump spoke. Troops left the U.S. The talks ended.",
            ["U.S. President Donald Trump spoke.", "Troops left the U.S.", "The talks ended."],
        ),
        # Months and "No." before a number; otherwise they end the sentence.
        (
            "It began on Jan. 5 at No. 10 Downing Street. He said no. Then he left.",
            ["It began on Jan. 5 at No. 10 Downing Street.", "He said no.", "Then he left."],
        ),
        (
            "He works at Acme Inc. in Ohio. She left Acme Inc. The firm grew.",
            ["He works at Acme Inc. in Ohio.", "She left Acme Inc.", "The firm grew."],
        ),
        # "!" and "?" and an ellipsis end sentences; a decimal never does.
        (
            "Prices rose 2.5 percent! Why? Nobody knows... Experts disagree.",
            ["Prices rose 2.5 percent!", "Why?", "Nobody knows...", "Experts disagree."],
        ),
        # Newlines: a line (a heading, a paragraph) stands alone; a break before a lower-case
        # word is a hard wrap and continues the sentence.
        (
            "Storm hits coast\nThe storm hit the\ncoast on Monday and\nleft damage.\n",
            ["Storm hits coast", "The storm hit the\ncoast on Monday and\nleft damage."],
        ),
        ("   \n\n  ", []),
        ("no final punctuation", ["no final punctuation"]),
    ],
)
def test_splits(text: str, expected: list[str]) -> None:
    assert sentence_texts(text) == expected


def test_every_sentence_is_an_exact_slice_of_every_seed() -> None:
    documents = load_documents(REPO / "seeds")
    assert len(documents) >= 8
    for doc in documents:
        sentences = split_sentences(doc.text)
        assert sentences, doc.id
        previous_end = 0
        for s in sentences:
            assert doc.text[s.start : s.end] == s.text, doc.id
            assert s.text == s.text.strip() and s.text
            assert s.start >= previous_end  # in order, never overlapping
            previous_end = s.end
        # Nothing but whitespace is left out between sentences.
        covered = "".join(s.text for s in sentences)
        assert "".join(doc.text.split()) == "".join(covered.split()), doc.id


def test_seed_quote_sentences() -> None:
    (doc,) = [d for d in load_documents(REPO / "seeds") if d.id.startswith("004_")]
    texts = sentence_texts(doc.text)
    assert 'Trump said on Friday "I can do it [call a national emergency] if I want.' in texts
    assert "The Vice President, Mike Pence, said on Friday the United States is " in "".join(texts)
    assert 'Schiff called it "a non-starter".' in texts
