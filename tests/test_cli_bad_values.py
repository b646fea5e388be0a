"""Every parameter of every command, given a bad value, is a usage error: exit code 2, a
message naming the option and the value and saying what to give instead, and never a
traceback. Every case is refused while the command line is parsed: no database is opened,
no file read.

The commands are walked from the Typer app, so a command added later is covered; each of
its parameters must be classified here by what it takes, else
test_every_parameter_is_classified fails and says what to decide:

- a date (dt.date, parsed by options.iso_date) and a choice (an Enum, so that --help lists
  it, whose values mirror the domain's: ENUM_MIRRORS) are checked by their type;
- a number needs its range in BOUNDS (given with options.number_option);
- a path needs its role in PATHS: a file or folder read (it must exist), a file written
  (its folder must exist, its suffix fit) or a folder written (created if missing);
- text is FREE_TEXT (any value will do here; the store judges it) or VALIDATED_TEXT;
- a flag has nothing to get wrong.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.testing
from typer.testing import CliRunner

from carexport.cli import app
from carexport.cli.options import SEED_MAX, Bounds

ROOT = typer.main.get_command(app)


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """(the command's name, e.g. 'kpi fvl'; the command) for every command of the tree."""
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield " ".join(path), command
        return
    for name, sub in sorted(subcommands.items()):
        yield from walk(sub, (*path, name))


COMMANDS = dict(walk(ROOT))


def flag_of(param: Any) -> str:
    """How the command line names the parameter: --option, or the argument's name."""
    return str(param.opts[0])


def annotation_of(param: Any) -> Any:
    return param.type_descriptor.annotation  # typer's, without Optional


def parser_of(param: Any) -> Any:
    return param.type_descriptor.parameter_info.parser


def is_argument(param: Any) -> bool:
    return not str(param.opts[0]).startswith("-")


def kind_of(param: Any) -> str:
    annotation = annotation_of(param)
    if getattr(param, "is_flag", False):
        return "flag"
    if annotation is dt.date:
        return "date"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "choice"
    if annotation in (int, float):
        return "number"
    if annotation is Path:
        return "path"
    if annotation is str or annotation == list[str]:
        return "text"
    return f"unknown ({annotation!r})"


PARAMS = [(name, param) for name, command in COMMANDS.items() for param in command.params]


def key(name: str, param: Any) -> str:
    return f"{name} {flag_of(param)}"


# The range of every number option: a decision per option, with its reason. A number
# option not here fails test_every_parameter_is_classified.
BOUNDS = {
    # Rows of a table or a query: at least one, at most what a terminal can take.
    "audit --limit": Bounds(int, 1, 100_000),
    "exceptions --limit": Bounds(int, 1, 100_000),
    # Seeds: numpy takes no negative one; scenario runs store theirs in a 32-bit column.
    "demo --seed": Bounds(int, 0, SEED_MAX),
    "events simulate --seed": Bounds(int, 0, SEED_MAX),
    "orders generate --seed": Bounds(int, 0, SEED_MAX),
    "scenarios run --seed": Bounds(int, 0, SEED_MAX),
    # Events per ingest transaction: no upper bound, ingest splits a big batch itself.
    "events simulate --batch": Bounds(int, 1),
    # The same thresholds as GET /exceptions takes.
    "exceptions --dwell-days": Bounds(float, 0, 3650),
    "exceptions --overdue-hours": Bounds(float, 0, 87_600),
    # Months of a synthetic order book: five years at China's scale is ~30M VINs already.
    "orders generate --months": Bounds(int, 1, 60),
    # The planner's parameters, as POST /plans takes them (plans.schemas.PlanRequest).
    "plan --horizon": Bounds(int, 1, 730),
    "plan --co2-price": Bounds(float, 0),
    "plan --lateness": Bounds(float, 0),
    "plan --time-limit": Bounds(float, 0, 3600, above=True),
    "scenarios run --horizon": Bounds(int, 1, 730),
    # As a scenario file may ask (scenarios.spec: samples 1..10,000).
    "scenarios run --samples": Bounds(int, 1, 10_000),
    # Processes: one at least; more than 256 on one machine is a typo.
    "scenarios run --workers": Bounds(int, 1, 256),
    "serve --workers": Bounds(int, 1, 256),
    "serve --port": Bounds(int, 1, 65_535),
}

# What each path is for. in-file / in-dir: read, so it must exist (and be a file / a
# folder); out-file: written, so its folder must exist and it may not be a folder (with
# the suffixes it must end in); out-dir: written into, created with its parents if missing,
# so only a file in its way is refused.
IN_FILE, IN_DIR, OUT_DIR = ("in-file",), ("in-dir",), ("out-dir",)


def out_file(*suffixes: str) -> tuple[str, ...]:
    return ("out-file", *suffixes)


PATHS = {
    "demo --db-file": out_file(),
    "demo --workdir": OUT_DIR,
    "events export --out": out_file(),
    "events import file": IN_FILE,
    "events import-dcsa file": IN_FILE,
    "events import-dcsa --links": IN_FILE,
    "events import-dcsa --locations": IN_FILE,
    "kpi reconcile comtrade": IN_FILE,
    "kpi report --out": out_file(".xlsx"),
    "network load folder": IN_DIR,
    "network show --dataset": IN_DIR,
    "network validate folder": IN_DIR,
    "orders generate --out": out_file(".csv", ".xlsx"),
    "orders generate --network": IN_DIR,
    "orders import file": IN_FILE,
    "orders import --vehicles": IN_FILE,
    "orders import --report": out_file(".csv", ".json", ".xlsx"),
    "plan --orders": IN_FILE,
    "plan --vehicles": IN_FILE,
    "plan --network": IN_DIR,
    "plan --out": OUT_DIR,
    "plan --dump-lp": out_file(),
    "scenarios run --orders": IN_FILE,
    "scenarios run --xlsx": out_file(".xlsx"),
}

# Text any value of which passes the command line: names and ids the store judges (an
# unknown one is a located error, exit code 1), free labels, a host.
FREE_TEXT = {
    "--action",
    "--actor",
    "--address",  # auto, HOST:PORT or ray://...: Ray judges it
    "--brand",
    "--host",
    "--label",
    "--order",
    "--org",
    "--org-name",
    "--plan",
    "--prefix",
    "--sheet",
    "--source",
    "--vehicles-sheet",
    "--vin",
    "username",
    "vins",
}


@dataclass(frozen=True)
class Checked:
    """Text checked while parsing: a value that passes, a bad one and what the refusal
    must say."""

    good: str
    bad: str
    says: tuple[str, ...]


VALIDATED_TEXT = {
    "db upgrade --url": Checked(
        "sqlite:///x.db", "nonsense", ("'nonsense'", "sqlite:///FILE.db", "postgresql://")
    ),
    "kpi exports --by": Checked(
        "brand,market", "brand,colour", ("'colour'", "brand, group, market", "origin")
    ),
    "scenarios run scenario": Checked(
        "all", "no-such-scenario", ("'no-such-scenario'", "all, ", "red_sea_closed")
    ),
}

BAD_DATES = [
    "15/02/2027",
    "2027/02/15",
    "2027-13-01",
    "2024-13-01",
    "2027-02-30",
    "tomorrow",
    "soon",
]
GOOD_DATE = "2027-02-15"

# Files and folders every case may name; made in the case's working directory.
EXISTING_FILE, EXISTING_DIR = "in.csv", "in-dir"


def good_value(name: str, param: Any) -> str:
    """A value the parameter takes, for the required ones beside the one under test."""
    kind, k = kind_of(param), key(name, param)
    if kind == "date":
        return GOOD_DATE
    if kind == "choice":
        return str(next(iter(annotation_of(param))).value)
    if kind == "number":
        bounds = BOUNDS.get(k, Bounds(int, 1))
        return str(bounds.low + (1 if bounds.above else 0))
    if kind == "path":
        role = PATHS.get(k, ("out-file",))
        if role[0] == "in-file":
            return EXISTING_FILE
        if role[0] == "in-dir":
            return EXISTING_DIR
        return "out" + (role[1] if len(role) > 1 else "") if role[0] == "out-file" else "out-dir"
    if k in VALIDATED_TEXT:
        return VALIDATED_TEXT[k].good
    return "x"


@dataclass(frozen=True)
class Case:
    command: str
    args: tuple[str, ...]
    says: tuple[str, ...]  # what the message must contain (besides exit code 2)

    @property
    def id(self) -> str:
        return f"{self.command}: {' '.join(self.args[len(self.command.split()) :])}"


def command_line(name: str, under_test: Any, value: str) -> tuple[str, ...]:
    """The command with the value under test and good values for every other required
    parameter, arguments in their order."""
    args = name.split()
    for param in COMMANDS[name].params:
        if param is under_test:
            given = value
        elif param.required:
            given = good_value(name, param)
        else:
            continue
        args += [given] if is_argument(param) else [flag_of(param), given]
    return tuple(args)


def bad_values(name: str, param: Any) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(a bad value, what the refusal must say about it) for one parameter; none for one
    not classified yet (test_every_parameter_is_classified says so)."""
    kind, k, flag = kind_of(param), key(name, param), flag_of(param)
    if (kind == "number" and k not in BOUNDS) or (kind == "path" and k not in PATHS):
        return
    if kind == "date":
        for value in BAD_DATES:
            yield value, (flag, repr(value), "is not a date: write it as YYYY-MM-DD, e.g. ")
    elif kind == "choice":
        allowed = tuple(repr(str(c.value)) for c in annotation_of(param))
        yield "bogus", (flag, "'bogus' is not one of", *allowed)
    elif kind == "number":
        bounds = BOUNDS[k]
        below = {"-1", "-1000", str(bounds.low - 1) if bounds.kind is int else "-0.5"}
        if bounds.above:
            below.add(str(bounds.low))
        for value in sorted(below):
            yield value, (flag, f"{value} is out of range: give {bounds.describe()}")
        if bounds.high is not None:
            value = str(bounds.high + 1)
            yield value, (flag, f"{value} is out of range: give {bounds.describe()}")
        for value in ("abc", "1e400", "nan") if bounds.kind is float else ("abc", "1.5"):
            yield value, (flag, f"{value!r} is not {bounds.describe()}")
    elif kind == "path":
        role = PATHS[k]
        if role[0] == "in-file":
            yield "missing.csv", (flag, "'missing.csv' does not exist")
            yield EXISTING_DIR, (flag, f"'{EXISTING_DIR}' is a directory")
        elif role[0] == "in-dir":
            yield "missing-dir", (flag, "'missing-dir' does not exist")
            yield EXISTING_FILE, (flag, f"'{EXISTING_FILE}' is a file")
        elif role[0] == "out-file":
            suffixes = role[1:]
            name_ = "out" + (suffixes[0] if suffixes else ".txt")
            yield f"nowhere/{name_}", (flag, "there is no folder 'nowhere'", "mkdir -p nowhere")
            yield EXISTING_DIR, (flag, f"'{EXISTING_DIR}' is a folder: give a file name")
            if suffixes:
                yield "out.txt", (flag, "'out.txt' does not end in", *suffixes)
        else:
            yield EXISTING_FILE, (flag, f"'{EXISTING_FILE}' is a file: give a folder")
    elif k in VALIDATED_TEXT:
        checked = VALIDATED_TEXT[k]
        yield checked.bad, (flag, *checked.says)


CASES = [
    Case(name, command_line(name, param, value), says)
    for name, param in PARAMS
    for value, says in bad_values(name, param)
]
# Parameters that are fine alone and wrong together: refused before any work too.
CASES += [
    Case(
        "plan",
        ("plan", "--start", GOOD_DATE, "--out", "out-dir"),
        ("'--orders' / '--from-db'", "give either --orders FILE or --from-db"),
    ),
    Case(
        "plan",
        ("plan", "--from-db", "--orders", EXISTING_FILE, "--start", GOOD_DATE, "--out", "x"),
        ("'--orders' / '--from-db'", "give either --orders FILE or --from-db"),
    ),
]


@pytest.fixture(scope="module")
def built_once() -> Iterator[None]:
    """CliRunner builds the click command of the app at each call (40 ms); the cases use
    the one built above, the same tree."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", lambda _: ROOT)
        yield


runner = CliRunner()


def one_line(output: str) -> str:
    """The output with rich's boxes and line wrapping undone."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_values_are_usage_errors(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built_once: None
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / EXISTING_FILE).write_text("a,b\n", encoding="utf-8")
    (tmp_path / EXISTING_DIR).mkdir()
    # Were a case to get past the command line, it would meet an empty database and stop
    # with exit code 1 ("not at the current schema") instead of writing anything.
    env = {"COLUMNS": "200", "CAREXPORT_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    result = runner.invoke(app, list(case.args), env=env)
    output = one_line(result.output)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), result.exception
    for piece in case.says:
        assert piece in output, f"{piece!r} not in: {output}"
    assert not (tmp_path / "empty.db").exists(), "the database was opened"


def test_every_parameter_is_classified() -> None:
    """A new parameter must say what it takes: a number its range, a path its role, text
    whether it is checked (a choice among fixed values should be an Enum)."""
    unclassified = []
    for name, param in PARAMS:
        kind, k = kind_of(param), key(name, param)
        if kind == "number":
            if k not in BOUNDS:
                unclassified.append(f"{k}: give it a range (options.number_option) in BOUNDS")
            elif parser_of(param) != BOUNDS[k]:
                unclassified.append(f"{k}: its range {parser_of(param)} is not {BOUNDS[k]}")
        elif kind == "path" and k not in PATHS:
            unclassified.append(f"{k}: say in PATHS whether it is read or written")
        elif kind == "text" and flag_of(param) not in FREE_TEXT and k not in VALIDATED_TEXT:
            unclassified.append(
                f"{k}: a choice (make it an Enum), text checked while parsing "
                "(VALIDATED_TEXT) or free text (FREE_TEXT)?"
            )
        elif kind == "date" and parser_of(param) is None:
            unclassified.append(f"{k}: parse it with options.iso_date")
        elif kind.startswith("unknown"):
            unclassified.append(f"{k}: {kind}: add its kind to this test")
    assert unclassified == []
    keys = {key(name, param) for name, param in PARAMS}
    stale = (set(BOUNDS) | set(PATHS) | set(VALIDATED_TEXT)) - keys
    assert stale == set(), "entries for parameters that are gone"
    assert FREE_TEXT - {flag_of(param) for _, param in PARAMS} == set(), "free text gone"


def test_the_tree_is_covered() -> None:
    """Every command is walked, every classified parameter has a case."""
    assert len(COMMANDS) >= 30
    assert {"plan", "kpi fvl", "users add", "scenarios run", "db upgrade"} <= set(COMMANDS)
    covered = {(c.command, flag) for c in CASES for flag in c.says[:1]}
    for name, param in PARAMS:
        kind = kind_of(param)
        if kind in ("flag", "text") and key(name, param) not in VALIDATED_TEXT:
            continue
        assert (name, flag_of(param)) in covered, f"no case for {key(name, param)}"


def test_numbers_take_their_whole_range() -> None:
    """The ends of each range pass the command line (parsed only: nothing runs)."""
    for k, bounds in BOUNDS.items():
        name, flag = k.rsplit(" ", 1)
        param = next(p for p in COMMANDS[name].params if flag_of(p) == flag)
        ends = [bounds.low + (0.001 if bounds.above else 0)]
        if bounds.high is not None:
            ends.append(bounds.high)
        for end in ends:
            assert parser_of(param)(str(end)) == end, k


def _choice_params() -> list[tuple[str, Any]]:
    return [(name, p) for name, p in PARAMS if kind_of(p) == "choice"]


@pytest.mark.parametrize(
    ("name", "param"), _choice_params(), ids=lambda x: x if isinstance(x, str) else flag_of(x)
)
def test_help_lists_every_choice(name: str, param: Any, built_once: None) -> None:
    result = runner.invoke(app, [*name.split(), "--help"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    listed = "|".join(str(c.value) for c in annotation_of(param))
    assert listed in one_line(result.output).replace(" ", "")


def _domain_values() -> dict[type[Enum], tuple[str, ...]]:
    """Each CLI choice's values as its domain lists them."""
    from carexport.access.permissions import Kind, Role
    from carexport.cli.options import (
        ExceptionKind,
        ExportBasis,
        ExportPeriod,
        FvlGroup,
        OrderScale,
        PlanMethod,
        ReconcileLevel,
    )
    from carexport.cli.scenarios import ExecutorName
    from carexport.cli.users import KindChoice, RoleChoice
    from carexport.errors import CarexportError
    from carexport.kpi.exports import PERIODS
    from carexport.kpi.fvl import GROUPS
    from carexport.kpi.reconcile import LEVELS
    from carexport.orders.generate import annual_units
    from carexport.planning.problem import PlanParameters
    from carexport.scenarios.executors import executor_for
    from carexport.tracking.exceptions import KINDS
    from carexport.tracking.service import EXPORT_BASES

    def hinted(call: Any) -> tuple[str, ...]:
        """The values a domain function names in its refusal of an unknown one."""
        with pytest.raises(CarexportError) as refused:
            call()
        hint = refused.value.hint or ""
        return tuple(hint.removeprefix("use ").split(" or "))

    return {
        ExceptionKind: KINDS,
        FvlGroup: GROUPS,
        ExportBasis: EXPORT_BASES,
        ExportPeriod: PERIODS,
        ReconcileLevel: LEVELS,
        PlanMethod: typing.get_args(typing.get_type_hints(PlanParameters)["method"]),
        OrderScale: hinted(lambda: annual_units(None, "bogus")),  # type: ignore[arg-type]
        ExecutorName: hinted(lambda: executor_for("bogus")),
        RoleChoice: tuple(Role),
        KindChoice: tuple(Kind),
    }


def test_choices_mirror_the_domains() -> None:
    domains = _domain_values()
    for choice in {annotation_of(p) for _, p in _choice_params()}:
        assert choice in domains, f"{choice.__name__}: say which domain list it mirrors"
        assert tuple(c.value for c in choice) == tuple(domains[choice]), choice.__name__
