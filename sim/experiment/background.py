"""Runs in the background for a live page: replications in worker processes, progress as they finish, cancel at once.

A page (the explorer, the staffing view) submits a study and keeps answering its reader: the
replications run in a small process pool, each finished one is reported through a callback,
and the whole study comes back as `Replications` through another. Submitting a new study
cancels the one before it (a newer lever setting makes it obsolete): its queued replications
are dropped, a replication already handed to a worker checks the study's generation before it
starts and skips itself, and a running one is stopped by the worker itself: a watch thread in
each worker sees the generation move on and interrupts the task (TaskStopped; the worker stays
alive, see `executors`). Results are those of `replicate_many` with the same scenarios,
replications and seed: the same tasks, in task order.

The workers are started with "spawn", never "fork": a page lives in a process with threads (a
Jupyter kernel, the debounce timer, the pool's own threads), and a child forked while another
thread holds a lock (an import, a stream) can wait for it forever. They are started when the
pool is made, so the first study does not wait for their imports. The parent never signals a
worker: a signal can reach a worker still starting, before it can handle one, and kill it.
"""

from __future__ import annotations

import _thread
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from ..children import default_jobs
from ..params import Scenario
from .executors import _in_worker, _start_worker
from .runs import Replications, Run, collect, simulate

WATCH_S = 0.05  # how often a worker's watch thread looks whether its study was cancelled

_generation = None  # in a worker: the pool's shared counter of the current study
_running_study: int | None = None  # in a worker: the study of the replication running now


def _start(parent_pid: int, generation) -> None:
    global _generation
    _start_worker(parent_pid)
    _generation = generation
    threading.Thread(target=_watch, name="gridgov-cancel-watch", daemon=True).start()


def _watch() -> None:
    """Stop the running replication once its study is no longer the current one."""
    while True:
        time.sleep(WATCH_S)
        study = _running_study
        if study is not None and _generation is not None and _generation.value != study:
            _thread.interrupt_main(signal.SIGTERM)  # executors' handler: TaskStopped while a task runs


def _replication(task: tuple[int, Scenario, int, int, bool]) -> Run | None:
    """One replication of a study, or None if the study was cancelled before it started."""
    global _running_study
    study, scenario, seed, replication, keep_log = task
    if _generation is not None and _generation.value != study:
        return None
    _running_study = study
    try:
        return _in_worker(lambda _: simulate(scenario, seed, replication, case_log=keep_log), None)
    finally:
        _running_study = None


def _ready() -> None:
    """A task that does nothing: submitted once per worker when the pool is made, so the workers start then."""


@dataclass
class Study:
    """One submitted study: its tasks, how many have finished, and whether it was cancelled."""

    number: int
    total: int
    done: int = 0
    cancelled: bool = False
    futures: list[Future] = field(default_factory=list)


class BackgroundRuns:
    """A process pool that runs one study at a time; a new study cancels the previous one.

    Callbacks run in the pool's result thread, never in the caller's: a page updates its widgets
    from there (ipywidgets sends the change to the browser from any thread).
    """

    def __init__(self, jobs: int | None = None):
        self.jobs = max(1, jobs or default_jobs())
        self._lock = threading.Lock()
        self._context = multiprocessing.get_context("spawn")
        self._generation = self._context.Value("i", 0)
        self._pool: ProcessPoolExecutor | None = None
        self.current: Study | None = None
        self._ensure_pool()

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=self._context, initializer=_start,
                                             initargs=(os.getpid(), self._generation))
            for _ in range(self.jobs):
                self._pool.submit(_ready)
        return self._pool

    def submit(self, scenarios: list[Scenario], replications: int, seed: int = 0, *, keep_case_log: bool = True,
               on_progress: Callable[[int, int], None] | None = None,
               on_done: Callable[[Replications], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None) -> Study:
        """Start a study (cancelling the running one); on_progress(done, total) after each replication,
        on_done(results) or on_error(error) once at the end. A cancelled study calls neither."""
        tasks = [(s, seed, r, keep_case_log and r == 0) for s in scenarios for r in range(replications)]
        with self._lock:
            self._cancel_locked()
            self._generation.value += 1
            study = Study(self._generation.value, len(tasks))
            self.current = study
            runs: list[Run | None] = [None] * len(tasks)
            callbacks = (on_progress, on_done, on_error)
            for i, task in enumerate(tasks):
                self._submit_task(study, i, task, runs, callbacks)
        return study

    def _submit_task(self, study: Study, i: int, task: tuple, runs: list, callbacks: tuple) -> None:
        try:
            future = self._ensure_pool().submit(_replication, (study.number, *task))
        except BrokenProcessPool:  # a worker died (killed from outside): the page goes on with a fresh pool
            self._drop_pool()
            future = self._ensure_pool().submit(_replication, (study.number, *task))
        future.add_done_callback(lambda f: self._finished(study, i, f, runs, callbacks))
        study.futures.append(future)

    def _finished(self, study: Study, i: int, future: Future, runs: list, callbacks: tuple) -> None:
        on_progress, on_done, on_error = callbacks
        if study.cancelled or future.cancelled():
            return
        error = future.exception()
        if error is not None:  # a TaskStopped comes only with a cancelled study: the error is real
            with self._lock:
                if study.cancelled:
                    return
                self._cancel_locked()
            if on_error is not None:
                on_error(error)
            return
        runs[i] = future.result()
        with self._lock:
            if study.cancelled:
                return
            study.done += 1
            finished = study.done == study.total
        if on_progress is not None:
            on_progress(study.done, study.total)
        if finished and on_done is not None:
            on_done(collect([run for run in runs if run is not None]))

    def cancel(self) -> None:
        """Cancel the running study, if any: queued replications dropped, running ones stopped."""
        with self._lock:
            self._cancel_locked()

    def _cancel_locked(self) -> None:
        study = self.current
        if study is None or study.cancelled or study.done == study.total:
            return  # a finished study has delivered its results: nothing to cancel
        study.cancelled = True
        self._generation.value += 1  # a replication already handed to a worker skips itself
        for future in study.futures:
            future.cancel()  # queued ones; a running one is stopped by its worker's watch thread

    def busy(self) -> bool:
        study = self.current
        return study is not None and not study.cancelled and study.done < study.total

    def _drop_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        self.cancel()
        self._drop_pool()
