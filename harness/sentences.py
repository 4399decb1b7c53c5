"""Split a news article into sentences, each an exact slice of the article's text.

Baselines take the article's first sentences, and grounded decoding offers the model only
the article's own sentences as evidence; both need spans that are verbatim substrings, so
the splitter returns offsets, never rewritten text. The rules are those of newswire text:
paragraph breaks always end a sentence; `.`, `!`, `?` (and `...`) end one when followed by
space and a capital, digit or opening quote, except after titles ("Mr.", "Gen."), month
abbreviations ("Jan. 5"), single initials ("J. K. Rowling") and dotted initialisms
("U.S. officials"), unless the next word is a common sentence opener ("in the U.S. The").
A closing quote or bracket right after the mark belongs to the sentence it closes.
No library is used: the maintained ones either need data downloads (nltk punkt) or do
not return offsets of the unmodified text, and these rules are small enough to own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

__all__ = ["Sentence", "sentence_texts", "split_sentences"]

# Words that, followed by ".", never end a sentence in news copy.
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "maj",
        "rep",
        "sen",
        "gov",
        "rev",
        "hon",
        "pres",
        "supt",
        "insp",
        "det",
        "cpl",
        "pvt",
        "messrs",
        "mme",
        "mlle",
        "mt",
        "ft",
        "vs",
        "v",
        "al",
        "approx",
        "dept",
        "est",
    ]
)
# Abbreviations that stand before a number ("Jan. 5", "No. 10"), and end a sentence otherwise.
_BEFORE_NUMBERS = frozenset(
    [
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "no",
        "nos",
        "fig",
        "vol",
    ]
)
# Abbreviations that may end a sentence ("Apple Inc.", "in the U.S."): they do when the
# next word is a common sentence opener.
_MAY_END = frozenset(["inc", "ltd", "co", "corp", "bros", "jr", "sr", "st"])
# After a dotted initialism ("U.S.") these words start a new sentence; others do not.
_OPENERS = frozenset(
    [
        "the",
        "a",
        "an",
        "he",
        "she",
        "it",
        "they",
        "we",
        "i",
        "you",
        "this",
        "that",
        "these",
        "those",
        "there",
        "his",
        "her",
        "its",
        "their",
        "but",
        "and",
        "or",
        "so",
        "yet",
        "in",
        "on",
        "at",
        "for",
        "from",
        "after",
        "before",
        "when",
        "while",
        "if",
        "as",
        "however",
        "meanwhile",
        "officials",
        "police",
        "according",
    ]
)
# A candidate end: terminal marks, then closing quotes/brackets glued to them, then space.
_END = re.compile(r"""(?:\.{3}|\u2026|[.!?]+)['"\u201d\u2019)\]]*(?=\s)""")
_NEXT = re.compile(r"""\s+(?=['"\u201c\u2018(\[]*[A-Z0-9À-ÖØ-Þ])""")
_WORD_BEFORE = re.compile(r"([\w.'\u2019-]+)$")
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_LINE = re.compile(r"\n")


@dataclass(frozen=True, slots=True)
class Sentence:
    """`text == article[start:end]`, with no leading or trailing whitespace."""

    start: int
    end: int
    text: str


def _is_abbreviation(word: str, next_word: str) -> bool:
    """Does the "." closing `word` belong to an abbreviation rather than end a sentence?"""
    bare = word.rstrip(".").lstrip("'\"\u201c\u2018(")
    lower = bare.lower()
    if not bare:
        return False
    if lower in _TITLES or (len(bare) == 1 and bare.isalpha() and bare.isupper()):
        return True  # a title, or an initial: "J. K. Rowling"
    if lower in _BEFORE_NUMBERS:
        return next_word[:1].isdigit()
    if lower in _MAY_END or re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", bare):  # "U.S", "A.M"
        return next_word.lower().strip("'\"\u201c\u2018(") not in _OPENERS
    return False


def _breaks(block: str) -> list[int]:
    """Offsets inside one paragraph where a new sentence starts."""
    starts = []
    for end in _END.finditer(block):
        following = _NEXT.match(block, end.end())
        if following is None:
            continue
        before = _WORD_BEFORE.search(block, 0, end.start() + 1)
        next_word = block[following.end() :].split(maxsplit=1)[0]
        mark = end.group()
        if (
            mark.startswith(".")
            and not mark.startswith("...")
            and before is not None
            and _is_abbreviation(before.group(1), next_word)
        ):
            continue
        starts.append(following.end())
    return starts


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraphs and lines as (start, end) offsets.

    News corpora put one paragraph (or heading, or dateline) per line, so a newline ends a
    block; only a break before a lower-case word is taken for a hard wrap.
    """
    cuts = [0]
    for match in _LINE.finditer(text):
        if _PARAGRAPH.match(text, match.start()):
            cuts.append(match.start())
            continue
        if not text[match.end() :].lstrip()[:1].islower():
            cuts.append(match.start())
    cuts.append(len(text))
    return [(a, b) for a, b in pairwise(cuts) if text[a:b].strip()]


def split_sentences(text: str) -> list[Sentence]:
    """Every sentence of `text` in order, as exact, stripped slices with their offsets."""
    sentences = []
    for block_start, block_end in _blocks(text):
        block = text[block_start:block_end]
        bounds = [0, *_breaks(block), len(block)]
        for a, b in pairwise(bounds):
            piece = block[a:b]
            stripped = piece.strip()
            if not stripped:
                continue
            start = block_start + a + (len(piece) - len(piece.lstrip()))
            sentences.append(Sentence(start, start + len(stripped), stripped))
    return sentences


def sentence_texts(text: str) -> list[str]:
    """Just the sentences' text, for callers that need no offsets."""
    return [s.text for s in split_sentences(text)]
