"""电子证照 on screen: print a certificate's signed PDF on A4, or carry it
away on a phone (扫码带走) through a one-time link shown as a QR code.

The A4 printer's state is on the button before anyone presses it (paper out
names itself); a failed A4 print says so and leaves the other ways open (the
receipt printer and the phone), and is journaled by ``ctx.devices``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from kiosk.hub_client.models import PhoneLink
from kiosk.i18n import N_
from kiosk.ui import Option, Screen, ScreenContext
from kiosk.ui.blocks import Block, Paragraph
from screens import previews
from screens.common import LoadingScreen, finish_service
from screens.qr_block import QrBlock


class DocumentPrinting:
    """Printing a signed certificate on A4 from a screen, one job at a time."""

    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        self.busy = False
        self.done = 0

    def option(self, code: str, title: str) -> Option | None:
        """The 打印A4证明 choice; ``None`` when this terminal has no A4 printer."""
        ok, why = self.screen.ctx.devices.available("document_printer")
        if not ok and not why:
            return None
        return Option(
            N_("再打印一份A4证明") if self.done else N_("打印A4证明"),
            lambda: self.start(code, title),
            enabled=ok and not self.busy,
            reason=why if not ok else N_("正在打印"),
            name="print_a4",
        )

    def start(self, code: str, title: str) -> None:
        if self.busy:
            return
        ctx = self.screen.ctx
        self.busy = True
        self.screen.show_notice(ctx.tr("正在打印A4证明，请稍候……"))
        documents = ctx.flows.signed_documents

        def printed(_: object) -> None:
            self.busy = False
            self.done += 1
            self.screen.show_notice(ctx.tr("打印完成，请取走A4证明"), "success")

        def failed(exc: Exception) -> None:
            self.busy = False
            alternatives = ctx.tr("您可以改用凭条打印，或扫码带走电子证明")
            message = f"{ctx.error_message(exc)} {alternatives}"
            self.screen.show_notice(message, "error")

        ctx.devices.print_document(lambda: documents.pdf(code), title, printed, failed)


def phone_option(screen: Screen, code: str, title: str) -> Option:
    """The 扫码带走 choice: a one-time link for the person's phone."""
    return Option(
        N_("扫码带走电子证明"),
        lambda: screen.ctx.nav.go("phone_download", code=code, document_title=title),
        "secondary",
        name="phone",
    )


class PhoneDownloadScreen(LoadingScreen[PhoneLink]):
    """A QR code that opens a one-time, short-lived download of the PDF. The
    link carries a random token only: nothing personal is on the screen."""

    name = "phone_download"
    title = N_("扫码带走电子证明")
    instruction = N_("用手机扫描二维码，保存盖有电子印章的PDF证明")
    loading_text = N_("正在生成下载二维码……")
    personal = True
    preview: ClassVar[dict[str, Any]] = {"code": "ABCDEFGHJKLMNPQR", "data": previews.PHONE_LINK}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.code: str = params["code"]

    def fetch(self) -> Callable[[], PhoneLink]:
        documents, code = self.ctx.flows.signed_documents, self.code
        return lambda: documents.phone_link(code)

    def blocks(self) -> list[Block]:
        if self.data is None:
            return []
        tr = self.ctx.tr
        return [
            QrBlock(self.data.url, tr("屏幕上显示了下载二维码"), size_mm=55),
            Paragraph(
                tr.format("二维码只能下载一次，{time}前有效", time=self.data.expires_at[-5:]),
                muted=True,
            ),
        ]

    def ready_choices(self, data: PhoneLink) -> list[Option]:
        return [
            Option(N_("返回"), self.ctx.nav.back, "secondary", name="back"),
            Option(N_("完成"), lambda: finish_service(self.ctx), confirm=True, name="done"),
        ]
