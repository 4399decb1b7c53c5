"""`harness report`: one self-contained HTML file comparing runs (issue #7).

No network, no JavaScript: inline CSS, SVG charts drawn in Python, every text from a
document or a model autoescaped by Jinja2 (or `html.escape` inside the SVG).
"""

from harness.report.data import Price, RunData, load_prices, load_run
from harness.report.highlight import TextMap, locate
from harness.report.render import ReportOptions, build_report, write_report

__all__ = [
    "Price",
    "ReportOptions",
    "RunData",
    "TextMap",
    "build_report",
    "load_prices",
    "load_run",
    "locate",
    "write_report",
]
