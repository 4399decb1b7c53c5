"""Inline SVG charts drawn in Python: no JavaScript, no network, every label escaped.

The functions return SVG markup as `markupsafe.Markup`; every piece of text placed in it
goes through `html.escape` first, because run names and metric names come from files.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

__all__ = ["PALETTE", "Interval", "ci_chart", "delta_chart", "heat_style", "history_chart"]

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


@dataclass(frozen=True)
class Interval:
    label: str
    color: str
    value: float | None
    low: float | None
    high: float | None
    note: str = ""


def _fmt(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "n/a"
    return f"{x:+.3f}" if signed else f"{x:.3f}"


def _axis(
    x0: float,
    width: float,
    lo: float,
    hi: float,
    ticks: Sequence[float],
    top: float,
    bottom: float,
    signed: bool,
) -> list[str]:
    out = []
    for t in ticks:
        x = x0 + (t - lo) / (hi - lo) * width
        stroke = "#444" if t == 0 and signed else "#ddd"
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="{stroke}"/>')
        label = f"{t:+.2f}" if signed and t else f"{t:.2f}"
        out.append(
            f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" fill="#555">{label}</text>'
        )
    return out


def _whisker(x_of: Callable[[float], float], item: Interval, y: float, signed: bool) -> list[str]:
    color = escape(item.color, quote=True)
    title = escape(
        f"{item.label}: {_fmt(item.value, signed)} "
        f"[{_fmt(item.low, signed)}, {_fmt(item.high, signed)}] {item.note}".strip()
    )
    out = [f"<g><title>{title}</title>"]
    if item.low is not None and item.high is not None:
        x1, x2 = x_of(item.low), x_of(item.high)
        out.append(
            f'<line x1="{x1:.1f}" y1="{y}" x2="{x2:.1f}" y2="{y}" stroke="{color}" '
            f'stroke-width="2"/>'
            f'<line x1="{x1:.1f}" y1="{y - 4}" x2="{x1:.1f}" y2="{y + 4}" stroke="{color}"/>'
            f'<line x1="{x2:.1f}" y1="{y - 4}" x2="{x2:.1f}" y2="{y + 4}" stroke="{color}"/>'
        )
    if item.value is not None:
        out.append(f'<circle cx="{x_of(item.value):.1f}" cy="{y}" r="4.5" fill="{color}"/>')
    out.append("</g>")
    return out


def ci_chart(rows: Sequence[tuple[str, Sequence[Interval]]]) -> Markup:
    """Dot-and-whisker chart on [0, 1]: one row per metric, one dot per run."""
    per_row = max((len(items) for _, items in rows), default=1)
    row_h = 14 * per_row + 16
    left, width, right = 170, 420, 230
    height = row_h * len(rows) + 34
    top, bottom = 8, height - 26

    def x_of(v: float) -> float:
        return left + min(max(v, 0.0), 1.0) * width

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{left + width + right}" '
        f'height="{height}" role="img" {_FONT}>'
    ]
    parts += _axis(left, width, 0.0, 1.0, [0, 0.25, 0.5, 0.75, 1.0], top, bottom, False)
    for r, (name, items) in enumerate(rows):
        y0 = top + r * row_h + 12
        parts.append(
            f'<text x="{left - 10}" y="{y0 + 4}" text-anchor="end" font-weight="600">'
            f"{escape(name)}</text>"
        )
        for k, item in enumerate(items):
            y = y0 + k * 14
            parts += _whisker(x_of, item, y, False)
            text = f"{item.label} {_fmt(item.value)} [{_fmt(item.low)}, {_fmt(item.high)}]"
            fill = escape(item.color, quote=True)
            parts.append(
                f'<text x="{left + width + 12}" y="{y + 4}" fill="{fill}">{escape(text)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def delta_chart(rows: Sequence[Interval]) -> Markup:
    """Deltas B - A with their intervals around a zero line; colour says significant."""
    span = max([abs(v) for r in rows for v in (r.value, r.low, r.high) if v is not None] + [0.05])
    bound = math.ceil(span * 10) / 10
    left, width, right, row_h = 170, 420, 250, 22
    height = row_h * len(rows) + 34
    top, bottom = 8, height - 26

    def x_of(v: float) -> float:
        return left + (v + bound) / (2 * bound) * width

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{left + width + right}" '
        f'height="{height}" role="img" {_FONT}>'
    ]
    ticks = [-bound, -bound / 2, 0.0, bound / 2, bound]
    parts += _axis(left, width, -bound, bound, ticks, top, bottom, True)
    for r, item in enumerate(rows):
        y = top + r * row_h + 12
        parts.append(
            f'<text x="{left - 10}" y="{y + 4}" text-anchor="end" font-weight="600">'
            f"{escape(item.label)}</text>"
        )
        parts += _whisker(x_of, item, y, True)
        text = f"{_fmt(item.value, True)} [{_fmt(item.low, True)}, {_fmt(item.high, True)}]"
        parts.append(
            f'<text x="{left + width + 12}" y="{y + 4}" fill="{escape(item.color, quote=True)}">'
            f"{escape(text + ' ' + item.note)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def heat_style(value: float | None) -> str:
    """Inline CSS for a heatmap cell: red (0) -> yellow (0.5) -> green (1); grey if undefined."""
    if value is None:
        return "background:#eee;color:#888"
    v = min(max(value, 0.0), 1.0)
    hue = int(120 * v)
    return f"background:hsl({hue},70%,{78 if 0.2 < v < 0.8 else 72}%)"


def history_chart(name: str, points: Sequence[Interval]) -> Markup:
    """One metric over time: a dot and vertical whisker per run, oldest on the left."""
    left, top, plot_h, step = 48, 10, 160, 34
    width = left + step * max(len(points), 1) + 20
    bottom = top + plot_h

    def y_of(v: float) -> float:
        return bottom - min(max(v, 0.0), 1.0) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{bottom + 40}" role="img" {_FONT}><title>{escape(name)}</title>'
    ]
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = y_of(t)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{t:.2f}</text>'
        )
    line = []
    for k, item in enumerate(points):
        x = left + step * k + step / 2
        color = escape(item.color, quote=True)
        title = escape(f"{item.label}: {_fmt(item.value)} [{_fmt(item.low)}, {_fmt(item.high)}]")
        parts.append(f"<g><title>{title}</title>")
        if item.low is not None and item.high is not None:
            parts.append(
                f'<line x1="{x:.1f}" y1="{y_of(item.low):.1f}" x2="{x:.1f}" '
                f'y2="{y_of(item.high):.1f}" stroke="{color}" stroke-width="2"/>'
            )
        if item.value is not None:
            line.append(f"{x:.1f},{y_of(item.value):.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y_of(item.value):.1f}" r="4" fill="{color}"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" fill="#555">{k + 1}</text>'
            "</g>"
        )
    if len(line) > 1:
        parts.insert(1, f'<polyline points="{" ".join(line)}" fill="none" stroke="#8c959f"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
