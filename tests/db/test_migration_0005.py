"""Revision 0005 moves a database of year-only statistics to periods, bases and units, and
derives the export date of VINs tracked before it."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import Engine, text

from carexport.db.migrate import alembic_config, current_revision, head_revision, upgrade


def _downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_0005_moves_statistics_targets_and_export_dates(engine: Engine) -> None:
    _downgrade(engine, "0004")
    t = dt.datetime(2027, 1, 5, 3, tzinfo=dt.UTC)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO network_export_statistic (org_id, scope, year, metric, value, basis,"
                " source) VALUES ('acme', 'CHONGQING', 2024, 'export_value_cny_bn', 43.12, '',"
                " '[\"S10\"]'), ('acme', 'CHINA', 2024, 'export_units', 5859000, 'CAAM',"
                " '[\"S12\"]'), ('acme', 'CHONGQING', 2024, 'output_units', 2540000, '', '[]')"
            )
        )
        c.execute(
            text(
                "INSERT INTO network_target (org_id, id, metric, scope, value, unit, deadline,"
                " source) VALUES ('acme', 'T_CQ_NEV_EXPORT_VALUE_2027', 'export_value_cny_bn',"
                " 'CHONGQING', 120, 'cny_bn', '2027-12-31', '[]')"
            )
        )
        for event_id, code, hours in (("e1", "GATE_OUT", 0), ("e2", "EXPORT_CLEARED", 30)):
            c.execute(
                text(
                    "INSERT INTO tracking_event (org_id, vin, event_id, code, event_time)"
                    " VALUES ('acme', 'V1', :id, :code, :at)"
                ),
                {"id": event_id, "code": code, "at": t + dt.timedelta(hours=hours)},
            )
        c.execute(
            text("INSERT INTO order_vehicle (org_id, vin, order_id) VALUES ('acme', 'V1', 'O1')")
        )
        for vin in ("V1", "V2"):
            c.execute(
                text(
                    "INSERT INTO vehicle_status (org_id, vin, status, last_event_id, last_code,"
                    " last_event_time, events, on_hold, damaged, sequence_violations) VALUES"
                    " ('acme', :vin, 'export_cleared', 'e2', 'EXPORT_CLEARED', :at, 2, false,"
                    " false, 0)"
                ),
                {"vin": vin, "at": t},
            )
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT scope, metric, period_start, period_end, basis, unit, value"
                " FROM network_export_statistic ORDER BY scope, metric"
            )
        ).all()
        metric = c.execute(text("SELECT metric FROM network_target")).scalar_one()
        counts = c.execute(text("SELECT basis, month, order_id, vehicles FROM export_count")).all()
        cleared = dict(c.execute(text("SELECT vin, export_cleared_at FROM vehicle_status")).all())
    as_dates = [
        (s, m, str(a)[:10], str(b)[:10], basis, unit, v) for s, m, a, b, basis, unit, v in rows
    ]
    assert as_dates == [
        ("CHINA", "export_units", "2024-01-01", "2024-12-31", "CAAM", "units", 5859000),
        ("CHONGQING", "export_value", "2024-01-01", "2024-12-31", "MUNICIPAL", "cny_bn", 43.12),
        ("CHONGQING", "output_units", "2024-01-01", "2024-12-31", "STATS", "units", 2540000),
    ]
    assert metric == "nev_export_value"
    # V1 (of order O1) was cleared on 2027-01-06; V2 never was and has no order.
    assert [tuple(r) for r in counts] == [("customs", "2027-01", "O1", 1)]
    assert cleared["V2"] is None
    assert str(cleared["V1"]).startswith("2027-01-06") and ("09:00" in str(cleared["V1"]))
