"""Where scenario jobs run, behind one small interface: a local process pool (default) or a
Ray cluster. Both return results in job order and call on_done as each job finishes, so
the same jobs give the same list whichever runs them."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol

from carexport.errors import CarexportError
from carexport.scenarios.runner import Inputs, Job, run_job

Done = Callable[[Job, dict[str, Any]], None]

# Under `uv run`, Ray (2.43+) by default starts each worker with `uv run` again from a copy of
# the working folder, taking uv's path from the driver's command line: a relative one
# (`.tools/bin/uv run ...`) is not there, no worker registers and a run hung for minutes.
# Ray's nodes here run carexport's own environment already, so that copy buys nothing. Set
# before ray is first imported (it reads the variable then); a value the user set stays.
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")


class Executor(Protocol):
    name: str

    def run(
        self, inputs: Inputs, jobs: Sequence[Job], on_done: Done | None = None
    ) -> list[dict[str, Any]]: ...


_shared: Inputs | None = None


def _init(inputs: Inputs) -> None:
    # Each worker gets the shared inputs once, not once per job.
    global _shared
    _shared = inputs


def _run_shared(job: Job) -> dict[str, Any]:
    assert _shared is not None
    return run_job(_shared, job)


class LocalPool:
    """Worker processes on this machine (spawned: polars and HiGHS do not survive a fork)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.name = f"local:{self.workers}"

    def run(
        self, inputs: Inputs, jobs: Sequence[Job], on_done: Done | None = None
    ) -> list[dict[str, Any]]:
        if self.workers == 1:
            results = []
            for job in jobs:
                results.append(run_job(inputs, job))
                if on_done:
                    on_done(job, results[-1])
            return results
        context = multiprocessing.get_context("spawn")
        out: list[dict[str, Any] | None] = [None] * len(jobs)
        with ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_init, initargs=(inputs,)
        ) as pool:
            pending: dict[Future[dict[str, Any]], int] = {
                pool.submit(_run_shared, job): i for i, job in enumerate(jobs)
            }
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    i = pending.pop(future)
                    out[i] = future.result()
                    if on_done:
                        on_done(jobs[i], out[i])  # type: ignore[arg-type]
        return [r for r in out if r is not None]


def _ray_job(inputs: Inputs, job: Job) -> tuple[str, dict[str, Any]]:
    import ray

    return ray.get_runtime_context().get_node_id(), run_job(inputs, job)


class RayExecutor:
    """Ray tasks, one per job, on a running cluster (address "auto" or HOST:PORT) or on a
    local one Ray starts for the run (address None). The shared inputs go to the object
    store once. Every node needs carexport installed (the same version)."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.name = f"ray:{address or 'local'}"
        self.nodes_used: set[str] = set()  # the Ray node ids that ran a job of the last run

    def run(
        self, inputs: Inputs, jobs: Sequence[Job], on_done: Done | None = None
    ) -> list[dict[str, Any]]:
        try:
            import ray
        except ImportError as error:  # pragma: no cover - ray is a dependency
            raise CarexportError(
                "ray is not installed", hint="uv sync, or use --executor local"
            ) from error
        started_here = not ray.is_initialized()
        if started_here:
            try:
                if self.address is None:
                    ray.init(num_cpus=self.num_cpus, include_dashboard=False, log_to_driver=False)
                else:
                    ray.init(address=self.address, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise CarexportError(
                    f"cannot reach a Ray cluster at {self.address}: {error}",
                    hint="start one with `ray start --head` (see README: Scenarios on a Ray cluster) or use --executor local",
                ) from None
        try:
            task = ray.remote(num_cpus=1)(_ray_job)
            shared = ray.put(inputs)
            refs = [task.remote(shared, job) for job in jobs]
            index = {ref: i for i, ref in enumerate(refs)}
            out: list[dict[str, Any] | None] = [None] * len(jobs)
            waiting = list(refs)
            while waiting:
                ready, waiting = ray.wait(waiting, num_returns=1)
                for ref in ready:
                    i = index[ref]
                    node, out[i] = ray.get(ref)
                    self.nodes_used.add(node)
                    if on_done:
                        on_done(jobs[i], out[i])  # type: ignore[arg-type]
            return [r for r in out if r is not None]
        finally:
            if started_here:
                ray.shutdown()


def executor_for(name: str, address: str | None = None, workers: int | None = None) -> Executor:
    if name == "local":
        return LocalPool(workers)
    if name == "ray":
        return RayExecutor(address, workers if address is None else None)
    raise CarexportError(f"unknown executor {name!r}", hint="use local or ray")
