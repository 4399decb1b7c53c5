"""Text normalisation shared by grounding, matching and gold checks.

Evidence copied by a model (or an annotator) differs from the article in harmless ways:
curly versus straight quotes, dashes, doubled spaces, case. Comparing normalised text
keeps those differences from turning a faithful quote into an "invented" one.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalise", "tokens"]

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2012": "-",
        "\u2212": "-",
        "\u00ad": "",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)
_TOKEN = re.compile(r"\w+", re.UNICODE)
# ASCII bytes that are not word characters (\w on ASCII is [A-Za-z0-9_]) become spaces,
# upper case becomes lower: one C pass instead of a regex scan.
_ASCII_WORDS = bytes(
    c + 32 if 65 <= c <= 90 else c if chr(c).isalnum() or c == 95 else 32 for c in range(256)
)


def normalise(text: str) -> str:
    """NFKC, one quote style, one dash, single spaces, case-folded."""
    if text.isascii():  # NFKC is the identity on ASCII; only the backtick maps
        folded = text.replace("`", "'")
    else:
        # Translate before NFKC too: NFKC would turn a double prime into two single primes.
        folded = unicodedata.normalize("NFKC", text.translate(_TRANSLATE)).translate(_TRANSLATE)
    # split() and re's \s agree on what whitespace is (Py_UNICODE_ISSPACE); split/join is
    # ~3x faster than a regex substitution, and scoring normalises every claim it sees.
    return " ".join(folded.split()).casefold()


def tokens(text: str) -> list[str]:
    """Word tokens of the normalised text, for token-overlap similarities.

    On ASCII text normalising only folds case and spaces, which word tokens do not see,
    so the tokens come from a byte translation (~4x faster than the regex; scoring
    tokenises every statement of every document)."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_WORDS).decode("ascii").split()
    return _TOKEN.findall(normalise(text))
