"""One PolNeAR ``.ann`` file (brat standoff) read against its document text.

One attribution (brat ``E`` line) becomes one GoldClaim:

* ``evidence``: the document text from the first start to the last end of its Content
  fragments. It is verbatim and contiguous, so it may include a cue that interrupts the content.
* ``statement``: the Content fragments (of ``Content``, ``Content2``, ...) in document order,
  joined by one space.
* ``speaker`` / ``cue``: the Source / Cue fragments joined by a space. With no Source, the
  speaker is null and ``speaker_type`` is ``author``.
* PolNeAR has no speaker types, quote types, reporting chains or standalone statements. They
  are listed in ``unannotated`` and get placeholders (``person``, ``indirect``, ``via=[]``).

Attributions without Content count in ``n_attributions`` (an annotator made the ``E`` line)
and in ``n_without_content``, but yield no claim: with no content there is no evidence. In the
dev split the only case is a trigger-only event whose trigger a complete event also uses.
It is a brat leftover, not a lost claim.

Every ``T`` line is verified: the text at its offsets (fragments in listed order, joined by a
space, as brat writes them) must equal the recorded text. Drifted offsets would otherwise
become wrong evidence without anyone noticing, so a mismatch raises PolnearFormatError.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.claims import GoldClaim, GoldDocument, GoldField, QuoteType, SpeakerType
from harness.errors import UserInputError

__all__ = ["PolnearAnnotation", "PolnearFormatError", "read_ann", "utf8"]

UNANNOTATED = [GoldField.SPEAKER_TYPE, GoldField.QUOTE_TYPE, GoldField.VIA, GoldField.STATEMENT]

_T_LINE = re.compile(r"(T\d+)\t(\S+) (\d+ \d+(?:;\d+ \d+)*)\t(.*)")
_E_LINE = re.compile(r"(E\d+)\t(.*)")
_ARG = re.compile(r"([A-Za-z][A-Za-z_-]*?)(\d*):(T\d+)")
_TRIGGERS = frozenset({"Attribution", "Attribution-no-source"})
_ROLES = ("Source", "Cue", "Content")

Fragment = tuple[int, int]
_Spans = dict[str, tuple[str, tuple[Fragment, ...]]]  # span id -> (type, fragments)
_Event = tuple[int, str, list[str]]  # line number, event id, arguments


class PolnearFormatError(UserInputError, ValueError):
    """The corpus files break the brat/PolNeAR format; the message names file and line."""


@dataclass(frozen=True)
class PolnearAnnotation:
    """One annotator's gold for one document, plus the counts that the gold itself cannot show."""

    annotator: str
    gold: GoldDocument
    n_attributions: int
    n_without_content: int
    n_spans_verified: int


def read_ann(path: Path, text: str, doc_id: str, annotator: str) -> PolnearAnnotation:
    """Parse one .ann file against its document text, verifying each span."""
    spans, events = _read_lines(path, text)
    claims: list[tuple[int, int, GoldClaim]] = []
    without_content = 0
    for no, eid, args in events:
        roles = _roles(path, no, eid, args, spans)
        if not roles["Content"]:
            without_content += 1
            continue
        claims.append((min(roles["Content"])[0], no, _claim(text, roles)))
    gold = GoldDocument(
        doc_id=doc_id,
        annotator=annotator,
        unannotated=list(UNANNOTATED),
        claims=[c for _, _, c in sorted(claims, key=lambda x: x[:2])],
    )
    return PolnearAnnotation(
        annotator=annotator,
        gold=gold,
        n_attributions=len(events),
        n_without_content=without_content,
        n_spans_verified=len(spans),
    )


def _read_lines(path: Path, text: str) -> tuple[_Spans, list[_Event]]:
    """The verified spans (T lines) and the events (E lines) of one file, in file order."""
    spans: _Spans = {}
    events: list[_Event] = []
    lines = utf8(path).split("\n")  # not splitlines(): span text may hold U+2028 etc.
    for no, raw in enumerate(lines, 1):
        line = raw.removesuffix("\r")
        if not line.strip() or line.startswith("#"):  # blank, or a brat annotator note
            continue
        if line.startswith("T"):
            sid, kind, frags = _span(path, no, line, text)
            if sid in spans:
                raise _error(path, no, f"span {sid} defined twice")
            spans[sid] = (kind, frags)
        elif line.startswith("E") and (e := _E_LINE.fullmatch(line)) and e.group(2).split():
            events.append((no, e.group(1), e.group(2).split()))  # split(): tolerate stray blanks
        else:
            raise _error(path, no, "malformed line; PolNeAR .ann files hold only T and E lines")
    return spans, events


def _span(path: Path, no: int, line: str, text: str) -> tuple[str, str, tuple[Fragment, ...]]:
    """One T line: its id, type and fragments, once the text at its offsets is checked."""
    if (t := _T_LINE.fullmatch(line)) is None:
        raise _error(
            path,
            no,
            "malformed span line, expected 'T<n>\\t<type> <start> <end>"
            "[;<start> <end>...]\\t<text>'",
        )
    sid, kind, offsets, recorded = t.groups()
    frags = tuple((int(a), int(b)) for a, b in (f.split(" ") for f in offsets.split(";")))
    if any(not 0 <= a < b <= len(text) for a, b in frags):
        raise _error(
            path,
            no,
            f"span {sid}: offsets {offsets} outside the text ({len(text)} characters) or empty",
        )
    found = " ".join(text[a:b] for a, b in frags)
    if found != recorded:
        raise _error(
            path,
            no,
            f"span {sid}: text at {offsets} is {found[:80]!r} "
            f"but the .ann records {recorded[:80]!r}",
        )
    return sid, kind, frags


def _roles(
    path: Path, no: int, eid: str, args: list[str], spans: _Spans
) -> dict[str, list[Fragment]]:
    """One E line's fragments pooled by role (Source, Cue, Content), each argument checked."""
    trigger_type, _, trigger = args[0].partition(":")
    if trigger_type not in _TRIGGERS or spans.get(trigger, ("", ()))[0] != trigger_type:
        raise _error(
            path,
            no,
            f"attribution {eid}: trigger {args[0]!r} is not an "
            "Attribution span defined in this file",
        )
    roles: dict[str, list[Fragment]] = {role: [] for role in _ROLES}
    for arg in args[1:]:
        if (a := _ARG.fullmatch(arg)) is None or a.group(1) not in roles:
            raise _error(path, no, f"attribution {eid}: bad argument {arg!r}")
        role, sid = a.group(1), a.group(3)
        if sid not in spans or spans[sid][0] != role:
            raise _error(path, no, f"attribution {eid}: {sid} is not a {role} span here")
        roles[role].extend(spans[sid][1])
    return roles


def _claim(text: str, roles: Mapping[str, list[Fragment]]) -> GoldClaim:
    """Map one attribution's pooled fragments to a GoldClaim (see the module docstring)."""

    def joined(frags: list[Fragment]) -> str | None:
        return " ".join(text[a:b] for a, b in sorted(frags)) if frags else None

    content = sorted(roles["Content"])
    speaker = joined(roles["Source"])
    return GoldClaim(
        statement=" ".join(text[a:b] for a, b in content),
        evidence=text[content[0][0] : max(b for _, b in content)],
        speaker=speaker,
        speaker_type=SpeakerType.PERSON if speaker else SpeakerType.AUTHOR,
        cue=joined(roles["Cue"]),
        quote_type=QuoteType.INDIRECT,
        via=[],
        speaker_aliases=[],
        required=True,
    )


def utf8(path: Path) -> str:
    """A file's text exactly as stored; not UTF-8 is one error naming the line."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        fix = "PolNeAR files are UTF-8: convert it (e.g. iconv -t UTF-8)"
        raise _error(path, line, f"not UTF-8 text (byte {data[exc.start]:#04x}); {fix}") from exc


def _error(path: Path, line: int, message: str) -> PolnearFormatError:
    """Build the error every format problem raises: file and line first, so editors jump there."""
    return PolnearFormatError(f"{path}:{line}: {message}")
