"""电子证照 on the terminal: a certificate's signed A4 PDF, to print, and a
one-time link for the person's phone (扫码带走). The path carries only the
certificate's verification code (printed on the paper), nothing personal."""

from __future__ import annotations

from kiosk.flows.api import SIGNED_CERTIFICATES, service_path
from kiosk.hub_client import HubClient
from kiosk.hub_client.models import PhoneLink

MAX_PDF_BYTES = 5 * 1024 * 1024  # a one-page certificate is ~100 KB


class SignedDocuments:
    def __init__(self, client: HubClient) -> None:
        self.client = client

    def pdf(self, code: str) -> bytes:
        """The signed PDF of certificate ``code``; blocks. Raises
        :class:`~kiosk.hub_client.HubError` 404/410 when the hub has none (any
        more), :class:`~kiosk.hub_client.HubBadReply` for a reply that is not a PDF."""
        from kiosk.hub_client import HubBadReply

        data = self.client.fetch_bytes(service_path(SIGNED_CERTIFICATES, code, "pdf"))
        if not data.startswith(b"%PDF-") or len(data) > MAX_PDF_BYTES:
            raise HubBadReply(f"certificate {code}: the reply is not a PDF")
        return data

    def phone_link(self, code: str) -> PhoneLink:
        """A fresh one-time link to the PDF (minutes, one download); blocks."""
        return self.client.call(
            PhoneLink, "POST", service_path(SIGNED_CERTIFICATES, code, "phone-link")
        )
