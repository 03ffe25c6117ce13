"""The runner's arithmetic and bookkeeping: percentiles, figures against
targets, the table, the JSON file, the Chromium ratios, benchmark selection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import ratios, select
from bench.common import (
    Figure,
    _width,
    figure,
    percentile,
    read_figures,
    table,
    write_results,
)


def test_percentile_is_nearest_rank() -> None:
    samples = list(range(1, 1001))  # 1..1000
    assert percentile(samples, 50) == 500
    assert percentile(samples, 99) == 990
    assert percentile(samples, 100) == 1000
    assert percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_figure_median_min_max_and_target() -> None:
    f = figure("x", "x", "ms", [5.0, 1.0, 3.0], target=3.0)
    assert (f.value, f.low, f.high, f.runs) == (3.0, 1.0, 5.0, 3)
    assert f.met is True
    assert figure("x", "x", "ms", [4.0], target=3.0).met is False
    higher = figure("r", "r", "/s", [2400.0, 2600.0, 2700.0], 2500.0, higher_is_better=True)
    assert higher.met is True
    assert figure("i", "i", "ms", [1.0]).met is None
    with pytest.raises(ValueError):
        figure("x", "x", "ms", [])


def test_table_shows_every_figure_and_verdict() -> None:
    figures = [
        figure("a", "冷启动", "s", [0.5, 0.7], 0.8),
        figure("b", "heartbeats", "/s", [1000.0], 2500.0, higher_is_better=True),
    ]
    text = table(figures, ["broken: exit status 1"])
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["figure", "value"]
    assert "冷启动" in lines[2] and lines[2].rstrip().endswith("yes")
    assert "≥ 2,500/s" in lines[3] and lines[3].rstrip().endswith("NO")
    assert lines[-1] == "ERROR broken: exit status 1"
    # Columns line up although the first name is CJK (two terminal columns each).
    assert _width(lines[2][: lines[2].index("≤")]) == _width(lines[3][: lines[3].index("≥")])


def test_results_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "r" / "latest.json"
    f = figure("a", "a", "ms", [1.0, 2.0], 3.0)
    write_results(path, [f], {"quick": True})
    data = json.loads(path.read_text())
    assert data["quick"] is True and data["figures"][0]["met"] is True
    assert read_figures(path)[0] == f


def test_ratios_divide_chromium_by_ours() -> None:
    ours = Figure("cold_start", "ours", "s", 0.5, 0.4, 0.6, 5)
    theirs = Figure("chromium_kiosk_paint", "chromium", "s", 1.0, 0.9, 1.2, 3)
    pss_ours = Figure("start_pss", "ours", "MiB", 60.0, 59.0, 61.0, 3)
    pss_theirs = Figure("chromium_kiosk_pss", "chromium", "MiB", 300.0, 290.0, 310.0, 3)
    got = {r.key: r for r in ratios([ours, theirs, pss_ours, pss_theirs])}
    assert set(got) == {"ratio_start_kiosk", "ratio_memory"}
    start = got["ratio_start_kiosk"]
    assert start.value == pytest.approx(2.0)
    assert (start.low, start.high) == (pytest.approx(1.5), pytest.approx(3.0))
    assert start.met is True  # 2.0 ≥ 1.6
    assert got["ratio_memory"].value == pytest.approx(5.0) and got["ratio_memory"].met


def test_select_defaults_only_skip_and_unknown() -> None:
    default = [b.name for b in select([], [])]
    assert "cold_start" in default and "soak" not in default
    assert [b.name for b in select(["soak", "receipt"], [])] == ["receipt", "soak"]
    assert "memory" not in [b.name for b in select([], ["memory"])]
    with pytest.raises(SystemExit):
        select(["no_such_bench"], [])
