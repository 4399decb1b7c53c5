"""Issue 17: one number formatter, one interval rule, one table value with its writers."""

from __future__ import annotations

from harness.endpoints.settings import SamplingParams
from harness.render import Column, Table, estimate, interval, number, p_value
from harness.render.summaries import sweep_pivot
from harness.runs import SummaryCell, SweepSummary
from harness.scoring.metrics import MetricValue
from harness.sweep import Cell, cell_labels


def test_numbers_and_the_interval_rule() -> None:
    assert number(None) == "-" and number(None, missing="n/a") == "n/a"
    assert number(0.5) == "0.500" and number(0.05, 4, signed=True) == "+0.0500"
    assert interval(0.0, 1.0) == "[0.000, 1.000]"  # the estimate's decimals on both sides
    assert interval(-0.01234, None, 4, signed=True) == "[-0.0123, -]"
    assert estimate(MetricValue(value=0.57, ci_low=0.0, ci_high=1.0)) == "0.570 [0.000, 1.000]"
    assert estimate(MetricValue(value=0.5, ci_low=None, ci_high=None)) == "0.500"
    assert estimate(MetricValue(value=None, ci_low=None, ci_high=None)) == "-"
    assert estimate(None) == "-" and p_value(None) == "-"
    assert p_value(0.000123456) == "0.0001" and p_value(0.5) == "0.5000"
    assert p_value(0.00001) == "<0.0001" and p_value(0.0004, 3) == "<0.001"


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


def _cell(cell_id: str, prompt: str, endpoint: str, temperature: float, repeat: int) -> Cell:
    return Cell(cell_id, prompt, endpoint, SamplingParams(temperature=temperature), repeat)


def test_cell_labels_name_only_what_differs() -> None:
    cells = [
        _cell("x1", "extract@v1", "gpt", 0.0, 0),
        _cell("x2", "extract@v1", "gpt", 0.7, 0),
        _cell("x3", "extract@v1", "gpt", 0.7, 1),
    ]
    assert cell_labels(cells) == {
        "x1": "temperature=0.0 / r0",
        "x2": "temperature=0.7 / r0",
        "x3": "temperature=0.7 / r1",
    }
    assert cell_labels(cells[:1]) == {"x1": "extract@v1 / gpt"}  # never empty


def _summary_cell(prompt: str, endpoint: str, value: float | None, repeat: int) -> SummaryCell:
    metric = MetricValue(value=value, ci_low=None if value is None else value - 0.1,
                         ci_high=None if value is None else value + 0.1)  # fmt: skip
    return SummaryCell(
        id=f"{prompt}-{endpoint}-{repeat}", label="", prompt=prompt, endpoint=endpoint,
        model=f"m-{endpoint}", params={"temperature": 0.0}, repeat=repeat, folder="cells/x",
        status="completed", n_docs=3, metrics={"claim_f1": metric}, failures={}, error=None,
    )  # fmt: skip


def test_pivot_is_prompt_by_model_with_intervals_and_repeats_pooled() -> None:
    summary = SweepSummary(
        name="s",
        metrics=["claim_f1"],
        cells=[
            _summary_cell("p@v1", "a", 0.5, 0),
            _summary_cell("p@v1", "b", 0.25, 0),
            _summary_cell("p@v1", "b", 0.75, 1),
            _summary_cell("p@v2", "a", None, 0),
        ],
    )
    table = sweep_pivot(summary, "claim_f1")
    assert [c.name for c in table.columns] == ["prompt", "a (m-a)", "b (m-b)"]
    assert table.rows == [
        ["p@v1", "0.500 [0.400, 0.600]", "0.500 (2x, range [0.250, 0.750])"],
        ["p@v2", "-", ""],  # undefined metric vs a cell the sweep did not have
    ]
