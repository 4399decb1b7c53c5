"""`harness report`: one self-contained HTML file comparing runs (issues #7, #19).

No network. Readable without JavaScript: inline CSS, SVG charts drawn in Python, every
text from a document or a model autoescaped by Jinja2 (or `html.escape` inside the SVG).
One small inline script, allowed by its sha256 in the page's CSP, explores the data
Python embedded as escaped JSON: sorting, filters, search, paging, runs side by side.
"""

from harness.report.data import Price, RunData, load_prices, load_run
from harness.report.highlight import TextMap, locate
from harness.report.history import build_history, find_runs, write_history
from harness.report.render import (
    ReportOptions,
    build_report,
    size_warning,
    write_report,
)

__all__ = [
    "Price",
    "ReportOptions",
    "RunData",
    "TextMap",
    "build_history",
    "build_report",
    "find_runs",
    "load_prices",
    "load_run",
    "locate",
    "size_warning",
    "write_history",
    "write_report",
]
