"""The command channel at fleet scale (issue 18): one hub process holding
``--polls`` open command long-polls (``GET /api/v1/terminal/commands?wait=60``,
opened from a separate process on loopback) must sustain at least 80 % of
its heartbeat rate without them.

Steps: terminals are written straight into a fresh SQLite database (setup,
not measured); one hub process; heartbeats/s without long-polls (median of
``--runs``); then the long-polls are opened and held (each answered poll is
sent again at once, as an agent does), and the heartbeat rate is measured
again while they are held. Prints both rates, the ratio and how many polls
were open while measuring.

    PYTHONPATH=. .venv/bin/python -m bench.ota_longpolls --polls 10000
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.hub_heartbeats import hammer, hub_processes, prepare_schema

TARGET_RATIO = 0.8


def make_terminals(database_url: str, count: int) -> list[str]:
    """``count`` enrolled terminals written directly; their bearer tokens."""
    from sqlalchemy import insert

    from hub.db import make_engine
    from hub.fleet.auth import hash_token, new_token
    from hub.fleet.clock import utcnow
    from hub.fleet.models import Terminal

    tokens = [new_token() for _ in range(count)]
    engine = make_engine(database_url)
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(Terminal),
            [
                {
                    "name": f"lp-{i}",
                    "county": "兰考县",
                    "town": f"镇{i % 16}",
                    "village": f"村{i}",
                    "token_hash": hash_token(token),
                    "enrolled_at": now,
                }
                for i, token in enumerate(tokens)
            ],
        )
    engine.dispose()
    return tokens


def _holder(
    host: str,
    port: int,
    tokens: list[str],
    open_over_s: float,
    status: Any,
    stop: Any,
) -> None:
    """Open one long-poll per token and keep it open until ``stop``."""
    counts = {"open": 0, "answers": 0, "errors": 0}

    async def poll(token: str) -> None:
        request = (
            f"GET /api/v1/terminal/commands?wait=60 HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
        while not stop.is_set():
            try:
                reader, writer = await asyncio.open_connection(host, port)
            except OSError:
                counts["errors"] += 1
                await asyncio.sleep(1)
                continue
            try:
                while not stop.is_set():
                    writer.write(request)
                    counts["open"] += 1
                    head = await reader.readuntil(b"\r\n\r\n")
                    counts["open"] -= 1
                    counts["answers"] += 1
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line[:15].lower() == b"content-length:":
                            length = int(line[15:])
                    if length:
                        await reader.readexactly(length)
            except (OSError, asyncio.IncompleteReadError):
                counts["errors"] += 1
                counts["open"] = max(0, counts["open"] - 1)
            finally:
                writer.close()

    async def main() -> None:
        tasks: list[asyncio.Task[None]] = []

        async def open_all() -> None:
            for i, token in enumerate(tokens):
                tasks.append(asyncio.create_task(poll(token)))
                if i % 100 == 99:
                    # Spread over ``open_over_s``, as a fleet's terminals start at
                    # different moments (all at once only after a hub restart).
                    await asyncio.sleep(open_over_s * 100 / len(tokens))

        opener = asyncio.create_task(open_all())
        while not stop.is_set():
            status.put(dict(counts))
            await asyncio.sleep(1)
        opener.cancel()
        for task in tasks:
            task.cancel()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


def measure(args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{tmp}/hub.db"
        prepare_schema(database_url)
        tokens = make_terminals(database_url, args.polls + args.beaters)
        beaters, pollers = tokens[: args.beaters], tokens[args.beaters :]
        with hub_processes(database_url, 1, Path(tmp)) as urls:
            hammer(urls, beaters, args.clients, args.connections, 120.0, once=True)
            without = [
                hammer(urls, beaters, args.clients, args.connections, args.duration)[0]
                for _ in range(args.runs)
            ]
            print(f"heartbeats/s without long-polls: {[round(r) for r in without]}", flush=True)
            host, port = urls[0].split("//", 1)[1].split(":")
            status: Any = mp.Queue()
            stop = mp.Event()
            holder = mp.Process(
                target=_holder, args=(host, int(port), pollers, args.open_over, status, stop)
            )
            holder.start()
            counts: dict[str, int] = {"open": 0}
            deadline = time.monotonic() + args.open_timeout
            while time.monotonic() < deadline:
                counts = status.get(timeout=30)
                if counts["open"] >= args.polls:
                    break
            print(f"long-polls open: {counts}", flush=True)
            time.sleep(args.settle)
            with_polls = []
            held = []
            for _ in range(args.runs):
                with_polls.append(
                    hammer(urls, beaters, args.clients, args.connections, args.duration)[0]
                )
                while not status.empty():
                    counts = status.get()
                held.append(counts["open"])
            print(f"heartbeats/s with long-polls: {[round(r) for r in with_polls]}", flush=True)
            print(f"long-polls open after each run: {held}", flush=True)
            stop.set()
            holder.join(20)
            if holder.is_alive():
                holder.kill()
    base, loaded = statistics.median(without), statistics.median(with_polls)
    return {
        "heartbeats_per_s_without": base,
        "heartbeats_per_s_with": loaded,
        "ratio": loaded / base if base else 0.0,
        "polls_held_min": float(min(held)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--polls", type=int, default=10_000)
    parser.add_argument("--beaters", type=int, default=1000, help="terminals sending heartbeats")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--open-over", type=float, default=60.0, help="seconds to open them in")
    parser.add_argument("--open-timeout", type=float, default=180.0)
    args = parser.parse_args(argv)
    figures = measure(args)
    verdict = (
        "OK"
        if figures["ratio"] >= TARGET_RATIO and figures["polls_held_min"] >= args.polls
        else "BELOW TARGET"
    )
    print(
        f"long-polls held: {figures['polls_held_min']:.0f}; heartbeats/s "
        f"{figures['heartbeats_per_s_without']:,.0f} without, "
        f"{figures['heartbeats_per_s_with']:,.0f} with: {figures['ratio']:.0%} "
        f"(target ≥ {TARGET_RATIO:.0%}) {verdict}"
    )
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
