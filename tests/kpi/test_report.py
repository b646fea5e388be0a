"""The trade-office workbook: read back with fastexcel and checked in the .xlsx XML itself."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import fastexcel
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from carexport.errors import CarexportError
from carexport.kpi import report
from carexport.kpi.report import Chart, Sheet, write_report

MONTHLY = pl.DataFrame(
    {
        "month": ["2024-01", "2024-02", "2024-03"],
        "vehicles": [1200, 1350, None],
        "value_usd": [21_000_000.5, 23_500_000.0, 19_000_000.0],
        "unit_cost_usd": [812.25, 799.5, 805.0],
        "growth_pct": [None, 12.5, float("nan")],
        "on_time": [0.91, 0.875, 0.93],
        "first_day": [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)],
    }
)
FORMATS = {
    "vehicles": "int",
    "value_usd": "money",
    "unit_cost_usd": "money",
    "growth_pct": "pct",
    "on_time": "ratio",
    "first_day": "date",
}
LANES = pl.DataFrame(
    {"lane": ["CKG-DUI rail", "=1+1"], "mode": ["rail", None], "days": [16.5, 21.0]}
)
EMPTY = pl.DataFrame(schema={"market": pl.String, "vehicles": pl.Int64})
LONG_NAME = "Lanes: by mode / [all] with a name far too long"


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    chart = Chart(
        "column", "month", ("vehicles",), "Vehicles exported", "vehicles", ("growth_pct",)
    )
    sheets = [
        Sheet("Monthly volumes", "Exports by month", MONTHLY, FORMATS, chart, ("Source: test",)),
        Sheet(LONG_NAME, "Lanes", LANES),
        Sheet("monthly volumes", "Nothing yet", EMPTY),
    ]
    path = tmp_path / "kpi.xlsx"
    assert (
        write_report(path, sheets, title="Chongqing exports", about="Line one.\nLine two.") == path
    )
    return path


def _xml(path: Path, member: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(member).decode()


def _cell_format(path: Path, sheet_xml: str, cell: str) -> str:
    """The number format code Excel shows the cell with."""
    styles = _xml(path, "xl/styles.xml")
    codes = dict(re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"', styles))
    cell_xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S)
    assert cell_xfs is not None
    format_ids = re.findall(r'<xf numFmtId="(\d+)"', cell_xfs.group(1))
    style = re.search(rf'<c r="{cell}" s="(\d+)"', _xml(path, sheet_xml))
    assert style is not None, f"{cell} has no style"
    return codes[format_ids[int(style.group(1))]].replace("&quot;", '"')


def test_sheets_are_named_for_excel_and_listed_on_the_about_sheet(workbook: Path) -> None:
    reader = fastexcel.read_excel(workbook)
    assert reader.sheet_names == [
        "About",
        "Monthly volumes",
        "Lanes- by mode - -all- with a n",  # 31 characters, no []:*?/\
        "monthly volumes (2)",  # Excel compares names ignoring case
    ]
    about = reader.load_sheet("About", header_row=None).to_polars()
    assert about.get_column(about.columns[0]).to_list() == [
        "Chongqing exports",
        "Line one.",
        "Line two.",
        None,
        "sheet",
        *reader.sheet_names[1:],
    ]
    assert about.get_column(about.columns[2]).to_list()[-3:] == ["3", "2", "0"]
    core = _xml(workbook, "docProps/core.xml")
    assert "<dc:title>Chongqing exports</dc:title>" in core
    assert "<dc:description>Line one.\nLine two.</dc:description>" in core


def test_cells_equal_the_frame_below_the_title_and_notes(workbook: Path) -> None:
    reader = fastexcel.read_excel(workbook)
    top = reader.load_sheet("Monthly volumes", header_row=None, n_rows=5).to_polars()
    assert top.get_column(top.columns[0]).to_list() == [
        "Exports by month",
        "Source: test",
        None,
        "month",
        "2024-01",
    ]
    # Title, one note, a blank row: the header is the fourth row (index 3).
    monthly = reader.load_sheet("Monthly volumes", header_row=3).to_polars()
    expected = MONTHLY.with_columns(pl.col("growth_pct").fill_nan(None))  # NaN shows blank
    assert_frame_equal(
        monthly.with_columns(pl.col("first_day").dt.date()), expected, check_dtypes=False
    )
    lanes = reader.load_sheet("Lanes- by mode - -all- with a n", header_row=2).to_polars()
    assert_frame_equal(lanes, LANES)
    assert "<f>" not in _xml(workbook, "xl/worksheets/sheet3.xml")  # "=1+1" stays text


def test_number_formats_per_column(workbook: Path) -> None:
    styles = _xml(workbook, "xl/styles.xml")
    for code in ("#,##0", "#,##0.00", "0.0&quot;%&quot;", "0.0%", "yyyy-mm-dd"):
        assert f'formatCode="{code}"' in styles
    sheet = "xl/worksheets/sheet2.xml"
    # Row 5 is the first data row; the columns follow MONTHLY.
    assert _cell_format(workbook, sheet, "B5") == "#,##0"
    assert _cell_format(workbook, sheet, "C5") == "#,##0"  # millions of USD: no cents
    assert _cell_format(workbook, sheet, "D5") == "#,##0.00"
    assert _cell_format(workbook, sheet, "E6") == '0.0"%"'
    assert _cell_format(workbook, sheet, "F5") == "0.0%"
    assert _cell_format(workbook, sheet, "G5") == "yyyy-mm-dd"
    assert re.search(r'<c r="B7" s="\d+"/>', _xml(workbook, sheet))  # null: formatted, no value


def test_header_is_frozen_and_filtered(workbook: Path) -> None:
    sheet = _xml(workbook, "xl/worksheets/sheet2.xml")
    pane = re.search(r"<pane [^>]*/>", sheet)
    assert pane is not None
    assert 'state="frozen"' in pane.group(0)
    assert 'xSplit="1"' in pane.group(0)
    assert 'ySplit="4"' in pane.group(0)
    assert '<autoFilter ref="A4:G7"/>' in sheet
    widths = {  # xlsxwriter writes neighbouring columns of one width as one <col>
        column: float(width)
        for first, last, width in re.findall(
            r'<col min="(\d+)" max="(\d+)" width="([\d.]+)"', sheet
        )
        for column in range(int(first), int(last) + 1)
    }
    assert sorted(widths) == list(range(1, MONTHLY.width + 1))
    assert widths[3] > widths[1]  # value_usd "-23,500,000.00" is wider than "2024-01"
    assert all(6 <= width <= report.MAX_COLUMN_WIDTH + 1 for width in widths.values())


def test_native_chart_references_the_sheet_cells(workbook: Path) -> None:
    with zipfile.ZipFile(workbook) as archive:
        names = archive.namelist()
    charts = [name for name in names if name.startswith("xl/charts/")]
    assert charts == ["xl/charts/chart1.xml"]  # the lanes and empty sheets have none
    assert "drawing" in _xml(workbook, "xl/worksheets/_rels/sheet2.xml.rels")
    assert not any(name.startswith("xl/media/") for name in names)  # a chart, not an image
    chart = _xml(workbook, "xl/charts/chart1.xml")
    assert '<c:barDir val="col"/>' in chart
    assert "<c:lineChart>" in chart
    assert "<c:f>'Monthly volumes'!$A$5:$A$7</c:f>" in chart  # categories: month
    assert "<c:f>'Monthly volumes'!$B$5:$B$7</c:f>" in chart  # vehicles
    assert "<c:f>'Monthly volumes'!$E$5:$E$7</c:f>" in chart  # growth_pct, secondary
    assert "<c:f>'Monthly volumes'!$B$4</c:f>" in chart  # series name from the header
    assert '<c:axPos val="r"/>' in chart  # the secondary value axis
    for axis_title in ("month", "vehicles", "growth_pct", "Vehicles exported"):
        assert f"<a:t>{axis_title}</a:t>" in chart


def test_empty_frame_gets_its_header_and_a_note(workbook: Path) -> None:
    reader = fastexcel.read_excel(workbook)
    empty = reader.load_sheet("monthly volumes (2)", header_row=None).to_polars()
    assert empty.rows() == [
        ("Nothing yet", None),
        ("no data", None),
        (None, None),
        ("market", "vehicles"),
    ]
    with zipfile.ZipFile(workbook) as archive:
        assert "xl/worksheets/_rels/sheet4.xml.rels" not in archive.namelist()


def test_path_must_be_xlsx(tmp_path: Path) -> None:
    with pytest.raises(CarexportError) as error:
        write_report(tmp_path / "kpi.xls", [Sheet("a", "A", LANES)], title="t", about="a")
    assert error.value.hint is not None
    assert ".xlsx" in error.value.hint
    assert not (tmp_path / "kpi.xls").exists()


def test_too_many_rows_for_excel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "EXCEL_MAX_ROWS", 10)
    fits = pl.DataFrame({"n": range(7)})  # title, blank, header and 7 rows: exactly 10
    write_report(tmp_path / "fits.xlsx", [Sheet("n", "N", fits)], title="t", about="a")
    with pytest.raises(CarexportError) as error:
        write_report(
            tmp_path / "big.xlsx",
            [Sheet("ok", "Ok", LANES), Sheet("big", "Big", pl.DataFrame({"n": range(8)}))],
            title="t",
            about="a",
        )
    assert "'big'" in error.value.message
    assert error.value.hint is not None
    assert "CSV" in error.value.hint
    assert not (tmp_path / "big.xlsx").exists()  # checked before anything is written


def test_chart_of_a_missing_or_text_column(tmp_path: Path) -> None:
    for values in (("no_such_column",), ("mode",)):
        chart = Chart("line", "lane", values, "Days")
        with pytest.raises(CarexportError) as error:
            write_report(
                tmp_path / "x.xlsx", [Sheet("l", "L", LANES, chart=chart)], title="t", about=""
            )
        assert values[0] in error.value.message
        assert error.value.hint is not None


def test_unwritable_path_is_a_carexport_error(tmp_path: Path) -> None:
    with pytest.raises(CarexportError) as error:
        write_report(tmp_path / "missing" / "kpi.xlsx", [], title="t", about="")
    assert error.value.hint is not None
