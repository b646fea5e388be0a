"""Read order and vehicle files (CSV, XLSX, JSON) into string tables with canonical columns.

Every cell arrives as text (or null) so that the checks can report the value exactly as
the user typed it; a `_row` column holds the row number as the user sees it (a
spreadsheet's row number for CSV and XLSX, the item's position for JSON).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from carexport.errors import Problem

ROW = "_row"


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False


ORDER_COLUMNS = (
    ColumnSpec(
        "order_id",
        ("order", "order_no", "order_number", "po", "po_number", "sales_order"),
        required=True,
    ),
    ColumnSpec("brand", ("make",), required=True),
    ColumnSpec("model", ("vehicle_model", "model_name"), required=True),
    ColumnSpec("variant", ("variant_id", "trim", "version", "spec")),
    ColumnSpec("drive_side", ("steering", "lhd_rhd", "hand_drive", "drive")),
    ColumnSpec("powertrain", ("fuel", "fuel_type", "energy", "propulsion")),
    ColumnSpec("quantity", ("qty", "units", "vehicles", "count", "volume"), required=True),
    ColumnSpec("origin", ("origin_plant", "plant", "factory", "origin_node"), required=True),
    ColumnSpec("destination_country", ("country", "market", "dest_country", "destination_market")),
    ColumnSpec(
        "destination_node", ("destination_port", "port", "pod", "destination", "discharge_port")
    ),
    ColumnSpec("dealer", ("dealer_id", "store", "store_id")),
    ColumnSpec(
        "ready_date",
        ("ready", "available_date", "ex_factory_date", "production_date"),
        required=True,
    ),
    ColumnSpec(
        "due_date", ("due", "delivery_date", "required_date", "rdd", "required_by"), required=True
    ),
    ColumnSpec(
        "unit_value_usd", ("unit_price_usd", "unit_value", "price_usd", "fob_usd", "unit_price")
    ),
    ColumnSpec("priority", ("prio",)),
)

VEHICLE_COLUMNS = (
    ColumnSpec("vin", ("vin_number", "vin_no", "chassis", "chassis_no", "frame_no"), required=True),
    ColumnSpec("order_id", ("order", "order_no", "order_number", "po", "po_number"), required=True),
    ColumnSpec("soc_pct", ("soc", "state_of_charge", "battery_soc", "soc_percent")),
)


@dataclass
class RawTable:
    """A file's rows as text, with canonical column names and the problems of reading it."""

    file: str
    frame: pl.DataFrame
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


def _normalise(header: str) -> str:
    text = header.strip().lower()
    text = re.sub(r"\(.*?\)", "", text)  # "Qty (units)" -> "qty"
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    return text


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def read_table(
    path: Path,
    spec: tuple[ColumnSpec, ...],
    *,
    sheet: str | None = None,
    allow_extra_columns: bool = False,
    table: str = "orders",
) -> RawTable:
    """Read a CSV, XLSX or JSON file into a RawTable; never raises for bad content."""
    name = path.name
    empty = RawTable(name, pl.DataFrame())
    if not path.exists():
        empty.problems.append(
            Problem(name, None, None, None, "file not found", hint="check the path")
        )
        return empty
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            frame, first_row, problems = _read_xlsx(path, sheet, table)
        elif suffix in (".json", ".jsonl"):
            frame, first_row, problems = _read_json(path, table)
        else:
            frame, first_row, problems = _read_csv(path)
    except _Unreadable as exc:
        empty.problems.append(Problem(name, exc.row, None, None, exc.message, hint=exc.hint))
        return empty
    result = RawTable(name, frame, problems)
    _canonicalise(result, spec, first_row, allow_extra_columns, positional=suffix != ".json")
    return result


class _Unreadable(Exception):
    def __init__(self, message: str, hint: str, row: int | None = None) -> None:
        super().__init__(message)
        self.message, self.hint, self.row = message, hint, row


def _read_csv(path: Path) -> tuple[pl.DataFrame, int, list[Problem]]:
    data = path.read_bytes()
    if not data.strip():
        raise _Unreadable("file is empty", "the first line must be the header row")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _Unreadable(
            f"file is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line})",
            "save it as 'CSV UTF-8' (Excel: Save As > CSV UTF-8)",
            row=line,
        ) from None
    # Leading '#' lines are comments (a generated file says it is synthetic there).
    comment_lines = 0
    for line_bytes in data.splitlines():
        if not line_bytes.startswith(b"#"):
            break
        comment_lines += 1
    try:
        frame = pl.read_csv(
            data,
            infer_schema=False,
            skip_rows=comment_lines,
            truncate_ragged_lines=False,
            raise_if_empty=True,
        )
    except pl.exceptions.NoDataError:
        raise _Unreadable(
            "file has no header row", "the first line must be the header row"
        ) from None
    except pl.exceptions.ComputeError as exc:
        ragged = _ragged_row(data.decode("utf-8"), comment_lines)
        if ragged is not None:
            row, cells, expected = ragged
            raise _Unreadable(
                f"row has {cells} cells but the header has {expected}",
                "remove the extra cells, or quote values that contain commas",
                row=row,
            ) from None
        raise _Unreadable(
            f"cannot parse the CSV: {str(exc).splitlines()[0]}",
            "check quoting and that every row has as many cells as the header",
        ) from None
    return frame, comment_lines + 2, []


def _ragged_row(text: str, comment_lines: int) -> tuple[int, int, int] | None:
    """The first row (as a spreadsheet numbers it) with more cells than the header."""
    import csv
    import io

    reader = csv.reader(io.StringIO(text))
    for _ in range(comment_lines):
        next(reader, None)
    header = next(reader, [])
    for index, cells in enumerate(reader):
        if len(cells) > len(header):
            return comment_lines + 2 + index, len(cells), len(header)
    return None


def _read_xlsx(
    path: Path, sheet: str | None, preferred: str
) -> tuple[pl.DataFrame, int, list[Problem]]:
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own error types for broken files
        raise _Unreadable(
            f"cannot open as an Excel workbook: {_without_paths(exc, path)}",
            "save the file as .xlsx from Excel or LibreOffice",
        ) from None
    names = reader.sheet_names
    if sheet is not None and sheet not in names:
        raise _Unreadable(f"no sheet named {sheet!r}", f"use one of: {', '.join(names)}")
    # Without --sheet: a sheet named after the table ("orders", "vehicles") if there is one,
    # so one workbook can hold both; else the first sheet.
    named = next((n for n in names if n.strip().lower() == preferred), None)
    target: str | int = sheet if sheet is not None else (named if named is not None else 0)
    try:
        frame = reader.load_sheet(target, dtypes="string").to_polars()
    except Exception as exc:
        raise _Unreadable(
            f"cannot read sheet {target!r}: {_without_paths(exc, path)}",
            "check the sheet has a header row",
        ) from None
    # Excel date cells arrive as 'YYYY-MM-DD 00:00:00'; the date checks accept that form.
    return frame, 2, []


def _without_paths(error: Exception, path: Path) -> str:
    """A reader's message without the server's file system paths (uploads are saved to a
    temporary folder): the file is named as the user named it."""
    text = str(error).replace(str(path), path.name)
    return re.sub(r"(?:[A-Za-z]:)?(?:[\\/][\w.\-]+){2,}", "<path>", text)


def _read_json(path: Path, key: str) -> tuple[pl.DataFrame, int, list[Problem]]:
    text = path.read_bytes()
    if not text.strip():
        raise _Unreadable("file is empty", f"write a JSON list of objects or {{{key!r}: [...]}}")
    try:
        if path.suffix.lower() == ".jsonl":
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            items = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _Unreadable(f"not valid JSON: {exc}", "check the file is UTF-8 JSON") from None
    if isinstance(items, dict):
        items = items.get(key)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise _Unreadable(
            f"expected a list of objects (or an object with a {key!r} list)",
            'write [{"order_id": ...}, ...]',
        )
    return records_frame(items), 1, []


def read_records(
    name: str,
    items: list[dict[str, Any]],
    spec: tuple[ColumnSpec, ...],
    *,
    allow_extra_columns: bool = False,
) -> RawTable:
    """A RawTable from JSON-like records (an API batch); rows are the items' positions."""
    table = RawTable(name, records_frame(items))
    _canonicalise(table, spec, 1, allow_extra_columns, positional=False)
    return table


def records_frame(items: list[dict[str, Any]]) -> pl.DataFrame:
    """A string frame from JSON-like records (the API uses this too)."""
    columns: dict[str, None] = {}
    for item in items:
        columns.update(dict.fromkeys(item))
    data = {c: [None if item.get(c) is None else str(item[c]) for item in items] for c in columns}
    return pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String))


def _canonicalise(
    table: RawTable,
    spec: tuple[ColumnSpec, ...],
    first_row: int,
    allow_extra: bool,
    *,
    positional: bool,
) -> None:
    # The header is the row above the first data row; JSON has no header row.
    header_row = first_row - 1 if positional else None
    lookup: dict[str, str] = {}
    for column in spec:
        for alias in (column.name, *column.aliases):
            lookup[_normalise(alias)] = column.name
    renames: dict[str, str] = {}
    seen: dict[str, str] = {}
    for index, header in enumerate(table.frame.columns):
        where = f"column {_column_letter(index)}" if positional else f"field {header!r}"
        if header.startswith("__UNNAMED__") or not header.strip():
            table.problems.append(
                Problem(
                    table.file,
                    header_row,
                    where,
                    None,
                    "header cell is empty (merged or blank header cells?)",
                    hint="unmerge the header cells and give every column one field name",
                )
            )
            continue
        canonical = lookup.get(_normalise(header))
        if canonical is None:
            table.problems.append(
                Problem(
                    table.file,
                    header_row,
                    header,
                    header,
                    "unknown column",
                    hint=f"rename it to one of {', '.join(c.name for c in spec)} or remove it",
                    severity="warning" if allow_extra else "error",
                )
            )
            continue
        if canonical in seen:
            table.problems.append(
                Problem(
                    table.file,
                    header_row,
                    header,
                    header,
                    f"column means {canonical}, like column {seen[canonical]!r}",
                    hint="keep only one of the two columns",
                )
            )
            continue
        seen[canonical] = header
        renames[header] = canonical
    for column in spec:
        if column.required and column.name not in seen:
            table.problems.append(
                Problem(
                    table.file,
                    header_row,
                    column.name,
                    None,
                    "required column is missing",
                    hint=f"add a column named {column.name}",
                )
            )
    frame = table.frame.select([pl.col(h).alias(c) for h, c in renames.items()])
    for column in spec:
        if column.name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(column.name))
    frame = (
        frame.with_columns(
            [
                pl.when(pl.col(c.name).str.strip_chars() != "")
                .then(pl.col(c.name).str.strip_chars())
                .alias(c.name)
                for c in spec
            ]
        )
        .with_row_index(ROW, offset=first_row)
        .with_columns(pl.col(ROW).cast(pl.Int64))
    )
    # Rows with no value at all (blank lines in a spreadsheet) are not orders.
    frame = frame.filter(pl.any_horizontal([pl.col(c.name).is_not_null() for c in spec]))
    table.frame = frame.select([ROW, *(c.name for c in spec)])
