"""Heartbeat throughput of the hub (DESIGN §5: one row UPDATE per heartbeat).

Enrols ``--terminals`` simulated terminals, then hammers
``POST /api/v1/terminal/heartbeat`` for ``--duration`` seconds from
``--clients`` load processes, each keeping ``--connections`` keep-alive
connections busy with pre-built requests (raw asyncio streams: the load
generator must cost the hub's cores as little as possible — they share the
machine). Three runs; prints heartbeats/s median and min–max.

Targets (2 cores): ≥ 2,500/s on SQLite with one hub process, ≥ 3,500/s on
PostgreSQL with two hub processes (round robin over two ports).

    PYTHONPATH=. .venv/bin/python -m bench.hub_heartbeats --db sqlite postgres

(``bench/wrapped.py`` calls :func:`run_case` and the helpers for ``make
bench``; keep their signatures.)

The helpers here (temporary PostgreSQL cluster, hub processes, enrolment)
are reused by ``bench/command_latency.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
DEMO_CODE = "DEMO-ENROL"
# How to start a hub process; HUIMIN_HUB_COMMAND (space-separated) replaces
# ``-m hub``, e.g. to benchmark a profiling wrapper.
HUB_COMMAND = os.environ.get("HUIMIN_HUB_COMMAND", "-m hub").split()

HEARTBEAT = {
    "version": "1.0.0",
    "uptime_s": 3600,
    "devices": [
        {"device": "idcard", "state": "online", "paper": "notsupp", "detail": "", "since": None},
        {"device": "printer", "state": "online", "paper": "full", "detail": "", "since": None},
        {"device": "speech", "state": "online", "paper": "notsupp", "detail": "", "since": None},
    ],
    "disk_free_mb": 20000,
    "memory_rss_mb": 150.5,
    "journal_backlog": 0,
    "screen": "attract",
    "session_state": "ATTRACT",
    "maintenance": False,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """A throw-away PostgreSQL cluster (run as the postgres user); yields a database URL."""
    root = Path(tempfile.mkdtemp(prefix="huimin-bench-pg-"))
    shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()

    def as_pg(*args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, timeout=120
        )

    as_pg(
        str(PG_BIN / "initdb"),
        "-D",
        str(data),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
    )
    # synchronous_commit=off: heartbeats are replaceable status, and a county
    # server would set it for the hub's role; reported with the figures.
    opts = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 "
        "-c max_connections=200 -c synchronous_commit=off"
    )
    as_pg(
        str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start"
    )
    try:
        as_pg(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "hub")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/hub"
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            as_pg(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def prepare_schema(database_url: str) -> None:
    """Migrations, then any fleet/service table they do not cover yet."""
    import hub.fleet.models
    import hub.services.models  # noqa: F401
    from hub import schema
    from hub.db import Base, make_engine

    engine = make_engine(database_url)
    schema.upgrade(engine)
    Base.metadata.create_all(engine)
    engine.dispose()


@contextlib.contextmanager
def hub_processes(
    database_url: str, count: int, workdir: Path, interval_s: int = 30, extra_config: str = ""
) -> Iterator[list[str]]:
    """``count`` ``python -m hub`` processes on one database; yields their base URLs."""
    config = workdir / "hub.toml"
    config.write_text(
        "[hub]\n"
        'secret_key = "bench-secret-0123456789abcdef"\n'
        f"heartbeat_interval_s = {interval_s}\n"
        f'catalogue_path = "{REPO / "config" / "catalogue.json"}"\n' + extra_config,
        encoding="utf-8",
    )
    procs, urls = [], []
    try:
        for i in range(count):
            port_file = workdir / f"port{i}"
            proc = subprocess.Popen(
                [
                    sys.executable,
                    *HUB_COMMAND,
                    "--config",
                    str(config),
                    "--port",
                    "0",
                    "--port-file",
                    str(port_file),
                    "--database-url",
                    database_url,
                ],
                cwd=REPO,
                env=dict(os.environ, PYTHONPATH=str(REPO)),
            )
            procs.append(proc)
            deadline = time.monotonic() + 60
            while not port_file.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("hub process did not start")
                time.sleep(0.05)
            urls.append(f"http://127.0.0.1:{port_file.read_text().strip()}")
        for url in urls:
            wait_healthy(url)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_healthy(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} not healthy")
        time.sleep(0.1)


def post_json(url: str, body: object, token: str | None = None) -> dict[str, object]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        data: dict[str, object] = json.loads(r.read() or b"{}")
        return data


def enrol_many(url: str, count: int) -> list[str]:
    """Enrol ``count`` terminals with the demo code; their tokens."""
    tokens = []
    for i in range(count):
        reply = post_json(
            f"{url}/api/v1/terminal/enrol",
            {
                "code": DEMO_CODE,
                "name": f"bench-{i}",
                "place": {"county": "兰考县", "town": f"镇{i % 16}", "village": f"村{i}"},
            },
        )
        tokens.append(str(reply["token"]))
    return tokens


def _request_bytes(host_port: str, token: str) -> bytes:
    body = json.dumps(HEARTBEAT, separators=(",", ":")).encode()
    head = (
        f"POST /api/v1/terminal/heartbeat HTTP/1.1\r\nHost: {host_port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


async def _connection(
    host: str, port: int, requests: list[bytes], stop_at: float, counts: list[int], once: bool
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = 0
    try:
        while time.monotonic() < stop_at and not (once and i >= len(requests)):
            writer.write(requests[i % len(requests)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            if head.startswith(b"HTTP/1.1 200"):
                counts[0] += 1
            else:
                counts[1] += 1
    finally:
        writer.close()


def _load_process(
    urls: list[str],
    tokens: list[str],
    connections: int,
    duration: float,
    start_at: float,
    out: mp.Queue,
    once: bool,
) -> None:
    async def main() -> list[int]:
        counts = [0, 0]
        while time.time() < start_at:
            await asyncio.sleep(0.01)
        stop_at = time.monotonic() + duration
        tasks = []
        for c in range(connections):
            url = urls[c % len(urls)]
            host_port = url.split("//", 1)[1]
            host, port = host_port.split(":")
            mine = [_request_bytes(host_port, t) for t in tokens[c::connections]] or [
                _request_bytes(host_port, tokens[0])
            ]
            tasks.append(_connection(host, int(port), mine, stop_at, counts, once))
        await asyncio.gather(*tasks)
        return counts

    try:
        import uvloop

        ok, errors = uvloop.run(main())
    except ImportError:
        ok, errors = asyncio.run(main())
    out.put((ok, errors))


def hammer(
    urls: list[str],
    tokens: list[str],
    clients: int,
    connections: int,
    duration: float,
    once: bool = False,
) -> tuple[float, int]:
    """(heartbeats/s answered 200, non-200 answers) over ``duration`` seconds
    (``once``: every terminal sends one heartbeat, bounded by ``duration``)."""
    out: mp.Queue = mp.Queue()
    start_at = time.time() + 0.5
    procs = [
        mp.Process(
            target=_load_process,
            args=(urls, tokens[i::clients], connections, duration, start_at, out, once),
        )
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=duration + 60) for _ in procs]
    for p in procs:
        p.join(timeout=10)
    return sum(r[0] for r in results) / duration, sum(r[1] for r in results)


def run_case(name: str, database_url: str, processes: int, args: argparse.Namespace) -> list[float]:
    prepare_schema(database_url)
    with (
        tempfile.TemporaryDirectory() as tmp,
        hub_processes(database_url, processes, Path(tmp)) as urls,
    ):
        t0 = time.monotonic()
        tokens = enrol_many(urls[0], args.terminals)
        print(f"[{name}] enrolled {len(tokens)} terminals in {time.monotonic() - t0:.1f} s")
        # Warm-up: each terminal's first heartbeat takes the full path (history, alerts).
        hammer(urls, tokens, args.clients, args.connections, 120.0, once=True)
        rates = []
        for run in range(args.runs):
            rate, errors = hammer(urls, tokens, args.clients, args.connections, args.duration)
            rates.append(rate)
            print(f"[{name}] run {run + 1}: {rate:,.0f} heartbeats/s ({errors} non-200)")
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    parser.add_argument("--terminals", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=2, help="load-generator processes")
    parser.add_argument(
        "--connections", type=int, default=16, help="keep-alive connections per client"
    )
    args = parser.parse_args(argv)
    targets = {"sqlite": 2500.0, "postgres": 3500.0}
    summary = []
    for db in args.db:
        if db == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                rates = run_case("sqlite, 1 process", f"sqlite:///{tmp}/hub.db", 1, args)
        else:
            with postgres_cluster() as url:
                rates = run_case("postgresql, 2 processes", url, 2, args)
        med = statistics.median(rates)
        verdict = "OK" if med >= targets[db] else "BELOW TARGET"
        summary.append(
            f"{db}: median {med:,.0f}/s (min {min(rates):,.0f}, max {max(rates):,.0f}) "
            f"target {targets[db]:,.0f}/s {verdict}"
        )
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
