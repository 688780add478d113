"""Load processes: spawned one per share, each with a pipe back to the benchmark."""

from __future__ import annotations

import multiprocessing
import resource
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from typing import Any

# spawn, not fork: a load process must not inherit the benchmark's event loop or threads.
_SPAWN = multiprocessing.get_context("spawn")


def raise_fd_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit (inherited by the hub and the load processes)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft


def run_workers(
    target: Callable[..., None], shares: list[tuple[Any, ...]]
) -> tuple[list[SpawnProcess], list[Connection]]:
    """One spawned process per share; each gets its args plus its end of a pipe."""
    processes, pipes = [], []
    for args in shares:
        ours, theirs = _SPAWN.Pipe()
        process = _SPAWN.Process(target=target, args=(*args, theirs), daemon=True)
        process.start()
        theirs.close()
        processes.append(process)
        pipes.append(ours)
    return processes, pipes


def receive(pipe: Connection, timeout: float, what: str) -> Any:
    """The next message of a load process; its traceback is on stderr if it died."""
    try:
        if not pipe.poll(timeout):
            raise TimeoutError(f"no {what} from a load process within {timeout:.0f} s")
        return pipe.recv()
    except EOFError as err:
        raise RuntimeError(f"a load process died before its {what} (see above)") from err


def stop_workers(processes: list[SpawnProcess]) -> None:
    for process in processes:
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)


def split[T](items: list[T], parts: int) -> list[list[T]]:
    """Round robin into at most `parts` non-empty shares."""
    return [items[index::parts] for index in range(parts) if items[index::parts]]
