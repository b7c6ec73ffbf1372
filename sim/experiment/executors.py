"""Where tasks run: in this process, in a local process pool, or on Dask; results always come back in task order.

An executor runs a function over independent tasks (replications) and puts every result back at
its task's index, so results never depend on the executor or on the order tasks finish. A pool
worker dies with its parent and stops its task on SIGTERM, never a reply in flight.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

from ..children import default_jobs, die_with_parent


def _bar(total: int, description: str, progress: bool):
    """A progress bar (tqdm, imported on first use: it brings asyncio and more, and a child should start quickly)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, disable=not progress, leave=False)


class TaskStopped(KeyboardInterrupt):
    """A worker's task stopped by its pool (the run was interrupted or another task failed)."""


_task_running = False


def _start_worker(parent_pid: int) -> None:
    """A pool worker dies with its parent; Ctrl-C is the parent's to handle; SIGTERM stops the task, never a reply.

    A worker killed while it sends a result leaves half a message in the result pipe, and the
    pool's manager thread then waits for the rest forever. So the parent stops workers with
    SIGTERM, and a worker turns it into TaskStopped only while a task runs: the task ends with
    that exception, whose reply is sent whole, and an idle worker ignores the signal.
    """
    import signal

    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_running_task)


def _stop_running_task(signum, frame) -> None:
    if _task_running:
        raise TaskStopped()


def _in_worker(function: Callable, task):
    global _task_running
    _task_running = True
    try:
        return function(task)
    finally:
        _task_running = False


def pool_context():
    """How to start pool workers: fork (fast) only where this process runs one thread, spawn elsewhere.

    A child forked while another thread holds a lock (an import, a stream: a Jupyter kernel's
    output thread, a test runner's channel) inherits the lock held and can wait for it forever.
    """
    safe = os.name == "posix" and threading.active_count() == 1
    return multiprocessing.get_context("fork" if safe else "spawn")


# --------------------------------------------------------------------------- executors

EXECUTORS = ("local", "process", "dask")


class Executor:
    """Runs a function over independent tasks and returns the results in task order.

    Subclasses only decide *where* the tasks run; `map` always puts every result back at its
    task's index, so results never depend on the executor or on the order tasks finish.
    An executor is a context manager; `close` releases what it started (pool, cluster).
    """

    kind = "local"

    def map(self, function: Callable, tasks: list, *, progress: bool = False, description: str = "replications",
            on_result: Callable[[int, object], None] | None = None) -> list:
        """Results in task order; on_result(i, result), if given, is called here as soon as task i is done."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LocalExecutor(Executor):
    """In this process, one task after the other."""

    kind = "local"

    def map(self, function: Callable, tasks: list, *, progress: bool = False, description: str = "replications",
            on_result: Callable[[int, object], None] | None = None) -> list:
        results = []
        with _bar(len(tasks), description, progress) as bar:
            for i, task in enumerate(tasks):
                results.append(function(task))
                if on_result is not None:
                    on_result(i, results[-1])
                bar.update()
        return results


class ProcessExecutor(Executor):
    """A local process pool of `jobs` processes (default: all cores); one task runs in-process."""

    kind = "process"

    def __init__(self, jobs: int | None = None):
        self.jobs = jobs or default_jobs()

    def map(self, function: Callable, tasks: list, *, progress: bool = False, description: str = "replications",
            on_result: Callable[[int, object], None] | None = None) -> list:
        if self.jobs <= 1 or len(tasks) <= 1:
            return LocalExecutor().map(function, tasks, progress=progress, description=description, on_result=on_result)
        results = [None] * len(tasks)
        pool = ProcessPoolExecutor(max_workers=min(self.jobs, len(tasks)), mp_context=pool_context(),
                                   initializer=_start_worker, initargs=(os.getpid(),))
        try:
            with _bar(len(tasks), description, progress) as bar:
                futures = {pool.submit(_in_worker, function, task): i for i, task in enumerate(tasks)}
                for future in as_completed(futures):
                    i = futures[future]
                    results[i] = future.result()
                    if on_result is not None:
                        on_result(i, results[i])
                    bar.update()
        except BaseException:
            # Ctrl-C, SIGTERM or an error: stop the running tasks now rather than let them finish.
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return results


class DaskExecutor(Executor):
    """Dask distributed: a running scheduler (`tcp://HOST:8786`) or, without one, a LocalCluster.

    Every worker needs the same gridgov version and Python packages as this process. A task whose
    worker dies is re-run elsewhere by the scheduler (up to `distributed.scheduler.allowed-failures`
    times); each task has its own key, so a result is never lost or counted twice.
    """

    kind = "dask"

    def __init__(self, scheduler: str | None = None, jobs: int | None = None):
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - depends on the installation
            raise ImportError("the dask executor needs the 'dask' extra: pip install 'gridgov[dask]'") from None
        self.scheduler = scheduler
        self.cluster = None
        if scheduler is None:
            self.cluster = LocalCluster(n_workers=jobs or default_jobs(), threads_per_worker=1, processes=True,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            self.client = Client(scheduler)
        self._batch = 0

    def map(self, function: Callable, tasks: list, *, progress: bool = False, description: str = "replications",
            on_result: Callable[[int, object], None] | None = None) -> list:
        from distributed import as_completed as dask_as_completed

        self._batch += 1
        prefix = f"gridgov-{description.replace(' ', '_')}-{os.getpid()}-{id(self)}-{self._batch}"
        futures = self.client.map(function, tasks, key=[f"{prefix}-{i}" for i in range(len(tasks))], pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        results = [None] * len(tasks)
        with _bar(len(tasks), description, progress) as bar:
            for future in dask_as_completed(futures):
                i = index[future.key]
                results[i] = future.result()
                future.release()
                if on_result is not None:
                    on_result(i, results[i])
                bar.update()
        return results

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(kind: str = "process", jobs: int | None = None, scheduler: str | None = None) -> Executor:
    """The executor of that kind: "local" (in-process), "process" (process pool) or "dask"."""
    if kind == "local":
        return LocalExecutor()
    if kind == "process":
        return ProcessExecutor(jobs)
    if kind == "dask":
        return DaskExecutor(scheduler, jobs)
    raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {kind!r}")


def run_tasks(tasks: list, function: Callable, jobs: int = 1, progress: bool = False, description: str = "replications",
              *, executor: Executor | None = None, on_result: Callable[[int, object], None] | None = None) -> list:
    """Run function over tasks on `executor` (default: in-process for jobs=1, else a pool); results in task order.

    on_result(i, result), if given, is called in this process as soon as task i is done (to save it).
    """
    if executor is None:
        executor = LocalExecutor() if jobs <= 1 else ProcessExecutor(jobs)
    return executor.map(function, list(tasks), progress=progress, description=description, on_result=on_result)


