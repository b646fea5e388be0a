"""Targets with trajectories: baseline, latest actual, the yearly growth still required
(CAGR from the latest actual to the deadline), the growth achieved, the date the target
is reached if that growth holds, and on or off track. Pure: a snapshot (statistics,
dealers, targets) and, for brand targets no statistic covers, the store's yearly exports.

Growth is compounded yearly: required = (target / actual) ** (1 / years left) - 1;
projected = actual's date + ln(target / actual) / ln(1 + achieved) years.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

from carexport.kpi import rollout
from carexport.kpi.statistics import level_a_year_before, yearly
from carexport.network.schemas import Basis, ExportStatistic, StatUnit, Target
from carexport.network.snapshot import NetworkSnapshot

YEAR_DAYS = 365.25
UNIT_OF_TARGET = {"units": StatUnit.UNITS, "cny_bn": StatUnit.CNY_BN, "usd_bn": StatUnit.USD_BN}


@dataclass(frozen=True)
class Observation:
    end: dt.date  # the last day of the period the value is for
    value: float
    label: str  # 2024, Jan-Oct 2024, 31 Dec 2024
    basis: str  # GACC, CAAM, COMPANY, MUNICIPAL, STATS, dealers, store (customs)
    derived: bool = False  # computed from a level and its growth, not stated


@dataclass(frozen=True)
class TargetStatus:
    target: Target
    baseline: Observation | None
    actual: Observation | None
    required_cagr_pct: float | None
    achieved_cagr_pct: float | None
    achieved_from: str  # how the achieved growth was measured
    projected: dt.date | None
    status: str  # met, missed, on track, off track, cannot project, no data
    missing: str  # what data would let it be judged ('' when nothing is missing)
    note: str


def evaluate_targets(
    snapshot: NetworkSnapshot,
    *,
    as_of: dt.date,
    store_yearly: Mapping[str, Mapping[int, int]] | None = None,
) -> list[TargetStatus]:
    """Every target of the snapshot, by deadline. store_yearly: scope (brand or group id)
    -> year -> vehicles exported on the customs basis, for full calendar years only."""
    return [
        _evaluate(snapshot, t, as_of, store_yearly or {})
        for t in sorted(snapshot.targets.values(), key=lambda t: (t.deadline, t.id))
    ]


def _evaluate(
    snapshot: NetworkSnapshot,
    target: Target,
    as_of: dt.date,
    store_yearly: Mapping[str, Mapping[int, int]],
) -> TargetStatus:
    series, growth, missing, note = _series(snapshot, target, as_of, store_yearly)
    series = sorted((o for o in series if o.end <= as_of), key=lambda o: o.end)
    if not series:
        missing = missing or f"an observation on or before {as_of}"
        return TargetStatus(target, None, None, None, None, "", None, "no data", missing, note)
    baseline, actual = series[0], series[-1]
    achieved, achieved_from = None, ""
    if len(series) >= 2 and actual.end > baseline.end and baseline.value > 0:
        years = (actual.end - baseline.end).days / YEAR_DAYS
        achieved = 100 * ((actual.value / baseline.value) ** (1 / years) - 1)
        achieved_from = f"{baseline.label} to {actual.label}"
    elif growth is not None:
        achieved = growth.value
        achieved_from = f"stated for {growth.label} ({growth.basis})"
    years_left = (target.deadline - actual.end).days / YEAR_DAYS
    required = None
    if actual.value < target.value and years_left > 0 and actual.value > 0:
        required = 100 * ((target.value / actual.value) ** (1 / years_left) - 1)
    projected = None
    if actual.value >= target.value:  # reached: when it first was
        projected = next(o.end for o in series if o.value >= target.value)
    elif achieved is not None and achieved > 0 and actual.value > 0:
        years_needed = math.log(target.value / actual.value) / math.log(1 + achieved / 100)
        if years_needed < 200:
            projected = actual.end + dt.timedelta(days=round(years_needed * YEAR_DAYS))
    at_deadline = [o for o in series if o.end <= target.deadline]
    if target.deadline < as_of:
        reached = bool(at_deadline) and at_deadline[-1].value >= target.value
        status = "met" if reached else "missed"
    elif actual.value >= target.value:
        status = "met"
    elif projected is None:
        status = "cannot project"
        missing = missing or "a second observation or a stated growth rate"
    else:
        status = "on track" if projected <= target.deadline else "off track"
    return TargetStatus(
        target,
        baseline,
        actual,
        required,
        achieved,
        achieved_from,
        projected,
        status,
        missing,
        note,
    )


def _series(
    snapshot: NetworkSnapshot,
    target: Target,
    as_of: dt.date,
    store_yearly: Mapping[str, Mapping[int, int]],
) -> tuple[list[Observation], Observation | None, str, str]:
    """(observations, a stated growth to fall back on, what is missing, a note)."""
    if target.metric in ("countries_count", "stores_count"):
        return _rollout_series(snapshot, target, as_of)
    if target.metric == "share_of_national_exports_pct":
        return _share_series(snapshot, target)
    if target.metric.endswith("_share_pct"):  # a part over a whole: both series are needed
        part = target.metric.removesuffix("_share_pct")
        return (
            [],
            None,
            f"statistics of {target.scope} {part}_units and {target.scope} sales_units "
            "(all markets) for the same full years",
            "",
        )
    unit = UNIT_OF_TARGET.get(target.unit)
    if unit is None:
        return [], None, f"no series is kept in {target.unit!r}", ""
    rows = yearly(snapshot, target.scope, target.metric, unit)
    observations = [_observed(s) for s in rows]
    growths = [
        s
        for s in snapshot.statistics
        if s.scope == target.scope and s.metric == target.metric and s.unit == StatUnit.YOY_PCT
    ]
    for level in rows:  # a full year's growth also gives the year before it
        for g in growths:
            if (g.period_start, g.period_end, g.basis) == (
                level.period_start,
                level.period_end,
                level.basis,
            ):
                before = level.period_start.year - 1
                if not any(o.end.year == before for o in observations):
                    observations.append(
                        Observation(
                            dt.date(before, 12, 31),
                            level_a_year_before(level.value, g.value),
                            str(before),
                            level.basis.value,
                            derived=True,
                        )
                    )
    growth = _observed(max(growths, key=lambda g: g.period_end)) if growths else None
    if observations:
        return observations, growth, "", ""
    store = store_yearly.get(target.scope, {})
    if target.metric == "export_units" and store:
        full = [
            Observation(dt.date(y, 12, 31), float(n), str(y), "store (customs)")
            for y, n in sorted(store.items())
        ]
        return full, None, "", "from carexport's own exports (customs basis), not official"
    wanted = f"{target.scope} {target.metric} in {unit.value} for full years"
    missing = f"statistics of {wanted} (export_statistics.csv)"
    if target.metric == "export_units":
        missing += f", or a full calendar year of {target.scope} exports in the store"
    return [], growth, missing, ""


def _observed(stat: ExportStatistic) -> Observation:
    return Observation(stat.period_end, stat.value, stat.label, stat.basis.value)


def _share_series(
    snapshot: NetworkSnapshot, target: Target
) -> tuple[list[Observation], Observation | None, str, str]:
    """Chongqing's units over China's, per year. Chongqing's sources do not state their
    basis; China's manufacturers' count (CAAM) is the lower, so the share is not inflated,
    and the customs share is given in the note."""
    local = {
        s.period_start.year: s
        for s in yearly(snapshot, target.scope, "export_units", StatUnit.UNITS)
    }
    national: dict[Basis, dict[int, float]] = {Basis.CAAM: {}, Basis.GACC: {}}
    for s in yearly(snapshot, "CHINA", "export_units", StatUnit.UNITS):
        if s.basis in national:
            national[s.basis][s.period_start.year] = s.value
    observations, notes = [], []
    for year, stat in sorted(local.items()):
        caam = national[Basis.CAAM].get(year)
        if caam:
            observations.append(
                Observation(
                    dt.date(year, 12, 31),
                    100 * stat.value / caam,
                    str(year),
                    f"{stat.basis.value}/CAAM",
                    derived=True,
                )
            )
        gacc = national[Basis.GACC].get(year)
        if gacc:
            notes.append(f"{year}: {100 * stat.value / gacc:.1f}% of the customs count")
    missing = "" if observations else "CHONGQING and CHINA (CAAM) export_units of the same years"
    note = (
        "Chongqing's figures do not state their basis (MUNICIPAL) and are divided by China's "
        "manufacturers' count (CAAM): mixed bases. " + "; ".join(notes)
    )
    return observations, None, missing, note.strip()


def _rollout_series(
    snapshot: NetworkSnapshot, target: Target, as_of: dt.date
) -> tuple[list[Observation], Observation | None, str, str]:
    """Countries entered or stores open at each year end (and on as_of), from dealers.csv."""
    brand = target.scope.upper()
    openings = sorted(d.opening_date for d in snapshot.dealers.values() if d.brand_id == brand)
    if not openings:
        return [], None, f"dealers of {brand} (dealers.csv)", ""
    index = 0 if target.metric == "countries_count" else 1
    days = [dt.date(y, 12, 31) for y in range(openings[0].year, as_of.year)]
    days.append(as_of)
    observations = [
        Observation(
            day, float(rollout.counts_on(snapshot, brand, day)[index]), _day(day), "dealers"
        )
        for day in days
    ]
    unsourced = sum(1 for d in snapshot.dealers.values() if d.brand_id == brand and "U" in d.source)
    total = sum(1 for d in snapshot.dealers.values() if d.brand_id == brand)
    note = f"{unsourced} of {total} {brand} opening dates are typical values (U), not sourced"
    return observations, None, "", note


def _day(day: dt.date) -> str:
    return str(day.year) if (day.month, day.day) == (12, 31) else day.isoformat()
