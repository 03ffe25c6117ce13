"""Memory: proportional set size (PSS) of the terminal after 1,000 sessions.

The live terminal (real window under Xvfb, simulated devices, the bench's
hub, real speech) serves 1,000 keypad sessions (bench/sessions.py: home,
sometimes 长辈 mode or high contrast, 查询, a demo ID card, the records from
the hub, back out), unpaced. PSS comes from /proc/self/smaps_rollup at
checkpoints; the figure is the last one, min–max over the checkpoints.

Target: ≤ 90 MiB. ``python -m bench.memory [--quick]`` (100 sessions)
"""

from __future__ import annotations

from bench.common import Figure, bench_main, live_kiosk
from bench.sessions import Visitor, demo_identities, pss_kib, read_fds

TARGET_MIB = 90.0


def run(quick: bool) -> list[Figure]:
    sessions = 100 if quick else 1000
    checkpoints = {sessions * k // 4 for k in range(1, 5)}
    pss: dict[int, float] = {}
    with live_kiosk() as h:
        h.run_loop(lambda: False, max_s=2.0)  # devices, speech and the agent come up
        start_mib = pss_kib() / 1024
        fds_start = read_fds()
        visitor = Visitor(h.app, demo_identities(), h.settle)
        while visitor.sessions < sessions:
            visitor.visit()
            if visitor.sessions in checkpoints:
                pss[visitor.sessions] = pss_kib() / 1024
        fds_end = read_fds()
    values = [pss[k] for k in sorted(pss)]
    return [
        Figure(
            key="memory_pss",
            name=f"PSS after {sessions:,} sessions",
            unit="MiB",
            value=values[-1],
            low=min(values),
            high=max(values),
            runs=len(values),
            target=TARGET_MIB,
            stat="last",
            note=(
                f"at start {start_mib:.1f} MiB; checkpoints "
                + ", ".join(f"{k}: {pss[k]:.1f}" for k in sorted(pss))
                + f"; open files {fds_start} → {fds_end}"
            ),
            samples=values,
        )
    ]


if __name__ == "__main__":
    raise SystemExit(bench_main(run))
