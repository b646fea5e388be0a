"""Plan runs from the Plan page: a small registry per app, one background thread per
run whose phase the page polls, at most one run per organisation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from carexport.db.session import unit_of_work
from carexport.errors import CarexportError, InvalidInput
from carexport.memory import release_freed_memory
from carexport.planning.problem import PlanParameters
from carexport.planning.run import plan as run_planner
from carexport.plans import service as plans_service

LOG = logging.getLogger("carexport")

PHASES = {
    "building": "reading the network and the order book",
    "solving": "planning: time grid, LP built and solved by HiGHS, whole vehicles extracted, "
    "late orders explained",
    "comparing": "planning the greedy baseline to compare with",
    "storing": "storing the plan version, its load lists and every VIN's milestones",
}


@dataclass
class PlanJob:
    """One plan run as the page shows it. Mutated only under its registry's lock; pages
    render copies."""

    id: str
    org_id: str
    params: PlanParameters
    compare: bool
    started_at: dt.datetime
    started: float  # time.monotonic()
    phase: str = "building"
    phase_started: float = 0.0
    phases_done: list[tuple[str, float]] = field(default_factory=list)
    vehicles: int | None = None
    plan_id: str | None = None
    solver_status: str | None = None
    error: str | None = None
    hint: str | None = None
    problems: list[str] = field(default_factory=list)  # each located problem of a bad input
    finished: float | None = None
    expected_planner_s: float | None = None  # what the last stored plan took in the planner

    @property
    def running(self) -> bool:
        return self.finished is None

    @property
    def phases(self) -> list[str]:
        """The phases this run goes through, in order."""
        comparing = ["comparing"] if self.compare and self.params.method == "optimal" else []
        return ["building", "solving", *comparing, "storing"]

    def elapsed_s(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def phase_elapsed_s(self) -> float:
        return (self.finished or time.monotonic()) - self.phase_started


class PlanAlreadyRunning(CarexportError):
    status_code = 409

    def __init__(self, job: PlanJob) -> None:
        super().__init__(
            f"a plan is already running for organisation {job.org_id!r} "
            f"(started {job.started_at:%H:%M:%S} UTC, now {job.phase})",
            hint="wait for it to finish (its progress is shown below), then run again",
        )
        self.job = job


class PlanJobs:
    """The plan runs of one app, kept in memory: the running ones and the last few done."""

    def __init__(self, keep: int = 20) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, PlanJob] = {}
        self._keep = keep

    def get(self, org_id: str, job_id: str) -> PlanJob | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return _copy(job) if job is not None and job.org_id == org_id else None

    def running(self, org_id: str) -> PlanJob | None:
        with self._lock:
            for job in self._jobs.values():
                if job.org_id == org_id and job.running:
                    return _copy(job)
        return None

    def start(
        self,
        engine: Engine,
        org_id: str,
        params: PlanParameters,
        compare: bool,
        expected_planner_s: float | None = None,
    ) -> PlanJob:
        now = time.monotonic()
        with self._lock:
            for job in self._jobs.values():
                if job.org_id == org_id and job.running:
                    raise PlanAlreadyRunning(_copy(job))
            job = PlanJob(
                id=uuid.uuid4().hex[:12],
                org_id=org_id,
                params=params,
                compare=compare,
                started_at=dt.datetime.now(dt.UTC),
                started=now,
                phase_started=now,
                expected_planner_s=expected_planner_s,
            )
            self._jobs[job.id] = job
            self._prune()
            started = _copy(job)
        try:
            threading.Thread(
                target=self._run_and_release,
                args=(engine, started),
                name=f"plan-{job.id}",
                daemon=True,
            ).start()
        except RuntimeError as error:  # no thread to be had: say so rather than hang
            self._finish(job.id, error=f"the plan run could not start ({error})", hint="try again")
            raise CarexportError(
                f"the plan run could not start ({error})", hint="try again"
            ) from error
        return started

    def _prune(self) -> None:
        finished = sorted(
            (j for j in self._jobs.values() if not j.running), key=lambda j: j.started
        )
        for job in finished[: max(0, len(finished) - self._keep)]:
            del self._jobs[job.id]

    def _advance(self, job_id: str, phase: str, **changes: Any) -> None:
        """The run enters its next phase (the last one's time is kept)."""
        with self._lock:
            job = self._jobs[job_id]
            now = time.monotonic()
            job.phases_done.append((job.phase, now - job.phase_started))
            job.phase, job.phase_started = phase, now
            for name, value in changes.items():
                setattr(job, name, value)

    def _finish(self, job_id: str, **outcome: Any) -> None:
        """The run ends: stored (plan_id) or failed in its current phase (error, hint)."""
        with self._lock:
            job = self._jobs[job_id]
            job.finished = time.monotonic()
            if "error" not in outcome:
                job.phases_done.append((job.phase, job.finished - job.phase_started))
            for name, value in outcome.items():
                setattr(job, name, value)

    def _run_and_release(self, engine: Engine, job: PlanJob) -> None:
        self._run(engine, job)
        # What the run allocated is freed now that it has returned, but glibc would keep
        # it in this thread's arena, and the server's RSS would grow with every run
        # (carexport.memory).
        release_freed_memory()

    def _run(self, engine: Engine, job: PlanJob) -> None:
        """The run itself, in its own thread and with its own units of work: the problem is
        read in one, planned outside any transaction, and stored in another."""
        params, org_id = job.params, job.org_id
        try:
            with unit_of_work(engine) as session:
                problem = plans_service.problem_from_db(session, org_id, params)
            self._advance(job.id, "solving", vehicles=problem.vehicles.height)
            result = run_planner(problem)
            baseline = None
            if "comparing" in job.phases:
                self._advance(job.id, "comparing")
                greedy = dataclasses.replace(params, method="greedy")
                baseline = run_planner(dataclasses.replace(problem, parameters=greedy))
            self._advance(job.id, "storing")
            with unit_of_work(engine, writes=True) as session:  # its turn among writers
                plan_id = plans_service.store_plan(session, org_id, result, params, problem.network)
                if baseline is not None:
                    plans_service.record_baseline(session, org_id, plan_id, baseline)
        except CarexportError as error:
            problems = [str(p) for p in error.problems] if isinstance(error, InvalidInput) else []
            self._finish(job.id, error=error.message, hint=error.hint, problems=problems[:50])
        except Exception as error:  # a bug: logged with its traceback, shown without it
            LOG.exception("plan run %s for %s failed", job.id, org_id)
            self._finish(
                job.id,
                error=f"the planner stopped on an internal error ({type(error).__name__}: "
                f"{str(error)[:300]})",
                hint="the server log has the details; check the parameters and run again",
            )
        else:
            self._finish(job.id, plan_id=plan_id, solver_status=result.status)


def _copy(job: PlanJob) -> PlanJob:
    return dataclasses.replace(job, phases_done=list(job.phases_done), problems=list(job.problems))


_REGISTRY_LOCK = threading.Lock()


def plan_jobs(app: FastAPI) -> PlanJobs:
    """The app's plan-run registry (made on first use)."""
    with _REGISTRY_LOCK:
        jobs = getattr(app.state, "plan_jobs", None)
        if jobs is None:
            jobs = app.state.plan_jobs = PlanJobs()
        assert isinstance(jobs, PlanJobs)
        return jobs
