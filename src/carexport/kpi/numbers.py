"""KPI figures written compactly, the same in the terminal, the workbook notes and pages."""

from __future__ import annotations


def compact(value: float | None, unit: str = "", *, missing: str = "-") -> str:
    """12,345 -> 12.3k; 1,200,000 -> 1.20M; percentages with one decimal; CNY billions as
    written in the statistics (43.1 bn); None -> missing."""
    if value is None:
        return missing
    if unit in ("pct", "%"):
        return f"{value:.1f}%"
    if unit == "cny_bn":
        return f"{value:,.1f} bn"
    magnitude = abs(value)
    if magnitude >= 1e9:
        return f"{value / 1e9:.2f}bn"
    if magnitude >= 1e6:
        return f"{value / 1e6:.2f}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:.1f}k"
    return f"{value:,.0f}" if magnitude >= 100 or value == int(value) else f"{value:.2f}"
