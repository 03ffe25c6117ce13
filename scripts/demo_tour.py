"""A guided tour of the demo for machines without a screen (``make demo HEADLESS=1``).

Starts the real terminal (window under Xvfb, simulated devices, embedded
hub), walks the first journey by keypad — attract, home, 查询, 社保缴费记录,
a demo ID card, the records, print, rating — in standard and 长辈 mode,
and writes a screenshot of every step plus the printed receipt rendered
from the printer's bytes. ``--readme`` also refreshes docs/screenshots/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame

from drivers.sim.escpos_decode import render_png
from drivers.speech import NullSpeech
from kiosk.config import load_config
from tools.headless import Harness

ROOT = Path(__file__).resolve().parent.parent


class Tour:
    def __init__(self, out: Path, window: tuple[int, int]) -> None:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        # The terminal as main.py builds it (tools.headless, live), speech kept silent.
        self.harness = Harness(
            load_config(ROOT / "config" / "kiosk.toml"),
            live=True,
            window=window,
            speech=NullSpeech(),
        )
        self.terminal, self.app = self.harness.terminal, self.harness.app
        self.shots: list[Path] = []

    def step(self, seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.step()
            time.sleep(0.01)

    def key(self, key: int, wait: float = 0.3) -> None:
        pygame.event.post(
            pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode="", scancode=0)
        )
        self.step(wait)

    def wait_for(self, predicate: object, timeout: float = 20.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.step(0.05)
            if predicate():  # type: ignore[operator]
                return
        raise SystemExit(f"demo tour stuck on screen {self.app.screen.name}")

    def shot(self, name: str) -> Path:
        self.app.display.request_redraw()
        self.app.step()
        path = self.out / f"{len(self.shots) + 1:02d}-{name}.png"
        pygame.image.save(self.app.surface, str(path))
        self.shots.append(path)
        print(f"  {path}")
        return path

    def option_key(self, name: str) -> int:
        for key, opt in self.app.screen.numbered_options():
            if opt.name == name:
                return int(getattr(pygame, f"K_{key}"))
        raise SystemExit(f"no option {name} on {self.app.screen.name}")

    def wait_until_online(self, timeout: float = 90.0) -> None:
        """Until the terminal has enrolled at the embedded hub and its heartbeat was
        answered, as a real terminal is before its first villager: a fresh demo hub
        makes its seal, fonts and demo data first, and before enrolment the terminal
        has no key the hub knows, so no person session could open."""
        from kiosk.agent.fleet import AgentState

        def online() -> bool:
            agent = self.terminal.agent  # type: ignore[attr-defined]  # started on a thread
            return agent is not None and agent.state is AgentState.ONLINE

        self.wait_for(online, timeout)

    def journey(self, elder: bool, citizen: str) -> None:
        app = self.app
        suffix = "elder" if elder else "standard"
        self.shot(f"attract-{suffix}")
        self.key(pygame.K_F2 if elder else pygame.K_RETURN)
        self.shot(f"home-{suffix}")
        self.key(self.option_key("query"))
        self.shot(f"query-menu-{suffix}")
        self.key(self.option_key("contributions"))
        self.shot(f"identify-{suffix}")
        self.terminal.devices.place_demo_card(citizen)  # type: ignore[union-attr]
        self.wait_for(
            lambda: app.screen.name == "query_result" and getattr(app.screen, "result", None)
        )
        self.shot(f"records-{suffix}")
        jobs = len(self.terminal.devices.sim_printer.jobs)  # type: ignore[union-attr]
        self.key(self.option_key("print"))
        self.wait_for(lambda: len(self.terminal.devices.sim_printer.jobs) > jobs)  # type: ignore[union-attr]
        self.step(0.5)
        self.shot(f"printed-{suffix}")
        receipt = self.out / f"receipt-{suffix}.png"
        render_png(self.terminal.devices.sim_printer.jobs[-1], receipt)  # type: ignore[union-attr]
        print(f"  {receipt} (rendered from the printer's bytes)")
        self.key(self.option_key("done"))
        self.shot(f"rate-{suffix}")
        self.key(pygame.K_1)
        self.shot(f"thanks-{suffix}")
        self.key(pygame.K_RETURN)
        self.terminal.devices.sim_idcard.remove()  # type: ignore[union-attr]
        self.step(0.5)

    def high_contrast(self) -> None:
        """F4 on the attract screen: the high-contrast theme (it lasts for the session)."""
        self.key(pygame.K_F4)
        self.shot("home-contrast")
        self.key(pygame.K_F2)
        self.shot("home-elder-contrast")
        self.app.lifecycle.end(completed=False)
        self.step(0.3)

    def certificate(self, citizen: str) -> None:
        """打印 → 社保参保证明: issued at the hub, printed with a verification code and QR."""
        app = self.app
        self.key(pygame.K_RETURN)
        self.key(self.option_key("print"))
        self.key(self.option_key("certificate"))
        self.terminal.devices.place_demo_card(citizen)  # type: ignore[union-attr]
        self.wait_for(
            lambda: app.screen.name == "certificate" and getattr(app.screen, "data", None)
        )
        self.shot("certificate")
        jobs = len(self.terminal.devices.sim_printer.jobs)  # type: ignore[union-attr]
        self.key(self.option_key("print"))
        self.wait_for(lambda: len(self.terminal.devices.sim_printer.jobs) > jobs)  # type: ignore[union-attr]
        path = self.out / "certificate-receipt.png"
        render_png(self.terminal.devices.sim_printer.jobs[-1], path)  # type: ignore[union-attr]
        print(f"  {path} (rendered from the printer's bytes)")
        self.certificate_on_a4()
        self.key(pygame.K_ESCAPE)
        app.lifecycle.end(completed=False)
        self.terminal.devices.sim_idcard.remove()  # type: ignore[union-attr]
        self.step(0.5)

    def certificate_on_a4(self) -> None:
        """打印A4证明 on the simulated A4 printer: the PDF it received, and its page as PNG."""
        a4 = self.terminal.devices.documents.driver  # type: ignore[union-attr]
        if a4 is None:
            print('  (no A4 printer configured: [devices.document_printer] type = "none")')
            return
        done = len(a4.printed)
        self.key(self.option_key("print_a4"))
        self.wait_for(lambda: len(a4.printed) > done)
        self.step(0.5)
        self.shot("certificate-a4-printed")
        pdf = self.out / "certificate-a4.pdf"
        shutil.copy(a4.printed[-1], pdf)
        subprocess.run(
            ["pdftoppm", "-r", "72", "-png", "-singlefile", str(pdf), str(pdf.with_suffix(""))],
            check=True,
        )
        print(f"  {pdf} and {pdf.with_suffix('.png')} (what the A4 printer received)")

    def close(self) -> None:
        self.harness.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "demo")
    parser.add_argument("--window", default="1280x800")
    parser.add_argument(
        "--readme", action="store_true", help="also copy README screenshots to docs/"
    )
    args = parser.parse_args()
    w, h = (int(v) for v in args.window.split("x"))
    tour = Tour(args.out, (w, h))
    print("Demo tour: the first journey, standard then 长辈 mode; screenshots:")
    try:
        tour.wait_until_online()
        tour.journey(elder=False, citizen="wang_fang")
        tour.journey(elder=True, citizen="li_jianguo")
        tour.high_contrast()
        tour.certificate(citizen="wang_fang")
    finally:
        tour.close()
    if args.readme:
        docs = ROOT / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        for shot in tour.shots:
            for wanted in (
                "home-standard",
                "home-elder",
                "home-contrast",
                "home-elder-contrast",
                "records-standard",
                "records-elder",
            ):
                if shot.stem.endswith(wanted):
                    shutil.copy(shot, docs / f"{wanted}.png")
        shutil.copy(args.out / "receipt-standard.png", docs / "receipt.png")
        shutil.copy(args.out / "certificate-receipt.png", docs / "certificate.png")
        if (args.out / "certificate-a4.png").exists():
            shutil.copy(args.out / "certificate-a4.png", docs / "a4-certificate.png")
    print(f"Done: {len(tour.shots)} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
