"""One table value, written three ways: a rich table (terminal), Markdown, plain text.

Commands build a `Table` from their data once; how it looks on a terminal, in a
Markdown file or in a log is the writers' business, so the same rows never get
formatted twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import rich.table

__all__ = ["Column", "Table"]


@dataclass(frozen=True)
class Column:
    name: str
    numeric: bool = False  # right-aligned


@dataclass(frozen=True)
class Table:
    columns: list[Column]
    rows: list[list[str]]
    title: str | None = None
    bold_rows: frozenset[int] = field(default_factory=frozenset)

    def to_rich(self, title_justify: str = "center") -> rich.table.Table:
        from rich.table import Table as RichTable

        table = RichTable(title=self.title, title_justify=title_justify)  # type: ignore[arg-type]
        for column in self.columns:
            table.add_column(column.name, justify="right" if column.numeric else "left")
        for index, row in enumerate(self.rows):
            table.add_row(*row, style="bold" if index in self.bold_rows else None)
        return table

    def to_markdown(self) -> str:
        """A GitHub-flavoured Markdown table (no title; `|` in cells escaped)."""
        lines = [
            "| " + " | ".join(c.name for c in self.columns) + " |",
            "|" + "|".join("---:" if c.numeric else "---" for c in self.columns) + "|",
        ]
        lines += ["| " + " | ".join(v.replace("|", "\\|") for v in row) + " |" for row in self.rows]
        return "\n".join(lines)

    def to_text(self) -> str:
        """Left-aligned columns two spaces apart, for logs and scripts reading stdout."""
        grid = [[c.name for c in self.columns], *self.rows]
        widths = [max(len(row[i]) for row in grid) for i in range(len(self.columns))]
        return "\n".join(
            "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in grid
        )
