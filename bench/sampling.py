"""CPU and memory of processes, read from /proc (Linux), and how busy the machine was."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass
from multiprocessing.context import SpawnProcess
from pathlib import Path

_BROWSER_NAMES = ("chromium", "chrome", "headless_shell")


@dataclass(frozen=True, slots=True)
class ProcSample:
    """One reading of /proc for a process: CPU seconds (all threads and per thread), memory."""

    wall: float
    cpu: float
    threads: dict[int, float]
    rss_mb: float
    peak_rss_mb: float
    machine_busy: float  # CPU seconds of every process on the machine (/proc/stat)


def _machine_busy() -> float:
    """Busy CPU seconds of all cores since boot: everything but idle and iowait."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _cpu_of_stat(path: Path) -> float:
    text = path.read_text()
    fields = text[text.rindex(")") + 2 :].split()
    # Fields 14 and 15 of proc(5): utime and stime, in clock ticks; fields[0] is field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def sample_process(pid: int) -> ProcSample:
    threads: dict[int, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError):
            threads[int(task.name)] = _cpu_of_stat(task / "stat")
    return ProcSample(
        wall=time.monotonic(),
        cpu=_cpu_of_stat(Path(f"/proc/{pid}/stat")),
        threads=threads,
        rss_mb=_status_mb(pid, "VmRSS"),
        peak_rss_mb=_status_mb(pid, "VmHWM"),
        machine_busy=_machine_busy(),
    )


def processes_cpu(processes: list[SpawnProcess]) -> float:
    """CPU seconds of these processes so far (one that is gone counts nothing)."""
    total = 0.0
    for process in processes:
        with contextlib.suppress(OSError):
            total += _cpu_of_stat(Path(f"/proc/{process.pid}/stat"))
    return total


def cpu_percent(first: ProcSample, last: ProcSample) -> float:
    return 100 * (last.cpu - first.cpu) / max(last.wall - first.wall, 1e-9)


def describe_cpu(pid: int, first: ProcSample, last: ProcSample) -> str:
    """Whole process, then the event-loop thread (the main one) and the others."""
    elapsed = max(last.wall - first.wall, 1e-9)
    loop = last.threads.get(pid, 0.0) - first.threads.get(pid, 0.0)
    others = sum(
        cpu - first.threads.get(tid, 0.0) for tid, cpu in last.threads.items() if tid != pid
    )
    return (
        f"{cpu_percent(first, last):.0f} % of one core (event-loop thread"
        f" {100 * loop / elapsed:.0f} %, database and other threads {100 * others / elapsed:.0f} %)"
    )


def describe_machine(first: ProcSample, last: ProcSample, clients_cpu: float) -> str:
    """How busy the whole machine was, and how much of that was neither hub nor load."""
    elapsed = max(last.wall - first.wall, 1e-9)
    busy = 100 * (last.machine_busy - first.machine_busy) / elapsed
    hub, clients = cpu_percent(first, last), 100 * clients_cpu / elapsed
    cores = os.cpu_count() or 1
    return (
        f"{busy:.0f} % busy of {100 * cores} % ({cores} cores): hub {hub:.0f} %, load generator"
        f" {clients:.0f} %, other processes {max(0.0, busy - hub - clients):.0f} %"
    )


def wait_idle(pids: tuple[int, ...], seconds: float = 5.0) -> None:
    """Wait (at most `seconds`) until these processes are idle, so what one phase left behind
    (a WAL checkpoint, log lines) is not measured in the next."""
    deadline = time.monotonic() + seconds
    previous = [sample_process(pid) for pid in pids]
    while time.monotonic() < deadline:
        time.sleep(0.1)
        current = [sample_process(pid) for pid in pids]
        if all(cpu_percent(a, b) < 5 for a, b in zip(previous, current, strict=True)):
            return
        previous = current


async def cpu_between(start: float, end: float) -> float:
    """This process's CPU seconds between two monotonic instants."""
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    before = time.process_time()
    await asyncio.sleep(max(0.0, end - time.monotonic()))
    return time.process_time() - before


def cpu_pressure() -> float | None:
    """Seconds, since boot, in which some runnable task of the machine waited for a core
    (Linux pressure stall information); None where the kernel does not provide it."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        return int(some.rsplit("total=", 1)[1]) / 1e6
    return None


def browser_cpu() -> dict[int, float]:
    """CPU seconds of every Chromium process under this one (Playwright's driver starts it)."""
    parents: dict[int, int] = {}
    browsers: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = (entry / "stat").read_text()
            name, fields = (
                text[text.index("(") + 1 : text.rindex(")")],
                text[text.rindex(")") + 2 :],
            )
            parents[int(entry.name)] = int(fields.split()[1])
            if name.startswith(_BROWSER_NAMES):
                browsers[int(entry.name)] = sample_process(int(entry.name)).cpu
    ours = {os.getpid()}
    grew = True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in ours} - ours
        grew = bool(found)
        ours |= found
    return {pid: cpu for pid, cpu in browsers.items() if pid in ours}
