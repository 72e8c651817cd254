"""Rich tables that fit a terminal: drop the least useful columns, never cut a word."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

#: Columns a narrow terminal drops first, in this order; the others always stay.
DROP_FIRST = (
    "Bought",
    "Training",
    "HQ",
    "Seat price",
    "Days",
    "Category",
    "Events",
    "Uploaded",
    "Not used %",
    "Plan",
    "Active",
    "Department",
    "Shadow %",
    "Sanctioned",
    "Last seen",
    "Holders",
    "Coverage %",
    "People",
)


def titled_table(title: str, columns: str) -> Table:
    """A titled table; a column name ending in `>` is right-aligned (numbers)."""
    table = Table(title=title, title_justify="left")
    for name in columns.split(","):
        table.add_column(
            name.rstrip(">"), justify="right" if name.endswith(">") else "left", overflow="fold"
        )
    return table


def fitted_table(
    title: str, columns: list[str], rows: list[list], drop: set[str], width: int | None = None
) -> Table:
    """A table without the columns in `drop` (ones this report has nothing to say in).

    Within `width`, columns of `DROP_FIRST` go, in its order, until every
    column fits its longest word; the columns are then narrowed between words
    only, so a service name or a date is never cut in half.
    """
    texts = [[r[i] if isinstance(r[i], Text) else Text(str(r[i])) for i in range(len(columns))]
             for r in rows]  # fmt: skip
    keep = [i for i, c in enumerate(columns) if c.rstrip(">") not in drop]
    spans = {i: _span(columns[i].rstrip(">"), [r[i].plain for r in texts]) for i in keep}
    for name in DROP_FIRST:
        if width is None or _total([spans[i][0] for i in keep]) <= width:
            break
        keep = [i for i in keep if columns[i].rstrip(">") != name]
    table = titled_table(title, ",".join(columns[i] for i in keep))
    if width is not None:
        for column, fixed in zip(table.columns, _fit([spans[i] for i in keep], width), strict=True):
            column.width = fixed
    for row in texts:
        table.add_row(*(row[i] for i in keep))
    return table


def _span(header: str, cells: list[str]) -> tuple[int, int]:
    """A column's narrowest width (its longest word) and its natural one (its longest line)."""
    texts = [header, *cells]
    words = max(len(word) for text in texts for word in [*text.split(), ""])
    return words, max(len(text) for text in texts)


def _fit(spans: list[tuple[int, int]], width: int) -> list[int | None]:
    """Column widths within `width`: the widest columns give way first, never below a word."""
    widths = [natural for _, natural in spans]
    while _total(widths) > width:
        slack = [w - low for w, (low, _) in zip(widths, spans, strict=True)]
        if max(slack) <= 0:
            break
        widest = max(range(len(widths)), key=lambda i: (slack[i] > 0, widths[i]))
        widths[widest] -= 1
    return [None if w == natural else w for w, (_, natural) in zip(widths, spans, strict=True)]


def _total(widths: list[int]) -> int:
    """A table's width: cells padded by a space a side, a border before each and at the end."""
    return sum(widths) + 3 * len(widths) + 1
