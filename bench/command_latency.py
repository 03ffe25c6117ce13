"""Console command → terminal acknowledgement latency.

One simulated terminal long-polls ``GET /api/v1/terminal/commands`` and acks
each command at once; an operator session POSTs ``--commands`` commands
through the console form one after another. Latency = from sending the
console POST to the hub accepting the ack. Prints p50/p99/max.

Cases: SQLite with one hub process (in-process wake-up), and PostgreSQL with
two hub processes where the console and the terminal use *different*
processes (delivery through the per-process poller, DESIGN §5).

    PYTHONPATH=. .venv/bin/python -m bench.command_latency --db sqlite postgres

(``bench/wrapped.py`` calls :func:`measure` for ``make bench``; keep its signature.)
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

try:  # as part of the bench package (python -m bench.command_latency, bench/wrapped.py)
    from bench.hub_heartbeats import hub_processes, postgres_cluster, prepare_schema
except ImportError:  # as a script: bench/command_latency.py
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from hub_heartbeats import (  # type: ignore[import-not-found,no-redef]
        hub_processes,
        postgres_cluster,
        prepare_schema,
    )

ADMIN_PASSWORD = "huimin-demo"  # the default bootstrap password (hub settings)


class Terminal(threading.Thread):
    """Long-polls and acks every command; records when each ack was accepted."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=40
        )
        self.acked: dict[int, float] = {}
        self.stop = threading.Event()
        self.changed = threading.Condition()

    def run(self) -> None:
        while not self.stop.is_set():
            commands = self.client.get("/api/v1/terminal/commands", params={"wait": 5}).json()
            for command in commands:
                reply = self.client.post(
                    f"/api/v1/terminal/commands/{command['id']}/ack",
                    json={"ok": True, "result": "bench"},
                )
                assert reply.status_code == 204, reply.text
                with self.changed:
                    self.acked[int(command["id"])] = time.perf_counter()
                    self.changed.notify_all()


def console_session(url: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=url, timeout=30)
    form = client.get("/console/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    reply = client.post(
        "/console/login",
        data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token.group(1)},
    )
    assert reply.status_code == 303, reply.text[:300]
    return client, str(client.get("/console/whoami").json()["csrf_token"])


def measure(console_url: str, terminal_url: str, count: int) -> list[float]:
    enrolled = httpx.post(
        f"{terminal_url}/api/v1/terminal/enrol",
        json={"code": "DEMO-ENROL", "name": "latency", "place": {"county": "兰考县"}},
        timeout=30,
    ).json()
    terminal = Terminal(terminal_url, enrolled["token"])
    terminal.start()
    console, csrf = console_session(console_url)
    time.sleep(0.5)
    latencies = []
    for i in range(count):
        sent = time.perf_counter()
        reply = console.post(
            f"/console/terminals/{enrolled['terminal_id']}/commands",
            data={"kind": "set_volume", "step": str(2 if i % 2 else 4), "csrf_token": csrf},
        )
        assert reply.status_code == 303, reply.text[:300]
        deadline = sent + 15
        with terminal.changed:
            while len(terminal.acked) <= i and time.perf_counter() < deadline:
                terminal.changed.wait(0.5)
        if len(terminal.acked) <= i:
            raise RuntimeError(f"command {i} not acknowledged within 15 s")
        latencies.append(max(terminal.acked.values()) - sent)
    terminal.stop.set()
    return latencies


def report(name: str, latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"{name}: n={len(ordered)} p50 {statistics.median(ordered) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    parser.add_argument("--commands", type=int, default=200)
    args = parser.parse_args(argv)
    lines = []
    for db in args.db:
        with tempfile.TemporaryDirectory() as tmp:
            if db == "sqlite":
                url = f"sqlite:///{tmp}/hub.db"
                prepare_schema(url)
                with hub_processes(url, 1, Path(tmp)) as urls:
                    lines.append(
                        report("sqlite, 1 process", measure(urls[0], urls[0], args.commands))
                    )
            else:
                with postgres_cluster() as url:
                    prepare_schema(url)
                    with hub_processes(url, 2, Path(tmp)) as urls:
                        lines.append(
                            report(
                                "postgresql, console and terminal on different processes",
                                measure(urls[1], urls[0], args.commands),
                            )
                        )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
