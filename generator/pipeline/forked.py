"""Half of a stage's work on the other core: a forked process computes a value while this one goes on.

`kb validate` and `kb build` collect on one core unless a stage hands part of its input to a fork:
records are parsed on both cores, and quotes are checked on both. The fork inherits everything it
reads (no arguments are pickled), and only its result comes back, pickled through a pipe.

Never under `kb serve`: forking beside the live server's threads is unsafe, and what a rebuild reuses
lives in the server's process.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "darwin"  # macOS: system libraries may not survive a fork


class ForkedError(RuntimeError):
    """The forked process ended without a result (killed, or out of memory)."""


class Forked(Generic[Result]):
    """`work()`, computed in a forked process from the moment this is made; `result()` waits for it.

    An exception in the fork is raised again by `result()`, with the fork's traceback as a note, so a bug
    fails the command as it would on one core and says where.
    Used as a context manager, a fork whose result was never asked for (this process failed first) is
    stopped on the way out rather than left waiting to write.
    """

    def __init__(self, work: Callable[[], Result]) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the fork: compute, send, and leave without running the parent's exit handlers
            os.close(read_end)
            status = 0
            try:
                try:
                    outcome: tuple[bool, object] = (True, work())
                except BaseException as exc:  # noqa: BLE001 - the parent raises it again
                    exc.add_note("In the forked process:\n" + traceback.format_exc().rstrip())
                    outcome = (False, exc)
                try:
                    data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception as exc:  # noqa: BLE001 - an exception that cannot be pickled: say what it was
                    data = pickle.dumps((False, ForkedError(f"the forked helper failed: {outcome[1]!r}: {exc}")))
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(data)
            except BaseException:  # noqa: BLE001 - e.g. the parent stopped reading; it reports that itself
                status = 1
            finally:
                os._exit(status)
        os.close(write_end)
        self._pid, self._read_end = pid, read_end
        self._waited = False

    def __enter__(self) -> Forked[Result]:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop(signal.SIGKILL)

    def stop(self, signum: int) -> None:
        """End the fork with `signum` (SIGTERM lets it clean up first) and wait for it, unless it was waited for."""
        if not self._waited:
            os.kill(self._pid, signum)
            os.close(self._read_end)
            os.waitpid(self._pid, 0)
            self._waited = True

    def result(self) -> Result:
        with os.fdopen(self._read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self._pid, 0)
        self._waited = True
        if not data:
            raise ForkedError(f"the forked helper process ended without a result (wait status {status})")
        ok, value = pickle.loads(data)
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]


@contextlib.contextmanager
def part_beside(
    part: Sequence[Item], work: Callable[[Sequence[Item]], list[Result]]
) -> Iterator[Callable[[], list[Result]]]:
    """A function that gives `work(part)`, computed by a forked process from now on while the caller does the rest
    of the stage; an empty part forks nothing."""
    if not part:
        yield list
        return
    with Forked(lambda: work(part)) as other:
        yield other.result
