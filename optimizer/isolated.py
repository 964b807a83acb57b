"""Run a solver call in a child process that can be killed at a wall-clock deadline.

Why a process and not a thread: the OR-Tools Python wrapper holds the GIL for the whole search (a
thread ticking every 50 ms is starved for the 2.5 s of a solve), so a watchdog thread could never
return the fallback, and a thread cannot be stopped anyway. OR-Tools honours its time limit almost
always, but "almost" is not what a class-1 dispatch may rely on: ortools 9.15's ILS never returned on
a one-visit problem here. A forked child shares the parent's memory (the problem is not copied, only
the answer is pickled back), starts in milliseconds, and ``kill()`` ends it whatever it is doing.

Why ``fork`` and not ``forkserver``/``spawn``: those re-import the ``__main__`` module in the child,
which breaks any script without a ``__main__`` guard and costs a second to import OR-Tools. The known
hazard of forking a threaded process (a lock held by another thread stays locked in the child) can
only make the child hang, and a hung child is exactly what the deadline handles.
"""

from __future__ import annotations

import multiprocessing as mp
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

#: Windows has no fork; spawn works there too, only slower to start.
_CONTEXT = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")


class DeadlineExceededError(TimeoutError):
    """The call did not answer before its deadline; the child was killed."""


class ChildFailedError(RuntimeError):
    """The call raised in the child (message carries its traceback) or the child died."""


def _child(conn: Connection, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:  # everything must reach the parent as a message
        conn.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
    else:
        conn.send(("ok", result))
    finally:
        conn.close()


def call_with_deadline(fn: Callable[..., Any], *args: Any, deadline_s: float, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` in a child process; its result, or an exception within ``deadline_s``.

    ``fn`` and its arguments must be picklable (a module-level function and plain data). Raises
    :class:`DeadlineExceededError` when no answer came in time (the child is killed first), and
    :class:`ChildFailedError` when the child raised or died.
    """
    parent, child = _CONTEXT.Pipe(duplex=False)
    proc = _CONTEXT.Process(target=_child, args=(child, fn, args, kwargs), daemon=True)
    t0 = time.monotonic()
    proc.start()
    child.close()
    try:
        remaining = max(0.0, deadline_s - (time.monotonic() - t0))
        if not parent.poll(remaining):
            raise DeadlineExceededError(f"no answer within {deadline_s:.2f} s")
        try:
            kind, payload = parent.recv()
        except EOFError as exc:
            proc.join(timeout=0.5)
            raise ChildFailedError(f"solver process died (exit code {proc.exitcode})") from exc
        if kind == "error":
            raise ChildFailedError(payload)
        return payload
    finally:
        parent.close()
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=1.0)


