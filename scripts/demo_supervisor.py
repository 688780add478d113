"""The demo's processes, each started, watched and stopped on its own.

One process stopping never takes the others down: when the care-center hub stops (asked to, or
by itself) Home Assistant and the simulated household keep running, which is the point of the
demo. Each process writes to its own log file; the terminal gets one short line per event.
Processes marked `essential` (without them there is no home) end the demo when they stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO

STOP_TIMEOUT = 20.0


class ChildState(StrEnum):
    STOPPED = "stopped"  # not started yet, or stopped on request
    RUNNING = "running"
    EXITED = "exited"  # stopped by itself


@dataclass(frozen=True)
class ChildSpec:
    key: str  # how commands name it: "hub"
    title: str  # how people read it: "the care-center hub"

    @property
    def sentence_title(self) -> str:
        return self.title[:1].upper() + self.title[1:]

    argv: list[str]
    log_path: Path
    essential: bool = False
    env: Mapping[str, str] = field(default_factory=dict)
    after_exit: str = ""  # what to tell people when it stopped by itself


class _Child:
    def __init__(self, spec: ChildSpec) -> None:
        self.spec = spec
        self.state = ChildState.STOPPED
        self.returncode: int | None = None
        self.process: asyncio.subprocess.Process | None = None
        self.watcher: asyncio.Task[None] | None = None
        self.log: IO[bytes] | None = None
        self.starts = 0


class Supervisor:
    """Starts and stops the demo's processes; `say` gets the lines for the terminal."""

    def __init__(self, cwd: Path, say: Callable[[str], None]) -> None:
        self._cwd = cwd
        self._say = say
        self._children: dict[str, _Child] = {}
        self._order: list[str] = []  # start order; stopped in reverse
        self.essential_exit = asyncio.Event()  # an essential process stopped by itself
        self.exited_essential: str | None = None

    def add(self, spec: ChildSpec) -> None:
        self._children[spec.key] = _Child(spec)

    def spec(self, key: str) -> ChildSpec:
        return self._child(key).spec

    def state(self, key: str) -> ChildState:
        return self._child(key).state

    def returncode(self, key: str) -> int | None:
        return self._child(key).returncode

    def pid(self, key: str) -> int | None:
        process = self._child(key).process
        return process.pid if process is not None and process.returncode is None else None

    async def start(self, key: str) -> None:
        """Start the process; started again, its log goes on where it stopped."""
        child = self._child(key)
        if child.state is ChildState.RUNNING:
            return
        spec = child.spec
        child.log = spec.log_path.open("ab" if child.starts else "wb")
        child.starts += 1
        # Own session: a terminal's Ctrl-C reaches only the demo, which stops them in order.
        child.process = await asyncio.create_subprocess_exec(
            *spec.argv,
            cwd=self._cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=child.log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **spec.env},
        )
        child.state, child.returncode = ChildState.RUNNING, None
        if key not in self._order:  # a restart keeps its place: stop order is start order
            self._order.append(key)
        child.watcher = asyncio.create_task(self._watch(child, child.process))

    async def stop(self, key: str) -> bool:
        """Stop the process; False when it was not running."""
        child = self._child(key)
        process = child.process
        if child.state is not ChildState.RUNNING or process is None:
            return False
        child.state = ChildState.STOPPED  # before it exits: the watcher must not report it
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                self._say(
                    f"{child.spec.sentence_title} did not stop within {STOP_TIMEOUT:.0f} s; killed."
                )
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        child.returncode = process.returncode
        if child.watcher is not None:
            await child.watcher
        return True

    async def stop_all(self, on_stop: Callable[[ChildSpec], None] | None = None) -> None:
        """Stop every running process, the last started first."""
        for key in reversed(self._order):
            if self.state(key) is ChildState.RUNNING and on_stop is not None:
                on_stop(self.spec(key))
            await self.stop(key)

    async def _watch(self, child: _Child, process: asyncio.subprocess.Process) -> None:
        code = await process.wait()
        if child.log is not None:
            child.log.close()
            child.log = None
        if child.state is not ChildState.RUNNING or child.process is not process:
            return  # stopped on request
        child.state, child.returncode = ChildState.EXITED, code
        spec = child.spec
        self._say(
            f"{spec.sentence_title} stopped by itself (exit code {code}); see {spec.log_path}."
            + (f" {spec.after_exit}" if spec.after_exit else "")
        )
        if spec.essential:
            self.exited_essential = spec.key
            self.essential_exit.set()

    def _child(self, key: str) -> _Child:
        try:
            return self._children[key]
        except KeyError:
            raise KeyError(f"no process {key!r}") from None
