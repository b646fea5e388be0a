"""Store rollout (pure): stores open and countries entered over time, from the dealers of a
NetworkSnapshot, and the brand's country and store targets against them.

Read the figures with their sources: most opening dates in the built-in dealers.csv are
source U (typical values, unsourced) placed to tell a plausible story, so every frame here
carries the share of the dealers counted whose opening date rests on U.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

import polars as pl

from carexport.errors import NotFound
from carexport.network.schemas import Dealer
from carexport.network.snapshot import NetworkSnapshot

UNSOURCED = "U"
# the targets.csv metrics judged here: countries_count by countries, stores_count by stores
TARGET_METRICS = ("countries_count", "stores_count")

ROLLOUT_SCHEMA = pl.Schema(
    {
        "month": pl.Date(),
        "stores_open": pl.Int64(),
        "countries": pl.Int64(),
        "new_countries": pl.List(pl.String()),
        "unsourced_share": pl.Float64(),
    }
)
PLAN_SCHEMA = pl.Schema(
    {
        "target_id": pl.String(),
        "metric": pl.String(),
        "deadline": pl.Date(),
        "planned": pl.Int64(),
        "judged_on": pl.Date(),
        "actual": pl.Int64(),
        "gap": pl.Int64(),
        "status": pl.String(),
        "target_source": pl.String(),
        "dealers_counted": pl.Int64(),
        "unsourced_share": pl.Float64(),
        "opening_sources": pl.String(),
    }
)


def brand_id_of(snapshot: NetworkSnapshot, brand: str) -> str:
    """The id of a brand given by id or name, in any case."""
    wanted = brand.strip().upper()
    for b in snapshot.brands.values():
        if wanted in (b.id.upper(), b.name.upper()):
            return b.id
    raise NotFound(f"unknown brand {brand!r}", "use one of " + ", ".join(sorted(snapshot.brands)))


def brand_dealers(snapshot: NetworkSnapshot, brand: str) -> list[Dealer]:
    """The brand's dealers (brand by id or name), by opening date, then id."""
    brand_id = brand_id_of(snapshot, brand)
    return sorted(
        (d for d in snapshot.dealers.values() if d.brand_id == brand_id),
        key=lambda d: (d.opening_date, d.id),
    )


def _open_on(dealers: Sequence[Dealer], day: dt.date) -> list[Dealer]:
    return [d for d in dealers if d.opening_date <= day]


def _unsourced_share(dealers: Sequence[Dealer]) -> float | None:
    """Share of the dealers whose opening date is, at least in part, a typical value (U)."""
    if not dealers:
        return None
    return sum(UNSOURCED in d.source for d in dealers) / len(dealers)


def _month_end(month: dt.date) -> dt.date:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def counts_on(snapshot: NetworkSnapshot, brand: str, day: dt.date) -> tuple[int, int]:
    """(countries, stores) of the brand open on day: dealers whose opening_date <= day."""
    open_dealers = _open_on(brand_dealers(snapshot, brand), day)
    return len({d.country for d in open_dealers}), len(open_dealers)


def rollout(snapshot: NetworkSnapshot, brand: str) -> pl.DataFrame:
    """One row per month from the brand's first dealer opening to its last.

    Columns: month (date, the 1st), stores_open (dealers with opening_date on or before
    the month's last day), countries (distinct countries with at least one of them),
    new_countries (list of country codes, sorted, whose first store opened that month),
    unsourced_share (0-1: of the stores open, those whose opening date carries source U).
    A brand without dealers gives no rows.
    """
    dealers = brand_dealers(snapshot, brand)
    rows: list[dict[str, object]] = []
    if dealers:
        first_opening: dict[str, dt.date] = {}
        for d in dealers:  # sorted by opening date, so the first seen is the entry
            first_opening.setdefault(d.country, d.opening_date)
        month = dealers[0].opening_date.replace(day=1)
        last = dealers[-1].opening_date.replace(day=1)
        while month <= last:
            open_dealers = _open_on(dealers, _month_end(month))
            rows.append(
                {
                    "month": month,
                    "stores_open": len(open_dealers),
                    "countries": len({d.country for d in open_dealers}),
                    "new_countries": sorted(
                        c for c, day in first_opening.items() if day.replace(day=1) == month
                    ),
                    "unsourced_share": _unsourced_share(open_dealers),
                }
            )
            month = _month_end(month) + dt.timedelta(days=1)
    return pl.DataFrame(rows, schema=ROLLOUT_SCHEMA, orient="row")


def _source_mix(dealers: Sequence[Dealer]) -> str:
    """e.g. "U 24 (96%); S1 1 (4%)": the dealers by their opening date's source keys."""
    mix = Counter(";".join(d.source) or "none" for d in dealers)
    return "; ".join(
        f"{keys} {n} ({n / len(dealers):.0%})"
        for keys, n in sorted(mix.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def rollout_against_plan(
    snapshot: NetworkSnapshot, brand: str, *, as_of: dt.date | None = None
) -> pl.DataFrame:
    """The brand's country and store targets (targets.csv scope = brand id, metric
    countries_count or stores_count) against the dealers open, by deadline.

    Each target is judged on its deadline, or on as_of (default: today) while the deadline
    is still ahead. Columns: target_id, metric, deadline, planned (count), judged_on,
    actual (countries or stores open that day, see counts_on), gap (planned - actual: what
    is still missing; negative when ahead), status ("met" once actual >= planned, "not met"
    when the deadline passed short of it, else "open"), target_source (the target's source
    keys), dealers_counted (dealers open on judged_on), unsourced_share (0-1: of those, the
    ones whose opening date carries source U, a typical value) and opening_sources (those
    dealers by source keys, e.g. "U 24 (96%); S1 1 (4%)"). Rows by deadline, then metric.
    """
    as_of = as_of or dt.date.today()
    scope = brand_id_of(snapshot, brand).upper()
    dealers = brand_dealers(snapshot, brand)
    rows: list[dict[str, object]] = []
    targets = sorted(
        (t for t in snapshot.targets.values() if t.scope == scope and t.metric in TARGET_METRICS),
        key=lambda t: (t.deadline, t.metric, t.id),
    )
    for target in targets:
        judged_on = min(target.deadline, as_of)
        open_dealers = _open_on(dealers, judged_on)
        actual = (
            len({d.country for d in open_dealers})
            if target.metric == "countries_count"
            else len(open_dealers)
        )
        planned = round(target.value)
        if actual >= planned:
            status = "met"
        elif target.deadline <= as_of:
            status = "not met"
        else:
            status = "open"
        rows.append(
            {
                "target_id": target.id,
                "metric": target.metric,
                "deadline": target.deadline,
                "planned": planned,
                "judged_on": judged_on,
                "actual": actual,
                "gap": planned - actual,
                "status": status,
                "target_source": ";".join(target.source),
                "dealers_counted": len(open_dealers),
                "unsourced_share": _unsourced_share(open_dealers),
                "opening_sources": _source_mix(open_dealers) if open_dealers else "",
            }
        )
    return pl.DataFrame(rows, schema=PLAN_SCHEMA, orient="row")
