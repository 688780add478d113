"""How the desk words a service step that does not fit (the lifecycle itself is shared:
gateway/services/lifecycle.py, the household's and the hub's one table)."""

from __future__ import annotations

from gateway.services.lifecycle import ServiceStatus, ServiceStep, can_step

# What a step out of order needs first, for the refusal's words.
_NEEDS: dict[ServiceStep, str] = {
    ServiceStep.ACCEPTED: "a request not yet accepted",
    ServiceStep.ASSIGNED: "a request not yet arrived",
    ServiceStep.ARRIVED: "a provider assigned first",
    ServiceStep.COMPLETED: "the provider to have arrived first",
    ServiceStep.CANCELLED: "an open request",
}


class ServiceStepRefused(ValueError):
    """A step that does not fit the request's status; str() says why (shown to staff)."""


def check_service_step(status: ServiceStatus, step: ServiceStep) -> None:
    if not status.open:
        raise ServiceStepRefused(f"this request is {status} already")
    if not can_step(status, step.status):
        raise ServiceStepRefused(f"{step} needs {_NEEDS[step]}; this request is {status}")
