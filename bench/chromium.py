"""The alternative, measured side by side: a Chromium kiosk showing the same screen.

The page is generated from the terminal's own attract screen at 1920x1080
(same texts, sizes in px, colours, button positions; font Noto Sans CJK SC)
and served from a tiny loopback HTTP server. Debian ``chromium`` runs with
the flags of specs/test-peers.md and a fresh ``--user-data-dir`` each time:

* ``--kiosk`` under the bench's Xvfb: start → first paint, signalled by the
  page fetching ``/painted`` from its second ``requestAnimationFrame`` (the
  first frame has been produced by then); 3 s later the PSS of all its
  processes is summed (/proc/PID/smaps_rollup over the process tree);
* ``--headless --screenshot``: start → screenshot written and process exit.

The runner divides these by the terminal's cold start and PSS (ratios).
``python -m bench.chromium [--quick]``
"""

from __future__ import annotations

import contextlib
import html
import http.server
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import (
    Figure,
    bench_main,
    figure,
    process_tree,
    shared_display,
    stop_process,
    tree_pss_kib,
)

FLAGS = [  # specs/test-peers.md
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SETTLE_S = 3.0  # as bench/cold_start.py reads the terminal's PSS
PAINT_SIGNAL = """<script>
requestAnimationFrame(() => requestAnimationFrame(() => fetch('/painted')));
</script>"""


def _css(color: tuple[int, int, int]) -> str:
    return "rgb({},{},{})".format(*color)


def attract_page() -> str:
    """The attract screen as HTML: every text and button where the terminal draws it."""
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    from tools.headless import Harness

    h = Harness(window=(1920, 1080), held_tasks=False)
    app = h.app
    app.draw()
    screen, theme = app.screen, app.modes.theme
    p = theme.palette
    parts: list[str] = []

    def text(x: int, y: int, content: str, size: int, color: Any, bold: bool = False) -> None:
        weight = 700 if bold else 400
        parts.append(
            f'<div style="left:{x}px;top:{y}px;font-size:{size}px;'
            f'font-weight:{weight};color:{_css(color)}">{html.escape(content)}</div>'
        )

    m = theme.margin_px
    text(m, m, screen.title_text(), theme.title_px, p.text, True)
    y = m + theme.line_height(theme.title_px)
    for line in app.text.wrap(screen.instruction_text(), theme.body_px, 1920 - 2 * m):
        text(m, y, line, theme.body_px, p.text_muted)
        y += theme.line_height(theme.body_px)
    messages = [app.tr("请触摸屏幕开始"), screen.messages()[0]]  # type: ignore[attr-defined]
    y = screen._content_rect.top
    for i, message in enumerate(messages):
        size = theme.title_px if i == 0 else theme.body_px
        text(m, y, message, size, p.text, i == 0)
        y += theme.line_height(size) + theme.gap_px
    for b in screen.buttons + screen.chrome:
        bg, fg = b.colors(theme)
        r = b.rect
        label = (f"[{b.key_label}] " if b.key_label else "") + b.label
        parts.append(
            f'<div class="b" style="left:{r.x}px;top:{r.y}px;width:{r.w}px;height:{r.h}px;'
            f"background:{_css(bg)};color:{_css(fg)};font-size:{theme.body_px}px;"
            f'border-color:{_css(p.border)}">{html.escape(label)}</div>'
        )
    h.close()
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        "<title>惠民自助服务终端</title><style>"
        "html,body{margin:0;width:1920px;height:1080px;overflow:hidden;"
        f"background:{_css(p.background)};font-family:'Noto Sans CJK SC',sans-serif}}"
        "div{position:absolute;white-space:nowrap;line-height:1.3}"
        ".b{display:flex;align-items:center;justify-content:center;border:3px solid;"
        "border-radius:8px;box-sizing:border-box;font-weight:700}"
        f"</style></head><body>{''.join(parts)}{PAINT_SIGNAL}</body></html>"
    )


class PageServer:
    """Serves the page on a free loopback port; notes when ``/painted`` arrives."""

    def __init__(self, page: str) -> None:
        body = page.encode("utf-8")
        painted = threading.Event()
        self.painted = painted
        self.painted_at = 0.0
        server_self = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/painted"):
                    server_self.painted_at = time.perf_counter()
                    painted.set()
                    self.send_response(204)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _stop_tree(proc: subprocess.Popen[bytes]) -> None:
    """Stop the browser and every process it started (all ours, by id)."""
    pids = [p for p in process_tree(proc.pid) if p != proc.pid]
    stop_process(proc, timeout=10)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)


def kiosk_run(server: PageServer, display: str, workdir: Path) -> tuple[float, float, int]:
    """(start → first paint in s, PSS of all processes in MiB, process count)."""
    profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=workdir))
    server.painted.clear()
    env = dict(os.environ, DISPLAY=display)
    started = time.perf_counter()
    proc = subprocess.Popen(
        ["chromium", "--kiosk", *FLAGS, f"--user-data-dir={profile}", server.url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not server.painted.wait(60):
            raise RuntimeError("chromium did not paint within 60 s")
        first_paint = server.painted_at - started
        time.sleep(SETTLE_S)
        pss, count = tree_pss_kib(proc.pid)
    finally:
        _stop_tree(proc)
        shutil.rmtree(profile, ignore_errors=True)
    return first_paint, pss / 1024, count


def headless_run(server: PageServer, workdir: Path) -> float:
    """Start → screenshot written and the process gone, in seconds."""
    profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=workdir))
    shot = workdir / "shot.png"
    shot.unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            "chromium",
            "--headless",
            f"--screenshot={shot}",
            "--window-size=1920,1080",
            *FLAGS,
            f"--user-data-dir={profile}",
            server.url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        proc.wait(timeout=60)
    finally:
        _stop_tree(proc)
        shutil.rmtree(profile, ignore_errors=True)
    elapsed = time.perf_counter() - started
    if not shot.exists():
        raise RuntimeError("chromium --headless wrote no screenshot")
    return elapsed


def run(quick: bool) -> list[Figure]:
    if shutil.which("chromium") is None:
        raise RuntimeError("chromium is missing: apt-get install chromium")
    kiosk_runs, headless_runs = (1, 1) if quick else (3, 5)
    server = PageServer(attract_page())
    try:
        with shared_display() as display, tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            kiosk = [kiosk_run(server, display, workdir) for _ in range(kiosk_runs)]
            headless = [headless_run(server, workdir) for _ in range(headless_runs)]
    finally:
        server.close()
    processes = sorted({k[2] for k in kiosk})
    return [
        figure(
            "chromium_kiosk_paint",
            "Chromium --kiosk: start → first paint",
            "s",
            [k[0] for k in kiosk],
            note="same Xvfb; fresh profile; page fetches /painted on its 2nd rAF",
        ),
        figure(
            "chromium_kiosk_pss",
            "Chromium --kiosk: PSS, all processes",
            "MiB",
            [k[1] for k in kiosk],
            note=f"{SETTLE_S:.0f} s after first paint; processes {processes}",
        ),
        figure(
            "chromium_headless",
            "Chromium --headless --screenshot",
            "s",
            headless,
            note="start → PNG written and exit",
        ),
    ]


if __name__ == "__main__":
    raise SystemExit(bench_main(run))
