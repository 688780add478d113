"""What each key of a senior's multi-key remote does: raise an SOS, ask for a life service, or
nothing. The installer chooses per key; a 4-key remote starts as SOS, repair, meal, call back.

The options store a key's job as text ("sos", a service's value, "none"); this module is the
one place that reads and writes it, so nonsense is refused before it reaches the options.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from .alarms import AlarmKind
from .services.catalogue import ServiceType

type KeyJob = Literal[AlarmKind.SOS] | ServiceType

NO_JOB = "none"
# The 4-key remote's keys, in order, until the installer says otherwise.
DEFAULT_JOBS: tuple[KeyJob, ...] = (
    AlarmKind.SOS,
    ServiceType.REPAIR,
    ServiceType.MEAL,
    ServiceType.CALL_BACK,
)
# What a key may be set to, as the options form offers it.
JOB_CHOICES: tuple[str, ...] = (AlarmKind.SOS.value, *(s.value for s in ServiceType), NO_JOB)


class BadKeyJob(ValueError):
    """Text that names neither SOS, a service, nor "none"."""


def parse_job(value: str) -> KeyJob | None:
    if value == NO_JOB:
        return None
    if value == AlarmKind.SOS.value:
        return AlarmKind.SOS
    try:
        return ServiceType(value)
    except ValueError:
        raise BadKeyJob(f"a key is SOS, a service or none, not {value[:40]!r}") from None


def job_value(job: KeyJob | None) -> str:
    return NO_JOB if job is None else job.value


def default_jobs(keys: Iterable[int]) -> dict[int, KeyJob]:
    """Key n does the n-th default job; keys past the fourth do nothing until chosen."""
    return {key: DEFAULT_JOBS[key - 1] for key in keys if 1 <= key <= len(DEFAULT_JOBS)}


def parse_key_map(stored: Mapping[str, str]) -> dict[int, KeyJob]:
    """The stored {"1": "sos", "2": "repair", ...} as jobs per key number; keys with no job
    are left out. Raises BadKeyJob (or ValueError for a key that is not a number)."""
    jobs: dict[int, KeyJob] = {}
    for key, value in stored.items():
        job = parse_job(value)
        if job is not None:
            jobs[int(key)] = job
    return jobs


def default_key_for(service: ServiceType) -> int | None:
    """Which key of a remote on the default mapping asks for `service` (None: no key does)."""
    for key, job in enumerate(DEFAULT_JOBS, start=1):
        if job is service:
            return key
    return None
