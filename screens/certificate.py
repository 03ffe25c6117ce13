"""社会保险参保证明: issued by the hub at once, printed with a verification
code and a QR code that opens ``/verify/<code>`` on the hub, where a bank
clerk or employer sees that the paper is genuine (masked facts only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from kiosk import receipts
from kiosk.hub_client.models import Certificate
from kiosk.i18n import N_
from kiosk.ui import Option, ScreenContext
from kiosk.ui.blocks import Block, KeyValues, Paragraph
from screens import previews
from screens.common import LoadingScreen, ReceiptPrinting, finish_service, keep_for_reprint
from screens.signed_document import DocumentPrinting, phone_option

if TYPE_CHECKING:
    from kiosk.receipts import Receipt


class CertificateScreen(LoadingScreen[Certificate]):
    name = "certificate"
    title = N_("社会保险参保证明")
    instruction = N_("证明带有验证码和二维码，扫码即可核验真伪")
    loading_text = N_("正在出具证明，请稍候……")
    personal = True
    step = (2, 2)
    preview: ClassVar[dict[str, Any]] = {"data": previews.CERTIFICATE}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.printing = ReceiptPrinting(self)
        self.a4 = DocumentPrinting(self)

    def fetch(self) -> Callable[[], Certificate]:
        identity = self.ctx.session.identity
        assert identity is not None
        certificates = self.ctx.flows.certificates
        return lambda: certificates.insurance(identity)

    def loaded(self, data: Certificate) -> None:
        keep_for_reprint(self, data.printable)

    def blocks(self) -> list[Block]:
        if self.data is None:
            return []
        tr = self.ctx.tr
        facts = [(f.label, f.value) for f in self.data.facts]
        facts.append((tr("有效期至"), self.data.valid_until))
        return [
            KeyValues(facts),
            Paragraph(tr.format("验证码：{code}", code=self.data.code), bold=True),
        ]

    def ready_choices(self, data: Certificate) -> list[Option]:
        def receipt() -> Receipt:
            return receipts.from_printable(
                data.printable,
                tr=self.ctx.tr,
                terminal=self.ctx.terminal.name,
                now=self.ctx.clock.local_now(),
            )

        signed: list[Option | None] = []
        if data.document is not None:  # the hub sealed an A4 PDF of it
            signed = [
                self.a4.option(data.code, data.title),
                phone_option(self, data.code, data.title),
            ]
        return [
            *(o for o in signed if o is not None),
            self.printing.option(receipt, N_("打印证明"), "print"),
            Option(N_("完成"), lambda: finish_service(self.ctx), "secondary", name="done"),
        ]
