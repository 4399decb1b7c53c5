"""Tests for harness.importers.polnear.

PolNeAR is research-only, so this file holds no corpus text or annotation. The unit tests
use tiny brat files invented here. The real-data tests read the dev split at run time from
`<repo>/../shared/corpora/polnear_dev`; set CLAIM_HARNESS_SHARED to use a folder other than
`<repo>/../shared`. They skip when the split is absent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.claims import Document, GoldDocument, GoldField, QuoteType, SpeakerType
from harness.importers import (
    LICENCE,
    AnnotatorRule,
    PolnearCorpus,
    PolnearFormatError,
    read_polnear,
    write_polnear,
)

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("CLAIM_HARNESS_SHARED", REPO.parent / "shared"))
POLNEAR_DEV = SHARED / "corpora" / "polnear_dev"

# Invented text. The \r\n line ending checks that offsets count every character as read.
TEXT = (
    "Budget talks stalled on Monday.\r\n"
    "Taxes, the senator said, will rise next year. "
    "Officials are expected to approve the plan, it was reported.\n"
)


def off(phrase: str, text: str = TEXT) -> str:
    """The brat offsets 'start end' of the first occurrence of `phrase`."""
    start = text.index(phrase)
    return f"{start} {start + len(phrase)}"


def ann(*lines: str) -> str:
    return "".join(line + "\n" for line in lines)


SENATOR = [
    f"T1\tSource {off('the senator')}\tthe senator",
    f"T2\tCue {off('said')}\tsaid",
    f"T3\tContent {off('Taxes')};{off('will rise next year')}\tTaxes will rise next year",
    f"T4\tAttribution {off('said')}\tsaid",
    "E1\tAttribution:T4 Content:T3 Cue:T2 Source:T1",
]
REPORTED = [
    f"T5\tCue {off('it was reported')}\tit was reported",
    f"T6\tContent {off('Officials are expected to approve the plan')}"
    "\tOfficials are expected to approve the plan",
    f"T7\tAttribution-no-source {off('it was reported')}\tit was reported",
    "E2\tAttribution-no-source:T7 Content:T6 Cue:T5",
]
META = (
    "compartment\tfilename\tpublication_date\ttitle\tannotators\n"
    'dev\tdoc\t2016-10-01\tA "made-up" headline\taa|zz\n'
    "dev\tother\tNone\tNone\tbb\n"
)


def make_corpus(root: Path, anns: dict[str, str], texts: dict[str, str] | None = None) -> Path:
    """Write a brat corpus: `anns` maps '<doc>_<annotator>' to .ann content."""
    (root / "text").mkdir(parents=True)
    (root / "attributions").mkdir()
    for name, text in (texts or {"doc": TEXT}).items():
        (root / "text" / f"{name}.txt").write_bytes(text.encode("utf-8"))
    for name, content in anns.items():
        (root / "attributions" / f"{name}.ann").write_bytes(content.encode("utf-8"))
    (root / "metadata.tsv").write_text(META, encoding="utf-8")
    return root


def read_one(tmp_path: Path, *lines: str) -> PolnearCorpus:
    return read_polnear(make_corpus(tmp_path / "src", {"doc_aa": ann(*lines)}))


# --- unit tests on invented brat files ------------------------------------------------------


def test_discontinuous_content_gives_contiguous_evidence_and_joined_statement(
    tmp_path: Path,
) -> None:
    corpus = read_one(tmp_path, *SENATOR)
    (claim,) = corpus.gold["doc"].claims
    assert claim.evidence == "Taxes, the senator said, will rise next year"
    assert claim.statement == "Taxes will rise next year"
    assert (claim.speaker, claim.cue) == ("the senator", "said")
    assert claim.speaker_type is SpeakerType.PERSON
    assert claim.quote_type is QuoteType.INDIRECT
    assert (claim.via, claim.speaker_aliases, claim.required) == ([], [], True)


def test_gold_marks_what_polnear_does_not_annotate(tmp_path: Path) -> None:
    gold = read_one(tmp_path, *SENATOR).gold["doc"]
    assert gold.doc_id == "doc"
    assert gold.annotator == "aa"
    assert set(gold.unannotated) == {
        GoldField.SPEAKER_TYPE,
        GoldField.QUOTE_TYPE,
        GoldField.VIA,
        GoldField.STATEMENT,
    }
    assert GoldField.CUE not in gold.unannotated


def test_missing_source_is_an_author_claim_with_its_cue(tmp_path: Path) -> None:
    (claim,) = read_one(tmp_path, *REPORTED).gold["doc"].claims
    assert claim.speaker is None
    assert claim.speaker_type is SpeakerType.AUTHOR
    assert claim.cue == "it was reported"
    assert claim.evidence == claim.statement == "Officials are expected to approve the plan"


def test_fragments_listed_out_of_order_verify_in_listed_order(tmp_path: Path) -> None:
    # brat writes the text column in the order the fragments are listed; the statement
    # follows the document order.
    swapped = SENATOR.copy()
    swapped[2] = (
        f"T3\tContent {off('will rise next year')};{off('Taxes')}\twill rise next year Taxes"
    )
    (claim,) = read_one(tmp_path, *swapped).gold["doc"].claims
    assert claim.statement == "Taxes will rise next year"
    assert claim.evidence == "Taxes, the senator said, will rise next year"


def test_numbered_content_arguments_are_pooled(tmp_path: Path) -> None:
    lines = [
        SENATOR[0],
        SENATOR[1],
        SENATOR[3],
        f"T3\tContent {off('Taxes')}\tTaxes",
        f"T8\tContent {off('will rise next year')}\twill rise next year",
        "E1\tAttribution:T4 Content:T3 Content2:T8 Cue:T2 Source:T1",
    ]
    (claim,) = read_one(tmp_path, *lines).gold["doc"].claims
    assert claim.statement == "Taxes will rise next year"
    assert claim.evidence == "Taxes, the senator said, will rise next year"


def test_attribution_without_content_is_counted_not_claimed(tmp_path: Path) -> None:
    # Shape seen in the real data: a trigger-only event (with a trailing blank) that shares
    # its trigger with a complete event.
    corpus = read_one(tmp_path, *SENATOR, "E3\tAttribution:T4 ")
    summary = corpus.summary()
    assert (summary.n_attributions, summary.n_claims, summary.n_without_content) == (2, 1, 1)


def test_claims_are_in_document_order_and_spans_counted(tmp_path: Path) -> None:
    corpus = read_one(tmp_path, *REPORTED, *SENATOR)
    claims = corpus.gold["doc"].claims
    assert [c.cue for c in claims] == ["said", "it was reported"]
    assert corpus.summary().n_spans_verified == 7


def test_metadata_and_exact_text(tmp_path: Path) -> None:
    corpus = read_polnear(
        make_corpus(
            tmp_path / "src",
            {"doc_aa": ann(*SENATOR), "other_bb": ""},
            texts={"doc": TEXT, "other": "Nothing is attributed here."},
        )
    )
    doc, other = corpus.documents
    assert doc == Document(
        id="doc", text=TEXT, title='A "made-up" headline', date="2016-10-01", licence=LICENCE
    )
    assert (other.title, other.date, other.url) == (None, None, None)
    assert corpus.gold["other"].claims == []


def test_span_mismatch_names_file_line_and_span(tmp_path: Path) -> None:
    lines = SENATOR.copy()
    lines[2] = f"T3\tContent {off('Taxes')};{off('will rise next year')}\tTaxes will fall"
    with pytest.raises(PolnearFormatError) as err:
        read_one(tmp_path, *lines)
    message = str(err.value)
    assert "doc_aa.ann:3:" in message
    assert "span T3" in message


@pytest.mark.parametrize(
    ("bad_line", "fragment"),
    [
        ("T9\tSource 5\tBudget", "malformed span line"),
        ("T9\tSource 0 6;7\tBudget", "malformed span line"),
        ("T9\tSource 0 9999\tBudget", "outside the text"),
        ("R1\tRel Arg1:T1 Arg2:T2", "malformed line"),
        ("E9\t", "malformed line"),
        ("E9\tAttribution:T99 Content:T3", "trigger"),
        ("E9\tAttribution:T4 Content:T1", "T1 is not a Content span"),
        ("E9\tAttribution:T4 Content:T77", "T77 is not a Content span"),
        ("E9\tAttribution:T4 Speaker:T1", "bad argument"),
        ("T1\tSource 0 6\tBudget", "defined twice"),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path: Path, bad_line: str, fragment: str) -> None:
    with pytest.raises(PolnearFormatError) as err:
        read_one(tmp_path, *SENATOR, bad_line)
    assert f"doc_aa.ann:{len(SENATOR) + 1}:" in str(err.value)
    assert fragment in str(err.value)


def test_text_and_annotation_files_must_pair_up(tmp_path: Path) -> None:
    with pytest.raises(PolnearFormatError, match=r"no text file nodoc\.txt"):
        read_polnear(make_corpus(tmp_path / "a", {"nodoc_aa": ""}))
    with pytest.raises(PolnearFormatError, match=r"no \.ann file for doc"):
        read_polnear(make_corpus(tmp_path / "b", {}))
    with pytest.raises(FileNotFoundError):
        read_polnear(tmp_path / "missing")


def test_annotator_rule_choice(tmp_path: Path) -> None:
    src = make_corpus(
        tmp_path / "src",
        {
            "doc_zz": ann(*SENATOR, *REPORTED),  # two attributions
            "doc_aa": ann(*SENATOR),  # one attribution
            "doc_mm": ann(*REPORTED, *SENATOR),  # two, ties with zz
        },
    )
    first = read_polnear(src)
    assert first.rule is AnnotatorRule.FIRST_ALPHABETICAL
    assert first.kept["doc"].annotator == "aa"
    assert [a.annotator for a in first.others["doc"]] == ["mm", "zz"]
    most = read_polnear(src, AnnotatorRule.MOST_ATTRIBUTIONS)
    assert most.kept["doc"].annotator == "mm"  # tie with zz broken alphabetically
    assert {g.annotator for g in most.other_gold["doc"]} == {"aa", "zz"}
    summary = most.summary()
    assert summary.attributions_by_annotator == {"mm": 2}
    assert summary.other_attributions_by_annotator == {"aa": 1, "zz": 2}
    assert summary.n_spans_verified == 7 + 4 + 7


def test_write_round_trip_and_refusal(tmp_path: Path) -> None:
    corpus = read_polnear(
        make_corpus(tmp_path / "src", {"doc_aa": ann(*SENATOR), "doc_zz": ann(*SENATOR, *REPORTED)})
    )
    out = tmp_path / "out"
    summary = write_polnear(corpus, out)
    assert (summary.n_documents, summary.n_attributions, summary.n_claims) == (1, 1, 1)
    assert (out / "docs" / "doc.txt").read_bytes() == TEXT.encode("utf-8")
    meta = json.loads((out / "docs" / "doc.meta.json").read_text(encoding="utf-8"))
    assert meta == {
        "title": 'A "made-up" headline',
        "url": None,
        "date": "2016-10-01",
        "licence": LICENCE,
    }
    gold = GoldDocument.model_validate_json((out / "gold" / "doc.json").read_text("utf-8"))
    assert gold == corpus.gold["doc"]
    other = out / "annotators" / "zz" / "doc.json"
    assert len(GoldDocument.model_validate_json(other.read_text("utf-8")).claims) == 2

    with pytest.raises(FileExistsError, match="not empty"):
        write_polnear(corpus, out)
    assert write_polnear(corpus, out, overwrite=True) == summary
    (tmp_path / "empty").mkdir()
    write_polnear(corpus, tmp_path / "empty")  # an existing empty folder is fine


# --- the real dev split, read at run time ----------------------------------------------------


@pytest.fixture(scope="module")
def dev_dir() -> Path:
    if not POLNEAR_DEV.is_dir():
        pytest.skip(
            f"PolNeAR dev split not found at {POLNEAR_DEV} (research-only corpus, not in "
            "the repository; set CLAIM_HARNESS_SHARED to the folder holding corpora/)"
        )
    return POLNEAR_DEV


@pytest.fixture(scope="module")
def dev(dev_dir: Path) -> PolnearCorpus:
    return read_polnear(dev_dir)


def test_dev_counts_match_the_published_figures(dev: PolnearCorpus) -> None:
    summary = dev.summary()
    assert summary.rule is AnnotatorRule.FIRST_ALPHABETICAL
    assert summary.n_documents == len(dev.gold) == 84
    assert summary.n_attributions == 2193
    assert sum(summary.attributions_by_annotator.values()) == 2193
    assert summary.n_claims == summary.n_attributions - summary.n_without_content
    assert summary.n_without_content == 1  # one trigger-only brat leftover in the split


def test_dev_every_span_verified(dev_dir: Path, dev: PolnearCorpus) -> None:
    t_lines = sum(
        line.startswith("T")
        for path in (dev_dir / "attributions").glob("*.ann")
        for line in path.read_text(encoding="utf-8").split("\n")
    )
    assert t_lines > 0
    assert dev.summary().n_spans_verified == t_lines


def test_dev_other_rule_within_range(dev_dir: Path) -> None:
    summary = read_polnear(dev_dir, AnnotatorRule.MOST_ATTRIBUTIONS).summary()
    assert summary.n_documents == 84
    assert 2188 <= summary.n_attributions <= 2193


def test_dev_written_output_loads_back(dev: PolnearCorpus, tmp_path: Path) -> None:
    out = tmp_path / "polnear"
    summary = write_polnear(dev, out)
    assert summary == dev.summary()
    gold_files = sorted((out / "gold").glob("*.json"))
    assert len(gold_files) == 84
    n_claims = 0
    for path in gold_files:
        gold = GoldDocument.model_validate_json(path.read_text(encoding="utf-8"))
        text = (out / "docs" / f"{gold.doc_id}.txt").read_bytes().decode("utf-8")
        assert text == next(d.text for d in dev.documents if d.id == gold.doc_id)
        for claim in gold.claims:
            assert claim.evidence in text
        n_claims += len(gold.claims)
    assert n_claims == summary.n_claims
    others = list((out / "annotators").glob("*/*.json"))
    assert len(others) == sum(len(v) for v in dev.others.values()) > 0
    for path in others:
        GoldDocument.model_validate_json(path.read_text(encoding="utf-8"))
