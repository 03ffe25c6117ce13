"""The audit's table: one line per screen state and mode, then the minimum per mode."""

from __future__ import annotations

from tools.audit.checks import Figures
from tools.audit.run import MODES, AuditReport, fmt

HEADER = (
    f"{'screen':<28} {'mode':<22} {'pages':>5} {'text mm':>7} {'cjk mm':>6} {'contrast':>8} "
    f"{'target mm':>9} {'gap mm':>6} {'opts':>4}  result"
)


def _line(state: str, mode: str, pages: int, f: Figures, failures: int) -> str:
    result = "ok" if not failures else f"FAIL ({failures})"
    return (
        f"{state:<28} {mode:<22} {pages:>5} {fmt(f.text_mm):>7} {fmt(f.cjk_mm):>6} "
        f"{fmt(f.contrast):>8} "
        f"{fmt(f.target_mm):>9} {fmt(f.gap_mm):>6} {f.options:>4}  {result}"
    )


def table(report: AuditReport) -> str:
    """The screen × mode table, the per-mode minimums and every failure, as text."""
    rows: dict[tuple[str, str], tuple[int, Figures, int]] = {}
    for r in report.results:
        pages, figures, failures = rows.get((r.state, r.mode), (0, Figures(), 0))
        figures.merge(r.figures)
        rows[(r.state, r.mode)] = (pages + 1, figures, failures + len(r.failures))
    order = {m.name: i for i, m in enumerate(MODES)}
    lines = [HEADER, "-" * len(HEADER)]
    for (state, mode), (pages, figures, failures) in sorted(
        rows.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 99))
    ):
        lines.append(_line(state, mode, pages, figures, failures))
    lines += ["", "minimum per mode:", HEADER]
    by_mode = report.figures_by_mode()
    for m in MODES:
        if m.name in by_mode:
            fails = sum(len(r.failures) for r in report.results if r.mode == m.name)
            lines.append(_line("(all screens)", m.name, 0, by_mode[m.name], fails))
    lines.append("")
    lines.append(
        f"{len(report.states)} states, {len(report.results)} renders, "
        f"{report.seconds:.1f} s; {len(report.failures)} failure(s)"
    )
    lines += [f"  FAIL {f}" for f in report.failures[:400]]
    return "\n".join(lines)
