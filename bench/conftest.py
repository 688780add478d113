"""The test suite's fixtures (a real hub, an enrolled eldercare entry) for the benchmarks."""

from tests.conftest import hub_server  # noqa: F401 (fixtures are found by name)
from tests.integration.conftest import (  # noqa: F401
    auto_enable_custom_integrations,
    core_services,
    enrolled_entry,
)
