"""Where the demo keeps its state and which loopback ports its processes listen on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


@dataclass(frozen=True)
class DemoPaths:
    """Everything of one demo lives below `run` (demo/.run unless --run-dir says otherwise)."""

    run: Path

    @property
    def hub_data(self) -> Path:
        return self.run / "hub"

    @property
    def hub_database(self) -> Path:
        return self.hub_data / "hub.sqlite3"

    @property
    def ha_config(self) -> Path:
        return self.run / "ha"

    @property
    def household_id_file(self) -> Path:
        return self.run / "household_id"

    @property
    def radio_state(self) -> Path:
        return self.run / "radio.json"

    @property
    def speaker(self) -> Path:
        """What the demo's home speaker played (demo/custom_components/demo_speaker)."""
        return self.ha_config / "speaker"

    def log(self, name: str) -> Path:
        return self.run / f"{name}.log"

    def password_file(self, username: str) -> Path:
        return self.run / f"{username}.password"


@dataclass(frozen=True)
class DemoPorts:
    hub: int = 8080
    ha: int = 8123
    radio: int = 8765
    household: int = 8081  # the simulated household's control endpoint
    ble: int = 8766
    panel: int = 12300
    demo: int = 8082  # the demo's own control endpoint (`python -m gateway.sim hub stop`)

    @property
    def hub_url(self) -> str:
        return f"http://{HOST}:{self.hub}"

    @property
    def ha_url(self) -> str:
        return f"http://{HOST}:{self.ha}"

    @property
    def household_url(self) -> str:
        return f"http://{HOST}:{self.household}"

    @property
    def demo_url(self) -> str:
        return f"http://{HOST}:{self.demo}"
