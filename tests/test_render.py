"""Issue 17: one number formatter, one interval rule, one table value with its writers."""

from __future__ import annotations

from harness.render import Column, Table, estimate, interval, number, p_value
from harness.scoring.metrics import MetricValue


def test_numbers_and_the_interval_rule() -> None:
    assert number(None) == "-" and number(None, missing="n/a") == "n/a"
    assert number(0.5) == "0.500" and number(0.05, 4, signed=True) == "+0.0500"
    assert interval(0.0, 1.0) == "[0.000, 1.000]"  # the estimate's decimals on both sides
    assert interval(-0.01234, None, 4, signed=True) == "[-0.0123, -]"
    assert estimate(MetricValue(value=0.57, ci_low=0.0, ci_high=1.0)) == "0.570 [0.000, 1.000]"
    assert estimate(MetricValue(value=0.5, ci_low=None, ci_high=None)) == "0.500"
    assert estimate(MetricValue(value=None, ci_low=None, ci_high=None)) == "-"
    assert estimate(None) == "-" and p_value(0.000123456) == "0.0001235" and p_value(None) == "-"


TABLE = Table(
    [Column("cell"), Column("claim_f1", numeric=True)],
    [["a|b", "0.500"], ["c", "1.000"]],
    title="t",
    bold_rows=frozenset({1}),
)


def test_one_table_three_writers() -> None:
    assert (
        TABLE.to_markdown() == "| cell | claim_f1 |\n|---|---:|\n| a\\|b | 0.500 |\n| c | 1.000 |"
    )
    assert TABLE.to_text().splitlines() == ["cell  claim_f1", "a|b   0.500", "c     1.000"]
    rich = TABLE.to_rich()
    assert rich.title == "t" and [c.justify for c in rich.columns] == ["left", "right"]
    assert rich.rows[1].style == "bold" and rich.rows[0].style is None
