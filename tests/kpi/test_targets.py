"""Target trajectories, with every growth rate and date worked out by hand (comments)."""

from __future__ import annotations

import datetime as dt

import pytest

from carexport.kpi.targets import TargetStatus, evaluate_targets
from carexport.network.dataset import builtin_folder, read_dataset
from carexport.network.schemas import ExportStatistic, Target
from carexport.network.snapshot import NetworkSnapshot


def _stat(
    year: int, value: float, unit: str = "units", metric: str = "export_units"
) -> ExportStatistic:
    return ExportStatistic(
        scope="ACME",
        metric=metric,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
        basis="COMPANY",
        unit=unit,
        value=value,
    )


def _target(value: float, deadline: dt.date, scope: str = "ACME") -> Target:
    return Target(
        id="T_ACME",
        metric="export_units",
        scope=scope,
        value=value,
        unit="units",
        deadline=deadline,
    )


def _one(snapshot: NetworkSnapshot, as_of: dt.date, **kwargs: object) -> TargetStatus:
    (status,) = evaluate_targets(snapshot, as_of=as_of, **kwargs)  # type: ignore[arg-type]
    return status


def test_growth_required_achieved_and_projected_by_hand() -> None:
    snapshot = NetworkSnapshot.build(
        statistics=[_stat(2021, 100), _stat(2022, 121)],
        targets=[_target(200, dt.date(2027, 12, 31))],
    )
    s = _one(snapshot, dt.date(2025, 1, 1))
    assert (s.baseline and s.baseline.value, s.actual and s.actual.value) == (100, 121)
    # achieved: 2021-12-31 to 2022-12-31 is 365 days = 0.99932 years;
    # 1.21 ** (1 / 0.99932) - 1 = exp(0.190620 / 0.999316) - 1 = 21.016%
    assert s.achieved_cagr_pct == pytest.approx(21.016, abs=0.001)
    # required: 1826 days = 4.99932 years to go from 121 to 200:
    # exp(ln(200 / 121) / 4.99932) - 1 = exp(0.502527 / 4.99932) - 1 = 10.574%
    assert s.required_cagr_pct == pytest.approx(10.574, abs=0.001)
    # projected: ln(200 / 121) / ln(1.21016) = 2.6345 years = 962 days after 2022-12-31
    assert s.projected == dt.date(2025, 8, 19)
    assert s.status == "on track"


def test_a_target_past_its_deadline_is_met_or_missed_on_the_value_at_the_deadline() -> None:
    stats = [_stat(2021, 100), _stat(2022, 121), _stat(2023, 150)]
    missed = NetworkSnapshot.build(statistics=stats, targets=[_target(140, dt.date(2022, 12, 31))])
    assert _one(missed, dt.date(2024, 6, 1)).status == "missed"  # 121 < 140 at the deadline
    met = NetworkSnapshot.build(statistics=stats, targets=[_target(120, dt.date(2022, 12, 31))])
    assert _one(met, dt.date(2024, 6, 1)).status == "met"


def test_slower_growth_than_required_is_off_track() -> None:
    snapshot = NetworkSnapshot.build(
        statistics=[_stat(2021, 100), _stat(2022, 121)],
        targets=[_target(400, dt.date(2025, 12, 31))],
    )
    s = _one(snapshot, dt.date(2023, 1, 1))
    # ln(400 / 121) / ln(1.21016) = 1.19569 / 0.190751 = 6.27 years: 2029, after 2025
    assert s.projected is not None and s.projected.year == 2029
    assert s.status == "off track"


def test_no_statistic_names_what_is_missing_and_the_store_fills_in() -> None:
    snapshot = NetworkSnapshot.build(targets=[_target(200_000, dt.date(2027, 12, 31))])
    bare = _one(snapshot, dt.date(2026, 6, 1))
    assert bare.status == "no data"
    assert "ACME export_units" in bare.missing
    s = _one(snapshot, dt.date(2026, 6, 1), store_yearly={"ACME": {2024: 30_000, 2025: 45_000}})
    # achieved: 1.5 ** (1 / 0.99932) - 1 = 50.04%; required over 1.99863 years:
    # exp(ln(200 / 45) / 1.99863) - 1 = exp(1.491655 / 1.99863) - 1 = 110.93%
    assert s.achieved_cagr_pct == pytest.approx(50.04, abs=0.01)
    assert s.required_cagr_pct == pytest.approx(110.93, abs=0.01)
    assert s.status == "off track"
    assert "own exports" in s.note and s.actual is not None and s.actual.basis == "store (customs)"


def test_a_single_observation_cannot_be_projected() -> None:
    snapshot = NetworkSnapshot.build(
        statistics=[_stat(2025, 100_000)], targets=[_target(200_000, dt.date(2026, 12, 31))]
    )
    s = _one(snapshot, dt.date(2026, 3, 1))
    assert s.status == "cannot project"
    assert s.required_cagr_pct == pytest.approx(100.1, abs=0.1)  # doubling in 365 days
    assert "second observation" in s.missing


@pytest.fixture(scope="module")
def builtin() -> dict[str, TargetStatus]:
    snapshot = read_dataset(builtin_folder()).snapshot()
    return {s.target.id: s for s in evaluate_targets(snapshot, as_of=dt.date(2025, 6, 1))}


def test_chongqing_share_of_china_on_the_manufacturers_count(
    builtin: dict[str, TargetStatus],
) -> None:
    s = builtin["T_CQ_SHARE_NATIONAL_2027"]
    # 2023: 368,000 / 4,910,000 = 7.4949%; 2024: 477,000 / 5,859,000 = 8.1413%
    assert s.baseline is not None and s.baseline.value == pytest.approx(7.4949, abs=1e-4)
    assert s.actual is not None and s.actual.value == pytest.approx(8.1413, abs=1e-4)
    # required: (10 / 8.1413) ** (1 / 2.99795) - 1 = 7.100%; achieved over 366 days: 8.607%
    assert s.required_cagr_pct == pytest.approx(7.100, abs=0.001)
    assert s.achieved_cagr_pct == pytest.approx(8.607, abs=0.001)
    assert s.status == "on track"
    assert "mixed bases" in s.note and "7.4% of the customs count" in s.note  # 477 / 6,410


def test_nev_export_value_baseline_is_derived_from_the_growth(
    builtin: dict[str, TargetStatus],
) -> None:
    s = builtin["T_CQ_NEV_EXPORT_VALUE_2027"]
    assert s.target.metric == "nev_export_value"
    # 8.21 bn in 2024, +94%: 8.21 / 1.94 = 4.2320 bn in 2023 (derived)
    assert s.baseline is not None and s.baseline.derived
    assert s.baseline.value == pytest.approx(4.2320, abs=1e-4)
    assert s.status == "off track"  # 120 bn by 2027 needs 144.7% a year


def test_every_builtin_target_is_judged_or_says_what_it_lacks(
    builtin: dict[str, TargetStatus],
) -> None:
    for s in builtin.values():
        assert s.status in {"met", "missed", "on track", "off track", "cannot project", "no data"}
        if s.status in {"no data", "cannot project"}:
            assert s.missing, s.target.id
    assert "sales_units" in builtin["T_CHANGAN_OVERSEAS_SHARE_2030"].missing
