"""A trade-office Excel workbook from polars frames, whatever they come from: an About sheet,
then one sheet per frame with a title, notes, frozen filtered header, formats and native chart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from carexport.errors import CarexportError

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
# 'pct' is for values already multiplied by 100 (12.5 means 12.5 %): the literal "%" suffix
# shows them as such, where Excel's 0.0% would multiply by 100 again. 'ratio' is 0.125 -> 12.5 %.
NUMBER_FORMATS = {
    "int": "#,##0",
    "money": "#,##0.00",
    "pct": '0.0"%"',
    "ratio": "0.0%",
    "date": "yyyy-mm-dd",
    "text": "@",
}
LARGE_MONEY_FORMAT = "#,##0"  # from LARGE_MONEY on, cents are noise on a trade-office sheet
LARGE_MONEY = 100_000
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
FLOAT_FORMAT = "#,##0.00"
MAX_COLUMN_WIDTH = 50
_FORBIDDEN_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Chart:
    """A native Excel chart of some columns against a category column.

    `secondary` columns are drawn as lines on a right-hand axis (e.g. growth % over volumes).
    """

    kind: Literal["column", "line", "bar"]
    category: str
    values: tuple[str, ...]
    title: str
    y_title: str = ""
    secondary: tuple[str, ...] = ()


# eq=False: dataclass equality would compare DataFrames, which is ambiguous in polars.
@dataclass(frozen=True, eq=False)
class Sheet:
    """One worksheet. `formats` maps a column to 'int', 'money', 'pct' (value already in
    percent: 12.5 shows as 12.5%), 'ratio' (0.125 shows as 12.5%), 'date' or 'text'; other
    columns get a format from their dtype."""

    name: str
    title: str
    frame: pl.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    chart: Chart | None = None
    notes: tuple[str, ...] = ()


def write_report(path: Path, sheets: Sequence[Sheet], *, title: str, about: str) -> Path:
    """Write the workbook to `path` (must end in .xlsx) and return the path."""
    if path.suffix.lower() != ".xlsx":
        raise CarexportError(
            f"{path}: a report must be an .xlsx file", hint="name it e.g. kpi.xlsx"
        )
    for sheet in sheets:  # check everything first, so a bad sheet leaves no half-written file
        _check(sheet)
    names = _sheet_names([sheet.name for sheet in sheets])

    import xlsxwriter  # here, not at import time: the CLI must start without it

    options = {
        # A text cell starting with '=' or 'http' must stay text, not become a formula or link.
        "strings_to_formulas": False,
        "strings_to_urls": False,
        # NaN is shown blank (filled below); an infinity from a division by zero shows #DIV/0!.
        "nan_inf_to_errors": True,
        # Excel has no time zones: datetimes show the wall time of the frame's own zone.
        "remove_timezone": True,
        # Rows go to disk as written: a frame near Excel's row limit must not need GBs of RAM.
        "constant_memory": True,
    }
    try:
        # Opened here, before xlsxwriter makes its temporary files: a missing folder or a file
        # that Excel holds open fails cleanly instead of at close() with those files leaked.
        handle = path.open("wb")
    except OSError as error:
        raise CarexportError(
            f"cannot write {path}: {error.strerror}",
            hint="check that the folder exists and close the file if it is open in Excel",
        ) from None
    with handle:
        workbook = xlsxwriter.Workbook(handle, options)
        workbook.set_properties({"title": title, "comments": about})
        styles = {
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "note": workbook.add_format({"italic": True, "font_color": "#595959"}),
            "header": workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#DDEBF7"}),
        }
        _write_about(workbook.add_worksheet("About"), title, about, names, sheets, styles)
        for name, sheet in zip(names, sheets, strict=True):
            _write_sheet(workbook, name, sheet, styles)
        workbook.close()
    return path


def _write_about(
    worksheet: Any,
    title: str,
    about: str,
    names: Sequence[str],
    sheets: Sequence[Sheet],
    styles: dict[str, Any],
) -> None:
    worksheet.write(0, 0, title, styles["title"])
    lines = about.splitlines()
    for row, line in enumerate(lines, start=1):
        worksheet.write(row, 0, line)
    header_row = len(lines) + 2
    worksheet.write_row(header_row, 0, ["sheet", "title", "rows"], styles["header"])
    for row, (name, sheet) in enumerate(zip(names, sheets, strict=True), start=header_row + 1):
        quoted = name.replace("'", "''")  # Excel's escape inside a quoted sheet name
        worksheet.write_url(row, 0, f"internal:'{quoted}'!A1", string=name)
        worksheet.write(row, 1, sheet.title)
        worksheet.write_number(row, 2, sheet.frame.height)
    worksheet.set_column(0, 0, max([12, *(len(name) + 2 for name in names)]))
    worksheet.set_column(1, 1, min(MAX_COLUMN_WIDTH, max([12, *(len(s.title) for s in sheets)])))


def _check(sheet: Sheet) -> None:
    frame, where = sheet.frame, f"sheet {sheet.name!r}"
    header_row = _header_row(sheet)
    if header_row + 1 + frame.height > EXCEL_MAX_ROWS or frame.width > EXCEL_MAX_COLUMNS:
        raise CarexportError(
            f"{where}: {frame.height:,} rows x {frame.width:,} columns do not fit in Excel "
            f"({EXCEL_MAX_ROWS:,} rows incl. {header_row + 1} title and header rows, "
            f"{EXCEL_MAX_COLUMNS:,} columns)",
            hint="group it further (e.g. by month or market) or export the rows as CSV",
        )
    for column, kind in sheet.formats.items():
        if column not in frame.columns or kind not in NUMBER_FORMATS:
            raise CarexportError(
                f"{where}: cannot format column {column!r} as {kind!r}",
                hint=f"columns are {', '.join(frame.columns)}; formats {', '.join(NUMBER_FORMATS)}",
            )
    nested = [column for column, dtype in frame.schema.items() if dtype.is_nested()]
    if nested:  # Excel cells hold one value; a list or struct has no faithful rendering
        raise CarexportError(f"{where}: {', '.join(nested)} hold lists or structs", "flatten them")
    chart = sheet.chart
    if chart is None:
        return
    if chart.kind == "bar" and chart.secondary:
        # Excel cannot put a vertical line over horizontal bars on a shared category axis.
        raise CarexportError(f"{where}: a bar chart cannot have a secondary line", "use 'column'")
    if not chart.values and not chart.secondary:
        raise CarexportError(f"{where}: the chart has no value columns")
    for column in (chart.category, *chart.values, *chart.secondary):
        numeric = column == chart.category or frame.schema.get(column, pl.Null).is_numeric()
        if column not in frame.columns or not numeric:
            raise CarexportError(
                f"{where}: the chart needs column {column!r}"
                + ("" if column == chart.category else " with numbers"),
                hint=f"the frame has {', '.join(f'{c} ({t})' for c, t in frame.schema.items())}",
            )


def _notes(sheet: Sheet) -> tuple[str, ...]:
    return sheet.notes + (("no data",) if sheet.frame.height == 0 else ())


def _header_row(sheet: Sheet) -> int:
    # Row 0 title, then the notes, a blank row, the header.
    return len(_notes(sheet)) + 2


def _sheet_names(wanted: Sequence[str]) -> list[str]:
    """Excel's rules: at most 31 characters, none of []:*?/\\, no leading or trailing
    apostrophe, 'History' reserved, unique ignoring case ('About' is ours)."""
    taken = {"about"}
    names = []
    for raw in wanted:
        base = _FORBIDDEN_IN_SHEET_NAME.sub("-", raw)[:31].strip().strip("'") or "Sheet"
        if base.lower() == "history":
            base = "History (1)"
        name, number = base, 2
        while name.lower() in taken:
            suffix = f" ({number})"
            name, number = base[: 31 - len(suffix)] + suffix, number + 1
        taken.add(name.lower())
        names.append(name)
    return names


def _number_format(sheet: Sheet, column: str) -> str | None:
    series = sheet.frame.get_column(column)
    kind = sheet.formats.get(column)
    if kind == "money" and series.dtype.is_numeric():
        largest = series.abs().max()
        if isinstance(largest, int | float) and largest >= LARGE_MONEY:
            return LARGE_MONEY_FORMAT
    if kind is not None:
        return NUMBER_FORMATS[kind]
    if series.dtype.is_integer():
        return NUMBER_FORMATS["int"]
    if series.dtype.is_float():
        return FLOAT_FORMAT
    if series.dtype == pl.Date:
        return NUMBER_FORMATS["date"]
    if isinstance(series.dtype, pl.Datetime):
        return DATETIME_FORMAT
    return None


def _width(series: pl.Series, number_format: str | None) -> int:
    """Characters the widest value takes as shown; dates by their format, numbers by their
    largest magnitude with thousands separators, anything else by its text."""
    if series.dtype.is_temporal() and number_format:
        content = len(number_format)
    elif series.dtype.is_numeric():
        largest = series.abs().max()
        content = len(f"-{largest:,.2f}") if isinstance(largest, int | float) else 0
    else:
        longest = series.cast(pl.String, strict=False).str.len_chars().max()
        content = longest if isinstance(longest, int) else 0
    return min(MAX_COLUMN_WIDTH, max(len(series.name) + 3, content + 2, 6))  # +3: filter arrow


def _write_sheet(workbook: Any, name: str, sheet: Sheet, styles: dict[str, Any]) -> None:
    frame = sheet.frame.with_columns(pl.col(pl.Float32, pl.Float64).fill_nan(None))
    worksheet = workbook.add_worksheet(name)
    worksheet.write(0, 0, sheet.title, styles["title"])
    for offset, note in enumerate(_notes(sheet), start=1):
        worksheet.write(offset, 0, note, styles["note"])
    header_row = _header_row(sheet)
    cell_formats = []
    for index, column in enumerate(frame.columns):
        number_format = _number_format(sheet, column)
        cell_format = workbook.add_format({"num_format": number_format}) if number_format else None
        cell_formats.append(cell_format)
        worksheet.set_column(index, index, _width(frame.get_column(column), number_format))
    worksheet.write_row(header_row, 0, frame.columns, styles["header"])
    # Cell by cell with the column's format: xlsxwriter would give a date without a format
    # its own default instead of the column's.
    for row_index, values in enumerate(frame.iter_rows(), start=header_row + 1):
        for column_index, value in enumerate(values):
            worksheet.write(row_index, column_index, value, cell_formats[column_index])
    if frame.width:
        worksheet.freeze_panes(header_row + 1, 1)
        worksheet.autofilter(header_row, 0, header_row + frame.height, frame.width - 1)
    if sheet.chart is not None and frame.height:
        chart = _chart(workbook, name, sheet.chart, frame, header_row)
        worksheet.insert_chart(header_row, frame.width + 1, chart, {"x_scale": 1.5, "y_scale": 1.4})


def _chart(workbook: Any, name: str, spec: Chart, frame: pl.DataFrame, header_row: int) -> Any:
    first, last = header_row + 1, header_row + frame.height
    category = frame.columns.index(spec.category)

    def series(column: str, **extra: Any) -> dict[str, Any]:
        index = frame.columns.index(column)
        return {
            "name": [name, header_row, index],
            "categories": [name, first, category, last, category],
            "values": [name, first, index, last, index],
            **extra,
        }

    chart = workbook.add_chart({"type": spec.kind})
    for column in spec.values:
        chart.add_series(series(column))
    if spec.secondary:
        # A line on a column chart needs a combined line chart; a line chart takes it as is.
        line = chart if spec.kind == "line" else workbook.add_chart({"type": "line"})
        for column in spec.secondary:
            line.add_series(series(column, y2_axis=True, marker={"type": "circle"}))
        line.set_y2_axis({"name": ", ".join(spec.secondary)})
        if line is not chart:
            chart.combine(line)
    chart.set_title({"name": spec.title})
    axes = [{"name": spec.category}, {"name": spec.y_title or ", ".join(spec.values)}]
    if spec.kind == "bar":  # xlsxwriter's x axis of a bar chart is its horizontal value axis
        axes.reverse()
    chart.set_x_axis(axes[0])
    chart.set_y_axis(axes[1])
    chart.set_legend({"position": "bottom"})
    return chart
