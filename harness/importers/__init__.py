"""Importers that turn external corpora into harness documents and gold, read at run time."""

from harness.importers.polnear import (
    LICENCE,
    AnnotatorRule,
    ImportSummary,
    PolnearAnnotation,
    PolnearCorpus,
    PolnearFormatError,
    read_polnear,
    write_polnear,
)

__all__ = [
    "LICENCE",
    "AnnotatorRule",
    "ImportSummary",
    "PolnearAnnotation",
    "PolnearCorpus",
    "PolnearFormatError",
    "read_polnear",
    "write_polnear",
]
