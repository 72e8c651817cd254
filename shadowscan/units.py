"""Numbers as every report writes them: bytes in SI units, percentages, monthly amounts."""

from __future__ import annotations


def human_bytes(value: int | None) -> str:
    if value is None:
        return "n/a"
    size = float(value)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def amount(value: float | None, currency: str | None) -> str:
    """A monthly amount as text: whole numbers without decimals, the currency after it."""
    if value is None:
        return "-"
    text = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    return f"{text} {currency}" if currency else text
