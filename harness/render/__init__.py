"""Presentation: numbers and tables, for the terminal and for Markdown files.

One number formatter and one interval rule (`numbers.py`), one table value with its
writers (`table.py`): every command that prints metrics, and every summary file, goes
through here, so a metric reads the same wherever it is shown.
"""

from harness.render.numbers import estimate, interval, number, p_value
from harness.render.table import Column, Table

__all__ = ["Column", "Table", "estimate", "interval", "number", "p_value"]
