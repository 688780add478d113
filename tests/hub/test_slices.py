"""The hub's slices stay layered (read from the source with `ast`, as the import-circle test
does): hub/policy.py and hub/infra import nothing of the hub, the core imports no feature
slice, and a feature slice imports none of the others (they meet in the core's state)."""

from __future__ import annotations

from tests.test_import_cycles import import_graph, part_graph

BELOW = {
    "hub.policy": set(),
    "hub.infra": set(),
    "hub.core": {"hub.infra", "hub.policy"},
    "hub.web": {"hub.core", "hub.infra", "hub.policy"},
}
FEATURES = (
    "hub.people",
    "hub.gateways",
    "hub.desk",
    "hub.households",
    "hub.family",
    "hub.reports",
    "hub.panels",
    "hub.services",
)


def _hub_parts() -> dict[str, set[str]]:
    parts = part_graph(import_graph())
    return {
        name: {t for t in targets if t.startswith("hub.")}
        for name, targets in parts.items()
        if name.startswith("hub.")
    }


def test_the_lower_layers_import_nothing_above_them() -> None:
    parts = _hub_parts()
    for name, allowed in BELOW.items():
        assert parts[name] <= allowed, f"{name} imports {sorted(parts[name] - allowed)}"


def test_a_feature_slice_imports_only_the_layers_below() -> None:
    parts = _hub_parts()
    for name in FEATURES:
        above = parts[name] - set(BELOW)
        assert not above, f"{name} imports {sorted(above)}"
