"""Issuing a certificate's PDF and keeping it: render, seal, record.

:class:`DocumentIssuer` is built once at hub start (:func:`build_issuer`) and
lives on ``app.state.documents``. Issuing runs inside the request's
transaction, so the archive row exists exactly when the certificate does.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.crypto import cipher_of
from hub.documents.models import DownloadEventRow, IssuedDocumentRow, PhoneLinkRow
from hub.documents.pki import create_demo_pki
from hub.documents.render import CertificatePage, CertificateRenderer, RenderError
from hub.documents.settings import DocumentSettings
from hub.documents.signing import OfficeSeal, SealError
from hub.services.clock import Clock, db_time, from_db
from hub.services.documents import REPRINT_DAYS
from hub.services.identity import mask_id
from hub.services.printable import PrintLine

log = logging.getLogger(__name__)
_PDF_CONTEXT = "doc_issued.pdf"  # binds a sealed PDF to this column (hub/crypto.py)
_PERSON_LABELS = {"姓名", "身份证号"}  # the statement names the holder; the table need not


@dataclass(frozen=True)
class Holder:
    """Who a certificate is for, in full (it goes on the holder's own paper)."""

    person_ref: str
    name: str
    id_number: str


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


class DocumentIssuer:
    def __init__(
        self,
        renderer: CertificateRenderer,
        seal: OfficeSeal,
        settings: DocumentSettings,
        clock: Clock,
    ) -> None:
        self.renderer = renderer
        self.seal = seal
        self.settings = settings
        self.clock = clock

    def shown_id(self, id_number: str) -> str:
        """The ID number as the issuing template shows it (masked by default)."""
        return id_number if self.settings.id_display == "full" else mask_id(id_number)

    def issue_certificate(
        self,
        db: Session,
        *,
        code: str,
        kind: str,
        title: str,
        holder: Holder,
        statement: str,
        facts: list[PrintLine],
        notes: list[str],
        office: str,
        issued_at: datetime,
        issued_on: date,
        valid_until: date,
        verify_url: str,
    ) -> IssuedDocumentRow | None:
        """Render and seal certificate ``code`` and archive it; ``statement`` may
        use ``{name}`` and ``{id}`` for the holder. Returns the archive row, or
        ``None`` when the seal or the layout failed (logged; the certificate
        stands without a PDF, as on a hub without documents)."""
        page = CertificatePage(
            title=title,
            code=code,
            statement=statement.format(name=holder.name, id=self.shown_id(holder.id_number)),
            lines=[f for f in facts if f.label not in _PERSON_LABELS],
            notes=notes,
            office=office,
            issued_on=_cn_date(issued_on),
            valid_text=f"有效期至{_cn_date(valid_until)}",
            verify_url=verify_url,
        )
        try:
            pdf = self.seal.sign(self.renderer.render(page), reason=f"出具{title}", location=office)
        except (SealError, RenderError) as exc:
            # The certificate is still issued (verification code, receipt); only
            # its PDF is missing. The type only: a message might quote the page.
            log.error("certificate %s not sealed: %s", kind, type(exc).__name__)
            return None
        row = IssuedDocumentRow(
            code=code,
            kind=kind,
            title=title,
            person_ref=holder.person_ref,
            sha256=hashlib.sha256(pdf).hexdigest(),
            size=len(pdf),
            signer=self.seal.info.subject[:200],
            issued_at=db_time(issued_at),
            status="valid",
            pdf_sealed=cipher_of(db).seal(base64.b64encode(pdf).decode("ascii"), _PDF_CONTEXT),
        )
        db.add(row)
        log.info("certificate %s sealed (%d bytes)", kind, len(pdf))
        return row

    def pdf_of(self, db: Session, row: IssuedDocumentRow) -> bytes | None:
        """The signed PDF as issued, or ``None`` once past the retention window."""
        self.purge(db)
        if row.pdf_sealed is None:
            return None
        return base64.b64decode(cipher_of(db).open(row.pdf_sealed, _PDF_CONTEXT))

    def purge(self, db: Session) -> int:
        """Drop the PDFs issued before the reprint window (hash and status stay)."""
        cutoff = db_time(self.clock.now() - timedelta(days=REPRINT_DAYS))
        result = db.execute(
            update(IssuedDocumentRow)
            .where(IssuedDocumentRow.issued_at < cutoff, IssuedDocumentRow.pdf_sealed.is_not(None))
            .values(pdf_sealed=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def revoke(self, db: Session, code: str) -> bool:
        """Mark ``code`` revoked (it then fails /verify); whether it existed."""
        row = db.get(IssuedDocumentRow, code)
        if row is None:
            return False
        if row.status != "revoked":
            row.status = "revoked"
            row.revoked_at = db_time(self.clock.now())
        return True

    # --- 扫码带走: one-time phone links ---------------------------------------

    def new_phone_link(self, db: Session, code: str) -> tuple[str, datetime]:
        """A fresh token for ``code`` (only its hash is stored) and its expiry."""
        token = secrets.token_urlsafe(24)  # 192 bits; the URL carries nothing else
        now = self.clock.now()
        expires = now + timedelta(minutes=self.settings.phone_link_minutes)
        db.add(
            PhoneLinkRow(
                token_hash=_token_hash(token),
                code=code,
                created_at=db_time(now),
                expires_at=db_time(expires),
                downloads_left=self.settings.phone_link_downloads,
            )
        )
        return token, expires

    def take_phone_link(self, db: Session, token: str) -> tuple[IssuedDocumentRow | None, str]:
        """Spend one download of ``token``: the document and ``"served"``, or
        ``None`` and why not (``unknown``, ``expired``, ``used_up``). Audited."""
        link = db.get(PhoneLinkRow, _token_hash(token), with_for_update=True)
        now = self.clock.now()
        if link is None:
            outcome, row = "unknown", None
        elif from_db(link.expires_at) <= now:
            outcome, row = "expired", None
        else:
            # Spent atomically: two phones racing on one link get one PDF.
            spent = db.execute(
                update(PhoneLinkRow)
                .where(PhoneLinkRow.token_hash == link.token_hash, PhoneLinkRow.downloads_left > 0)
                .values(downloads_left=PhoneLinkRow.downloads_left - 1)
            )
            ok = int(getattr(spent, "rowcount", 0) or 0) == 1
            outcome = "served" if ok else "used_up"
            row = db.get(IssuedDocumentRow, link.code) if ok else None
        self.audit(db, link.code if link else "", "phone_link", outcome)
        return row, outcome

    def audit(self, db: Session, code: str, via: str, outcome: str) -> None:
        db.add(DownloadEventRow(code=code, via=via, outcome=outcome, at=db_time(self.clock.now())))

    def find(self, db: Session, code: str) -> IssuedDocumentRow | None:
        return db.scalar(select(IssuedDocumentRow).where(IssuedDocumentRow.code == code))

    def close(self) -> None:
        self.seal.close()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def build_issuer(
    settings: DocumentSettings, office: str, clock: Clock, base: Path, demo: bool
) -> DocumentIssuer:
    """The issuer for this hub. In demo mode, the demo CA and office certificate
    are created at first start; otherwise the configured key must exist
    (:class:`hub.documents.signing.SealError` if it cannot be used)."""
    seal_cfg = settings.seal
    office = seal_cfg.office or office
    if demo and seal_cfg.pkcs11_module is None and seal_cfg.chain_files:
        created = create_demo_pki(
            base / seal_cfg.chain_files[0],
            base / seal_cfg.key_file,
            base / seal_cfg.cert_file,
            office,
        )
        if created:
            log.info("documents: demo CA and office seal certificate created")
    renderer = CertificateRenderer([Path(settings.font_dir)])
    seal = OfficeSeal.open(seal_cfg, office, Path(settings.seal_font), base)
    return DocumentIssuer(renderer, seal, settings, clock)
