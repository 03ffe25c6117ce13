"""The set-up screen: what a terminal that is not provisioned shows on tty1.

``python -m kiosk.provisioning screen`` (``huimin-setup.service``, under cage
like the kiosk) says in Chinese, in large text, how to provision the
terminal, and, when a provisioning file was refused, why. It uses the
kiosk's fonts, palette and 长辈 sizes; it redraws only when the status file
(written by :mod:`kiosk.provisioning.apply`) changes, so it idles at next to
no CPU. :func:`draw` is a pure function of the screen size and the status,
so the boot test renders the same picture on the host to compare.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pygame

from kiosk.i18n import N_, Translator
from kiosk.provisioning.apply import Layout
from kiosk.theme import Theme
from kiosk.ui.text import TextRenderer

TITLE = N_("本终端尚未配置")
INTRO = N_("请县里的运维人员按以下步骤配置本终端：")
STEPS = (
    N_("1. 在运营控制台为本终端生成一次性注册码。"),
    N_(
        "2. 把配置文件 huimin-provision.toml 和中心证书 hub-ca.pem 放进卷标为 HUIMIN-PROV 的U盘"
        "（写法见本机配置分区里的说明文件 README.txt）。"
    ),
    N_("3. 把U盘插入本终端。终端会自动读取配置、向中心注册，然后开始服务。"),
)
PROBLEMS = N_("U盘上的配置文件有误，请改正后重新插入：")
FOOTER = N_("惠民自助服务终端")
# Sizes of the 长辈 mode at a typical panel's density: the display's real ppi is
# part of what is being provisioned.
ASSUMED_PPI = 96.0
MAX_PROBLEM_LINES = 6
POLL_MS = 500


def read_status(path: Path) -> dict[str, Any]:
    """The last provisioning outcome, or ``waiting`` when there is none (or it is torn)."""
    try:
        status: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"state": "waiting", "problems": []}
    return status


def draw(
    surface: pygame.Surface, text: TextRenderer, tr: Translator, status: dict[str, Any]
) -> None:
    """The whole screen for ``status`` (see :func:`read_status`)."""
    theme = Theme.build(ppi=ASSUMED_PPI, elder=True, high_contrast=False)
    palette = theme.palette
    width, height = surface.get_size()
    margin = max(theme.margin_px, width // 24)
    surface.fill(palette.background)
    # A band across the top, as the kiosk's title bar.
    title_px = theme.title_px
    band = theme.line_height(title_px) + 2 * theme.gap_px
    pygame.draw.rect(surface, palette.primary, (0, 0, width, band))
    title = text.render(tr(TITLE), title_px, palette.primary_text, bold=True)
    surface.blit(title, ((width - title.get_width()) // 2, (band - title.get_height()) // 2))

    body_px = theme.body_px
    line = theme.line_height(body_px)
    y = band + 2 * theme.gap_px
    usable = width - 2 * margin

    def paragraph(message: str, color: tuple[int, int, int], bold: bool = False) -> None:
        nonlocal y
        for row in text.wrap(message, body_px, usable, bold=bold):
            surface.blit(text.render(row, body_px, color, bold=bold), (margin, y))
            y += line

    paragraph(tr(INTRO), palette.text, bold=True)
    y += theme.gap_px
    for step in STEPS:
        paragraph(tr(step), palette.text)
        y += theme.gap_px // 2
    problems = (
        [str(p) for p in status.get("problems", [])] if status.get("state") == "invalid" else []
    )
    if problems:
        y += theme.gap_px
        top = y - theme.gap_px // 2
        # Text, a symbol and a border: never colour alone (README, accessibility).
        paragraph("⚠ " + tr(PROBLEMS), palette.danger, bold=True)
        small_px = theme.small_px
        for problem in problems[:MAX_PROBLEM_LINES]:
            for row in text.wrap(problem, small_px, usable):
                surface.blit(text.render(row, small_px, palette.text), (margin, y))
                y += theme.line_height(small_px)
        pygame.draw.rect(
            surface,
            palette.danger,
            (margin - theme.gap_px, top, usable + 2 * theme.gap_px, y - top + theme.gap_px // 2),
            width=max(2, theme.px(0.8)),
        )
    footer = text.render(tr(FOOTER), theme.small_px, palette.text_muted)
    surface.blit(
        footer, ((width - footer.get_width()) // 2, height - footer.get_height() - margin // 2)
    )


def run(layout: Layout | None = None) -> int:
    """Show the set-up screen until stopped (SIGTERM from systemd, or a window close)."""
    from kiosk.ui.fonts import FontBook, find_cjk_faces

    status_file = (layout or Layout()).status_file
    faces = find_cjk_faces()
    pygame.display.init()
    pygame.display.set_caption("惠民自助服务终端 Huimin")
    surface = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
    pygame.mouse.set_visible(False)
    text = TextRenderer(FontBook(*faces))
    tr = Translator("zh_CN")
    shown: dict[str, Any] | None = None
    seen_mtime = -1.0
    while True:
        try:
            mtime = os.stat(status_file).st_mtime
        except OSError:
            mtime = 0.0
        redraw = shown is None or mtime != seen_mtime
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                return 0
            if event.type in (pygame.VIDEOEXPOSE, pygame.WINDOWEXPOSED, pygame.WINDOWSIZECHANGED):
                surface = pygame.display.get_surface() or surface
                redraw = True
        if redraw:
            seen_mtime = mtime
            shown = read_status(status_file)
            draw(surface, text, tr, shown)
            pygame.display.flip()
        pygame.time.wait(POLL_MS)
