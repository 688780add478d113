"""The care-center hub as its operators run it: `python -m hub` commands and server process."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from hub.app import DATABASE_FILE
from hub.infra.keys import METRICS_TOKEN_FILE

from .stock_ha import free_port, http


class HubProcess:
    def __init__(self, data_dir: Path, output: Path) -> None:
        self.data_dir = data_dir
        self.output = output
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, *args: str) -> str:
        """One administration command (`household add`, `enrollment-code`); its output."""
        result = subprocess.run(
            [sys.executable, "-m", "hub", "--data", str(self.data_dir), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def start(self) -> None:
        with self.output.open("wb") as output:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "hub", "--data", str(self.data_dir)),
                    *("--host", "127.0.0.1", "--port", str(self.port), "--log-format", "text"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"the hub exited ({self.process.returncode})\n{self.log()}")
        return http("GET", f"{self.url}/login", timeout=5)[0] == 200

    def metric(self, name: str) -> float | None:
        """One unlabelled value of the hub's GET /metrics (what its Prometheus scrapes)."""
        token = (self.data_dir / METRICS_TOKEN_FILE).read_text().strip()
        status, text = http("GET", f"{self.url}/metrics", token=token, timeout=5)
        if status != 200:
            return None
        values = [line.split()[1] for line in str(text).splitlines() if line.startswith(name + " ")]
        return float(values[0]) if values else None

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        """Rows of the hub's database, opened read-only beside the running hub."""
        uri = f"file:{self.data_dir / DATABASE_FILE}?mode=ro"
        with sqlite3.connect(uri, uri=True) as db:
            return db.execute(sql).fetchall()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        text = self.output.read_text(errors="replace") if self.output.exists() else ""
        return "--- hub output ---\n" + "\n".join(text.splitlines()[-60:])
