"""Run a function over many items on all cores, keeping the results in order.

Workers are forked, so they share what the parent built (jobs, index, theme) without
pickling it; only the item and the result cross the process boundary.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Batches per worker: small enough that when one worker takes its last batch the other
# is never left idle for long (with 4, a cold build's read stage ended with one worker
# idle for 0.65 s; with 16, 0.2 s), large enough that handing them out costs nothing.
BATCHES_PER_JOB = 16


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def parallel_map(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], jobs: int,
                 min_batch: int = 64) -> list[R]:
    """``fn`` applied to batches of ``items`` in ``jobs`` processes; results in item order.

    ``fn`` takes a batch and returns one result per item. With one job, few items, or no
    ``fork`` on this platform, it runs in this process.
    """
    return list(parallel_imap(fn, items, jobs, min_batch))


def parallel_imap(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], jobs: int,
                  min_batch: int = 64) -> Iterator[R]:
    """Like :func:`parallel_map`, yielding results (in order) as their batches finish."""
    if jobs <= 1 or len(items) < 2 * min_batch or "fork" not in multiprocessing.get_all_start_methods():
        yield from fn(items)
        return
    size = max(min_batch, -(-len(items) // (jobs * BATCHES_PER_JOB)))
    bounds = [(i, min(i + size, len(items))) for i in range(0, len(items), size)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(jobs, len(bounds)), mp_context=context,
                             initializer=_Worker.install, initargs=(fn, items)) as pool:
        for part in pool.map(_Worker.run, bounds):
            yield from part


class Background:
    """``fn(*args)`` computed in a forked process while this one goes on (one of the cores
    is idle while the parent works alone); :meth:`result` waits for it, :meth:`close`
    ends the process if nobody asked. Without ``enabled`` (one job) or ``fork``, it is
    computed here, when first asked for. ``fn`` and its arguments are handed over by
    fork, not pickled (they may be large: an index to store); its result is pickled."""

    def __init__(self, fn: Callable[..., R], *args, enabled: bool = True):
        self._fn, self._args, self._pool, self._future = fn, args, None, None
        self._done: list = []
        if enabled and "fork" in multiprocessing.get_all_start_methods():
            self._pool = ProcessPoolExecutor(max_workers=1,
                                             mp_context=multiprocessing.get_context("fork"),
                                             initializer=_Worker.install,
                                             initargs=(_call, (fn, args)))
            self._future = self._pool.submit(_Worker.run, (0, 2))   # _call((fn, args))

    def result(self) -> R:
        if not self._done:
            if self._future is None:
                self._done.append(self._fn(*self._args))
            else:
                try:
                    self._done.append(self._future.result())
                finally:
                    self.close()
        return self._done[0]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _call(task: Sequence) -> object:
    fn, args = task
    return fn(*args)


def die_with_parent() -> None:
    """Ask Linux to kill this process (a worker, or a helper program such as pagefind, via
    ``preexec_fn``) when its parent dies, so a killed build leaves nothing running that
    could hold the build lock or keep writing into an abandoned staging folder."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)        # PR_SET_PDEATHSIG
    except (OSError, AttributeError):        # not Linux: workers end with the pool instead
        pass
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:   # it died before prctl took effect
        os._exit(1)


class _Worker:
    """The function a forked worker runs and the items it works on. Both are handed over
    by fork, not pickled (only index ranges and results cross), so the function may close
    over anything the parent holds. Set only inside worker processes."""

    fn: Callable | None = None
    items: Sequence = ()

    @classmethod
    def install(cls, fn: Callable, items: Sequence) -> None:
        cls.fn, cls.items = fn, items
        die_with_parent()
        gc.freeze()    # what the parent made is not scanned here (nor its pages copied)
        gc.enable()    # the parent pauses its collector during a build; workers collect

    @staticmethod
    def run(bounds: tuple[int, int]):
        assert _Worker.fn is not None
        parent = multiprocessing.parent_process()
        if parent is not None and os.getppid() != parent.pid:   # orphaned: do nothing more
            os._exit(1)
        return _Worker.fn(_Worker.items[bounds[0]:bounds[1]])
