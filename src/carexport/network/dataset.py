"""Read a network dataset folder (one CSV file per entity) into validated records.

Every problem in every file is collected, located by file, row (as an editor shows it:
the header is row 1) and column; nothing stops at the first error.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from carexport.errors import Problem
from carexport.network import schemas
from carexport.network.snapshot import NetworkSnapshot

R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class FileSpec(Generic[R]):
    name: str
    model: type[R]
    key: tuple[str, ...]
    snapshot_field: str
    required: bool = True

    @property
    def columns(self) -> list[str]:
        return list(self.model.model_fields)

    @property
    def required_columns(self) -> list[str]:
        return [n for n, f in self.model.model_fields.items() if f.is_required()]


# In dependency order: a file only refers to files above it.
FILES: tuple[FileSpec[Any], ...] = (
    FileSpec("sources.csv", schemas.Source, ("key",), "sources"),
    FileSpec("nodes.csv", schemas.Node, ("id",), "nodes"),
    FileSpec("co2_factors.csv", schemas.Co2Factor, ("mode",), "co2_factors"),
    FileSpec("lanes.csv", schemas.Lane, ("id",), "lanes"),
    FileSpec(
        "left_traffic_countries.csv", schemas.LeftTrafficCountry, ("country",), "left_traffic"
    ),
    FileSpec("homologation_regimes.csv", schemas.HomologationRegime, ("id",), "regimes"),
    FileSpec("markets.csv", schemas.Market, ("country",), "markets"),
    FileSpec("brands.csv", schemas.Brand, ("id",), "brands"),
    FileSpec("vehicle_models.csv", schemas.VehicleModel, ("id",), "models"),
    FileSpec("variants.csv", schemas.Variant, ("id",), "variants"),
    FileSpec("dealers.csv", schemas.Dealer, ("id",), "dealers", required=False),
    FileSpec("targets.csv", schemas.Target, ("id",), "targets", required=False),
    FileSpec(
        "export_statistics.csv",
        schemas.ExportStatistic,
        ("scope", "metric", "period_start", "period_end", "basis", "unit"),
        "statistics",
        required=False,
    ),
    FileSpec("exchange_rates.csv", schemas.ExchangeRate, ("month",), "exchange_rates", False),
    FileSpec("routes.csv", schemas.RouteSetting, ("route",), "routes", required=False),
)
FILES_BY_NAME = {spec.name: spec for spec in FILES}


@dataclass(frozen=True)
class Located(Generic[R]):
    """A record with the row it came from, so later checks can point back at it."""

    row: int
    record: R


@dataclass
class Dataset:
    """All records of a dataset folder, each with its row number, plus the problems found."""

    folder: str
    records: dict[str, list[Located[Any]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def located(self, file_name: str) -> list[Located[Any]]:
        return self.records.get(file_name, [])

    def items(self, file_name: str) -> list[Any]:
        return [loc.record for loc in self.located(file_name)]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def snapshot(self) -> NetworkSnapshot:
        """A snapshot of the rows that passed the row-level checks."""
        return snapshot_from_records({name: self.items(name) for name in self.records})


def snapshot_from_records(records: dict[str, list[Any]]) -> NetworkSnapshot:
    """Build a snapshot from records keyed by dataset file name."""
    return NetworkSnapshot.build(
        **{spec.snapshot_field: records.get(spec.name, []) for spec in FILES}
    )


BUILTIN = "chongqing"


def builtin_folder(name: str = BUILTIN) -> Path:
    """The folder of a dataset shipped inside the package."""
    folder = resources.files("carexport.network") / "reference" / name
    return Path(str(folder))


def read_dataset(folder: Path) -> Dataset:
    dataset = Dataset(folder=str(folder))
    if not folder.is_dir():
        dataset.problems.append(
            Problem(
                str(folder),
                None,
                None,
                None,
                "dataset folder not found",
                hint="pass a folder holding nodes.csv, lanes.csv, markets.csv, ...",
            )
        )
        return dataset
    known = {spec.name for spec in FILES}
    for path in sorted(folder.glob("*.csv")):
        if path.name not in known:
            dataset.problems.append(
                Problem(
                    path.name,
                    None,
                    None,
                    None,
                    "file is not part of a network dataset",
                    hint=f"rename it to one of {', '.join(sorted(known))} or remove it",
                    severity="warning",
                )
            )
    for spec in FILES:
        dataset.records[spec.name] = _read_file(folder / spec.name, spec, dataset.problems)
    return dataset


def _read_file(path: Path, spec: FileSpec[Any], problems: list[Problem]) -> list[Located[Any]]:
    if not path.exists():
        if spec.required:
            problems.append(
                Problem(
                    spec.name,
                    None,
                    None,
                    None,
                    "required file is missing",
                    hint=f"create it with the header {','.join(spec.columns)}",
                )
            )
        return []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(
                spec.name,
                None,
                None,
                None,
                f"file is not UTF-8 text (bad byte at offset {exc.start})",
                hint="save it as CSV UTF-8",
            )
        )
        return []
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, None)
    if header is None:
        problems.append(
            Problem(
                spec.name,
                None,
                None,
                None,
                "file is empty",
                hint=f"the first line must be {','.join(spec.columns)}",
            )
        )
        return []
    header = [h.strip() for h in header]
    missing = [c for c in spec.required_columns if c not in header]
    for column in missing:
        problems.append(
            Problem(
                spec.name,
                1,
                column,
                None,
                "required column is missing",
                hint=f"add a column named {column}",
            )
        )
    unknown = [c for c in header if c not in spec.columns]
    for column in unknown:
        problems.append(
            Problem(
                spec.name,
                1,
                column or "(blank)",
                None,
                "unknown column",
                hint=f"columns are {', '.join(spec.columns)}",
            )
        )
    if missing:
        return []
    return list(_parse_rows(rows, header, spec, problems))


def _parse_rows(
    rows: Any, header: list[str], spec: FileSpec[Any], problems: list[Problem]
) -> Iterator[Located[Any]]:
    seen: dict[tuple[Any, ...], int] = {}
    for cells in rows:
        # The line a record ends on, as an editor counts it (the header is line 1).
        row_number = rows.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            problems.append(
                Problem(
                    spec.name,
                    row_number,
                    None,
                    ",".join(cells[len(header) :]),
                    f"row has {len(cells)} cells but the header has {len(header)}",
                    hint="remove the extra cells or quote values holding commas",
                )
            )
            continue
        data = {
            column: cells[i] if i < len(cells) else ""
            for i, column in enumerate(header)
            if column in spec.model.model_fields
        }
        try:
            record = spec.model.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                column = str(error["loc"][0]) if error["loc"] else None
                value = data.get(column, "") if column else None
                problems.append(
                    Problem(
                        spec.name,
                        row_number,
                        column,
                        value,
                        _message(error),
                        hint=_hint(spec, column),
                    )
                )
            continue
        key = tuple(getattr(record, k) for k in spec.key)
        if key in seen:
            problems.append(
                Problem(
                    spec.name,
                    row_number,
                    spec.key[0],
                    "/".join(map(str, key)),
                    f"duplicate {'/'.join(spec.key)}: already on row {seen[key]}",
                    hint="give every row its own id, or delete one of the two",
                )
            )
            continue
        seen[key] = row_number
        yield Located(row_number, record)


def _message(error: Any) -> str:
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _hint(spec: FileSpec[Any], column: str | None) -> str | None:
    if column is None:
        return None
    field_info = spec.model.model_fields.get(column)
    if field_info is None:
        return None
    annotation = field_info.annotation
    choices = getattr(annotation, "__members__", None)
    if choices:
        return "use one of " + ", ".join(m.value for m in choices.values())
    return None
