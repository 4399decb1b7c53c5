"""`quotes`: every quoted span, attributed to the subject of the nearest say-verb.

This is the classic rule-based attribution extractor (quotation marks + a reporting verb +
its subject), done with care: straight and curly quotes; the attribution before the quote
(`Pompeo said, "..."`, `Sumeet Singh, a vice president at PG&E, said "..."`) or after it
(`"...," Saree said.`, `"...", said Saree.`); `according to X`; a pronoun subject resolved
to the last named speaker of the matching kind (he/she -> a person, it/they -> an
organisation) and skipped when there is none; a quote with no attribution in its sentence
inherits the speaker of the previous quote in the same paragraph (news style for a quote
that runs on). Quotes whose speaker cannot be found are not claims this rule can make.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.claims import Claim, Document, QuoteType, SpeakerType
from harness.scoring.speaker_names import is_organisation_name
from harness.sentences import Sentence, split_sentences

__all__ = ["quote_claims"]

_SAY = (
    r"said|says|say|told|tells|added|adds|wrote|writes|stated|states|tweeted|tweets|"
    r"remarked|claimed|claims|announced|announces|explained|noted|warned|argued|insisted|"
    r"continued|commented|replied|responded|confirmed|declared|called|asked|posted"
)
# Case-sensitive: "the United States is" must not read as the verb "states".
_SAY_VERB = re.compile(rf"\b(?:{_SAY})\b|\b[Aa]ccording to\b")
_CAPITALISED = r"[A-Z\u00C0-\u00DE][\w'\u2019.&-]*"
_CONNECTOR = r"(?:of|de|del|da|al|bin|ibn|van|von|der|la|le|du)"
_NAME = rf"{_CAPITALISED}(?:\s+(?:{_CONNECTOR}\s+)?{_CAPITALISED})*"
_UNNAMED = (
    rf"(?:an?|the)\s+(?:{_CAPITALISED}\s+)?"
    r"(?:spokes(?:person|man|woman)|officials?|sources?)"
)
_PRONOUN = r"[Hh]e|[Ss]he|[Tt]hey|[Ii]t"
_SUBJECT = rf"(?:{_UNNAMED}|{_NAME}|{_PRONOUN})"
# After the closing quote: `, Saree said` / `, said Saree` / `, he added`.
_AFTER = re.compile(
    rf"^\s*[,.;:!?\u2014\u2013-]*\s*(?:(?P<verb>{_SAY})\s+(?P<name>{_SUBJECT})\b"
    rf"|(?P<name2>{_SUBJECT})\s+(?:also\s+|then\s+|later\s+)?(?P<verb2>{_SAY})\b)"
)
_ACCORDING = re.compile(rf"[Aa]ccording to\s+(?P<name>{_UNNAMED}|{_NAME}|him|her|them)\b")
_TRAILING_ADVERBS = frozenset(
    [
        "also",
        "then",
        "later",
        "again",
        "has",
        "had",
        "have",
        "previously",
        "repeatedly",
        "reportedly",
        "earlier",
        "once",
    ]
)
_QUOTE = re.compile(r"\u201c(?P<curly>[^\u201c\u201d\n]+)\u201d|\"(?P<straight>[^\"\n]+)\"")
_PERSON_PRONOUNS = frozenset({"he", "she", "him", "her"})
_GROUP_PRONOUNS = frozenset({"it", "they", "them"})
_SOURCES = re.compile(r"\bsources?\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Attribution:
    speaker: str
    cue: str
    speaker_type: SpeakerType


def _kind(name: str) -> SpeakerType:
    if _SOURCES.search(name):
        return SpeakerType.ANONYMOUS
    if is_organisation_name(name) or (name.isupper() and len(name) > 1):
        return SpeakerType.ORGANIZATION  # "State Department", "SDF", "NATO"
    return SpeakerType.PERSON


def _trailing_name(text: str) -> str | None:
    """The capitalised run (or pronoun) that ends `text`: the subject before a verb."""
    words = text.split()
    while words and words[-1].lower() in _TRAILING_ADVERBS:
        words.pop()
    candidate = " ".join(words)
    for pattern in (_UNNAMED, _NAME, _PRONOUN):
        found = re.search(rf"(?:^|\s)({pattern})$", candidate)
        if found:
            return found.group(1)
    return None


def _subject_before(text: str) -> str | None:
    """The subject of a verb that follows `text`, through an appositive if there is one.

    `Nancy Pelosi, the Speaker of the House,` -> Nancy Pelosi (a lower-case appositive
    describes the name before it); `The Vice President, Mike Pence,` -> Mike Pence.
    """
    text = text.rstrip()
    if text.endswith(","):
        head, _, appositive = text[:-1].rpartition(",")
        appositive = appositive.strip()
        if head and appositive[:1].islower():
            return _trailing_name(head)
        return _trailing_name(appositive) or _trailing_name(head)
    return _trailing_name(text)


class _Resolver:
    """Pronoun subjects to the last named speaker of the matching kind.

    Every "X said" in the text read so far counts, not only the quoted ones: "Sarea said it
    carried out the attack. According to him, ..." resolves "him" to Sarea.
    """

    def __init__(self) -> None:
        self.last: dict[bool, _Attribution] = {}

    def _remember(self, name: str, cue: str) -> _Attribution:
        found = _Attribution(name, cue, _kind(name))
        self.last[found.speaker_type is SpeakerType.PERSON] = found
        return found

    def read(self, text: str) -> None:
        """Remember the named subjects of the say-verbs in `text` (no quote in it)."""
        for verb in _SAY_VERB.finditer(text):
            clause = text[text.rfind(". ", 0, verb.start()) + 1 : verb.start()]
            name = _subject_before(clause)
            if name and name.lower() not in _PERSON_PRONOUNS | _GROUP_PRONOUNS:
                self._remember(name, verb.group().lower())

    def resolve(self, name: str, cue: str) -> _Attribution | None:
        lower = name.lower()
        if lower in _PERSON_PRONOUNS | _GROUP_PRONOUNS:
            previous = self.last.get(lower in _PERSON_PRONOUNS)
            if previous is None:
                return None
            return _Attribution(previous.speaker, cue, previous.speaker_type)
        return self._remember(name, cue)


def _attribution(before: str, after: str, resolver: _Resolver) -> _Attribution | None:
    """Who says the quote between `before` and `after` (both inside its sentences)."""
    for verb in reversed(list(_SAY_VERB.finditer(before))):  # the nearest verb first
        cue = verb.group().lower()
        if cue == "according to":
            named = _ACCORDING.match(before, verb.start())
            name = named.group("name") if named else None
        else:
            name = _subject_before(before[: verb.start()])
        if name:
            return resolver.resolve(name, cue)
    following = _AFTER.match(after)
    if following is None:
        return None
    name = following.group("name") or following.group("name2")
    cue = (following.group("verb") or following.group("verb2")).lower()
    return resolver.resolve(name, cue)


def _containing(sentences: list[Sentence], offset: int) -> Sentence:
    for sentence in sentences:
        if sentence.start <= offset < sentence.end:
            return sentence
    return min(sentences, key=lambda s: abs(s.start - offset))


def quote_claims(document: Document) -> list[Claim]:
    """One claim per attributable quoted span, in article order."""
    text = document.text
    sentences = split_sentences(text)
    resolver = _Resolver()
    claims: list[Claim] = []
    previous: tuple[int, _Attribution] | None = None  # (end offset, who) of the last quote
    read_up_to = 0
    for quote in _QUOTE.finditer(text):
        inner = (quote.group("curly") or quote.group("straight")).strip(" ,.;:")
        words = inner.split()
        if not any(ch.isalpha() for ch in inner) or all(w[:1].isupper() for w in words):
            continue  # no words, or a name or title in quotes ("P Wilson"), not a claim
        first, last = _containing(sentences, quote.start()), _containing(sentences, quote.end() - 1)
        resolver.read(text[read_up_to : max(first.start, read_up_to)])
        read_up_to = max(read_up_to, last.end)
        before, after = text[first.start : quote.start()], text[quote.end() : last.end]
        who = _attribution(before, after, resolver)
        runs_on = (
            previous is not None
            and "\n" not in text[previous[0] : quote.start()]
            and inner[:1].isupper()
            and len(words) >= 4
        )
        if who is None and runs_on and previous is not None:
            who = previous[1]
        if who is None:
            continue
        previous = (quote.end(), who)
        claims.append(
            Claim(
                statement=inner,
                evidence=text[first.start : last.end],
                speaker=who.speaker,
                speaker_type=who.speaker_type,
                cue=who.cue,
                quote_type=QuoteType.DIRECT if inner[:1].isupper() else QuoteType.MIXED,
                via=[],
            )
        )
    return claims
