"""Fuzz the HTTP API from its OpenAPI schema with schemathesis, authenticated.

A served carexport on loopback (one uvicorn worker, SQLite) holds the built-in network, an
order with its VINs, a plan and events; schemathesis generates requests for every
operation of /openapi.json (examples, coverage, fuzzing and stateful phases) with an
admin's API token and checks each answer: no server error (5xx) and every answer as its
schema says (status documented, body valid). Prints cases generated and failures by kind
beside the goal (0 server errors and 0 schema violations in >= 1,000 cases); exits 1 on
any server error or schema violation, so the smoke run in tests/bench_smoke/ fails
on one.

    uv run python bench/bench_fuzz.py                 # >= 1,000 cases (about 2 minutes)
    uv run python bench/bench_fuzz.py --examples 200  # more per operation
    uv run python bench/bench_fuzz.py --smoke         # a few per operation (CI)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from carexport.db.migrate import upgrade
from carexport.db.session import make_engine, unit_of_work
from carexport.network.dataset import builtin_folder
from carexport.network.service import load_dataset
from carexport.orders.vin import with_check_digit
from common import free_port, serve

ORG = "fuzz"
GOAL_CASES = 1_000
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"


def admin_token(url: str) -> str:
    from carexport.access import service as access_service
    from carexport.access.permissions import Role

    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(engine) as session:
        load_dataset(session, ORG, builtin_folder())
        access_service.add_user(session, ORG, "fuzz-admin", Role.admin)
        token = access_service.issue_token(session, "fuzz-admin", "bench_fuzz")
    engine.dispose()
    return token


def post(base: str, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]
    except urllib.error.HTTPError as error:
        raise SystemExit(
            f"seeding the world: POST {path} -> {error.code}: {error.read()[:500]!r}"
        ) from None


def seed_data(base: str, token: str) -> None:
    """An order with two VINs, its plan and a release event: data for the reads to find."""
    vins = [with_check_digit(f"LC9012008VC00099{i}") for i in (1, 2)]
    order = {
        "order_id": "FUZZ-1",
        "brand": "CHANGAN",
        "model": "CS35_PLUS",
        "variant": "CS35_PLUS_14T_LHD",
        "quantity": 2,
        "origin": "CN_CQ_CHANGAN",
        "destination_country": "VN",
        "ready_date": "2025-01-04",
        "due_date": "2025-02-15",
    }
    vehicles = [{"vin": v, "order_id": "FUZZ-1"} for v in vins]
    imported = post(base, token, "/orders", {"orders": [order], "vehicles": vehicles})
    if not imported.get("committed"):
        raise SystemExit(f"seeding the world: the order was not imported: {imported}")
    post(base, token, "/plans", {"start": "2025-01-04", "horizon_days": 60})
    event = {"vin": vins[0], "code": "RELEASED", "node": "CN_CQ_CHANGAN"}
    post(base, token, "/events", {"events": [{**event, "event_time": "2025-01-04T08:00Z"}]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--examples", type=int, default=40, help="most cases per operation and phase"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="a few cases per operation (CI)")
    args = parser.parse_args()
    examples = 2 if args.smoke else args.examples
    with tempfile.TemporaryDirectory(prefix="carexport-fuzz-") as folder:
        url = f"sqlite:///{Path(folder) / 'fuzz.db'}"
        token = admin_token(url)
        port = free_port()
        server = serve(url, ORG, port)
        base = f"http://127.0.0.1:{port}"
        report = Path(folder) / "report.json"
        try:
            seed_data(base, token)
            run = subprocess.run(
                [
                    str(Path(sys.executable).with_name("schemathesis")),
                    "run",
                    f"{base}/openapi.json",
                    "--header",
                    f"Authorization: Bearer {token}",
                    "--max-examples",
                    str(examples),
                    "--seed",
                    str(args.seed),
                    "--checks",
                    CHECKS,
                    "--no-shrink",
                    "--report",
                    "json",
                    "--report-json-path",
                    str(report),
                ],
                capture_output=True,
                text=True,
                check=False,
                cwd=folder,  # its example database (.schemathesis/) goes with the run
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        if not report.exists():
            raise SystemExit(
                f"schemathesis wrote no report:\n{run.stdout[-3000:]}{run.stderr[-2000:]}"
            )
        result = json.loads(report.read_text())
    cases = result["test_cases"]["generated"]
    failures = {f["title"]: (f["count"], f["operations"]) for f in result["failures"]}
    print(
        f"operations tested {result['operations']['tested']}/{result['operations']['total']}, "
        f"cases generated {cases:,}, with failures {result['test_cases']['with_failures']}, "
        f"errors {len(result['errors'])}, in {result['running_time']:.0f} s"
    )
    for title, (count, operations) in sorted(failures.items()):
        print(f"  {title}: {count} ({', '.join(operations)})")
    if run.returncode != 0 and failures:
        # Each failing case with its curl line to reproduce it (schemathesis's FAILURES part).
        lines = run.stdout.splitlines()
        start = next((i for i, line in enumerate(lines) if "FAILURES" in line), 0)
        end = next((i for i, line in enumerate(lines) if "SUMMARY" in line), len(lines))
        print("\n".join(lines[start:end]))
    server_errors = failures.get("Server error", (0, []))[0]
    violations = sum(count for title, (count, _) in failures.items() if title != "Server error")
    met = server_errors == 0 and violations == 0 and cases >= GOAL_CASES
    print(
        f"goal: 0 server errors and 0 schema violations in >= {GOAL_CASES:,} cases; "
        f"{'met' if met else 'MISSED'} ({server_errors} server errors, {violations} "
        f"violations, {cases:,} cases{'; smoke size' if args.smoke else ''})"
    )
    if server_errors or violations:  # a bug whatever the size: the smoke run fails on it
        sys.exit(1)


if __name__ == "__main__":
    main()
