"""`lead-N`: the article's first N sentences, each a claim in the article's own voice.

News is written lead-first, so the opening sentences carry the main claims; a model that
scores below this rule has not read the article. Lines without final punctuation
(datelines, headings, captions) are not sentences a reporter asserts, and are skipped.
"""

from __future__ import annotations

import re

from harness.claims import Claim, Document, QuoteType, SpeakerType
from harness.sentences import split_sentences

__all__ = ["lead_claims"]

_ENDS_LIKE_A_SENTENCE = re.compile(r"""[.!?\u2026]['"\u201d\u2019)\]]*$""")


def lead_claims(document: Document, n: int) -> list[Claim]:
    """The first `n` asserted sentences as author claims (evidence = statement = sentence)."""
    claims: list[Claim] = []
    for sentence in split_sentences(document.text):
        if len(claims) == n:
            break
        if not _ENDS_LIKE_A_SENTENCE.search(sentence.text):
            continue
        claims.append(
            Claim(
                statement=sentence.text,
                evidence=sentence.text,
                speaker=None,
                speaker_type=SpeakerType.AUTHOR,
                cue=None,
                quote_type=QuoteType.NONE,
                via=[],
            )
        )
    return claims
