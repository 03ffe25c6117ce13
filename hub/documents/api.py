"""Routes of the signed documents.

Terminal side (under ``/api/v1/services``, behind the terminal credential):

- ``GET /documents/certificates/{code}/pdf``: the signed PDF, to print on A4;
- ``POST /documents/certificates/{code}/phone-link``: a one-time, short-lived
  link for the person's phone (扫码带走).

Public (a phone, no credential):

- ``GET /d/{token}``: the PDF through a phone link: once, within minutes;
- ``GET /verify/{code}/pdf``: the PDF for whoever holds the code (it is
  printed on the paper; 80 random bits cannot be guessed).

The URL of a phone link carries only a random token: no code, no name.
"""

from __future__ import annotations

import html
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from hub.documents.archive import DocumentIssuer
from hub.documents.models import IssuedDocumentRow
from hub.services.clock import local_text
from hub.services.context import Ctx, Db, ServiceContext
from hub.services.errors import ERROR_RESPONSES, ErrorOut, NotFound, ServiceError, ServiceRoute
from protocol.i18n import N_

_PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The signed PDF"},
    410: {"model": ErrorOut, "description": "The file is past its retention window"},
}
router = APIRouter(
    route_class=ServiceRoute, prefix="/documents", tags=["documents"], responses=_PDF
)
public_router = APIRouter(route_class=ServiceRoute, tags=["verification"])
Code = Annotated[str, Path(min_length=8, max_length=32, pattern=r"^[A-Za-z2-7]+$")]


class Gone(ServiceError):
    """The document's file is no longer kept (past the retention window)."""

    status = 410
    default_detail = N_("该文件已超过保存期限，请重新开具")


class IssuedDocumentOut(BaseModel):
    """What the terminal learns about a sealed certificate."""

    code: str
    sha256: str
    size: int = Field(description="bytes of the signed PDF")
    signer: str
    pdf_path: str = Field(description="GET it under /api/v1/services to print on A4")


class PhoneLinkOut(BaseModel):
    url: str = Field(description="the link to show as a QR code: one download, minutes")
    expires_at: str = Field(description="YYYY-MM-DD HH:MM, China Standard Time")
    downloads: int


def issued_out(row: IssuedDocumentRow) -> IssuedDocumentOut:
    return IssuedDocumentOut(
        code=row.code,
        sha256=row.sha256,
        size=row.size,
        signer=row.signer,
        pdf_path=f"/documents/certificates/{row.code}/pdf",
    )


def _issuer(ctx: ServiceContext) -> DocumentIssuer:
    if ctx.documents is None:
        raise NotFound(N_("本中心未开通电子证照"))
    issuer: DocumentIssuer = ctx.documents
    return issuer


def _issued(issuer: DocumentIssuer, db: Session, code: str) -> IssuedDocumentRow:
    row = issuer.find(db, code.strip().upper())
    if row is None:
        raise NotFound(N_("未找到该电子证照"))
    return row


def _pdf_response(pdf: bytes, code: str) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{code}.pdf"',
            # A personal document: no shared cache may keep it.
            "Cache-Control": "no-store",
        },
    )


@router.get("/certificates/{code}/pdf", response_class=Response, summary="the signed PDF")
def certificate_pdf(code: Code, ctx: Ctx, db: Db) -> Response:
    issuer = _issuer(ctx)
    row = _issued(issuer, db, code)
    pdf = issuer.pdf_of(db, row)
    if pdf is None:
        raise Gone()
    issuer.audit(db, row.code, "terminal", "served")
    return _pdf_response(pdf, row.code)


@router.post(
    "/certificates/{code}/phone-link",
    response_model=PhoneLinkOut,
    summary="扫码带走: a one-time link to the signed PDF",
)
def phone_link(code: Code, request: Request, ctx: Ctx, db: Db) -> PhoneLinkOut:
    issuer = _issuer(ctx)
    row = _issued(issuer, db, code)
    if row.status != "valid":
        raise NotFound(N_("该电子证照已撤销"))
    if issuer.pdf_of(db, row) is None:
        raise Gone()
    token, expires = issuer.new_phone_link(db, row.code)
    if ctx.public_url:
        url = f"{ctx.public_url}/d/{token}"
    else:
        url = str(request.url_for("phone_download", token=token))
    return PhoneLinkOut(
        url=url, expires_at=local_text(expires), downloads=issuer.settings.phone_link_downloads
    )


_REFUSED = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>下载</title></head>
<body style="font-family:sans-serif;max-width:32em;margin:2em auto;padding:0 1em">
<h1>无法下载</h1><p>{reason}</p><p>请回到自助终端重新扫码。</p></body></html>"""
_REASONS = {
    "unknown": "链接无效。",
    "expired": "链接已过期（有效期为几分钟）。",
    "used_up": "链接已使用过，每个链接只能下载一次。",
    "gone": "该文件已超过保存期限。",
}


@public_router.get(
    "/d/{token}",
    name="phone_download",
    response_class=Response,
    responses={
        200: _PDF[200],
        410: {"content": {"text/html": {}}, "description": "Used, expired or unknown link"},
    },
)
def phone_download(token: Annotated[str, Path(max_length=64)], ctx: Ctx, db: Db) -> Response:
    """The PDF once; a plain page saying why not otherwise (410)."""
    issuer = _issuer(ctx)
    row, outcome = issuer.take_phone_link(db, token)
    pdf = issuer.pdf_of(db, row) if row is not None else None
    if row is not None and pdf is None:
        outcome = "gone"
    if pdf is None or row is None:
        return HTMLResponse(_REFUSED.format(reason=_REASONS[outcome]), status_code=410)
    return _pdf_response(pdf, row.code)


@public_router.get(
    "/verify/{code}/pdf",
    name="verify_pdf",
    response_class=Response,
    responses={**_PDF, 404: ERROR_RESPONSES[404]},
)
def verify_pdf(code: Code, ctx: Ctx, db: Db) -> Response:
    """The signed PDF for whoever holds the code printed on it."""
    issuer = _issuer(ctx)
    row = _issued(issuer, db, code)
    pdf = issuer.pdf_of(db, row)
    issuer.audit(db, row.code, "verify", "served" if pdf is not None else "gone")
    if pdf is None:
        raise Gone()
    return _pdf_response(pdf, row.code)


def verification_rows(ctx: ServiceContext, db: Session, code: str) -> tuple[str, bool]:
    """Table rows for /verify/<code> about the signed file (SHA-256, signer,
    sealing time, status, the PDF link) and whether the document is revoked.
    Empty for a certificate issued before documents were signed."""
    if ctx.documents is None:
        return "", False
    ctx.documents.purge(db)  # a file past the retention window is no longer offered
    row = ctx.documents.find(db, code)
    if row is None:
        return "", False
    revoked = row.status == "revoked"
    status = "已撤销" if revoked else "有效"
    cells = [
        ("电子签章", row.signer),
        ("签章时间", local_text(row.issued_at)),
        ("文件SHA-256", row.sha256),
        ("状态", status),
    ]
    out = "".join(
        f"<tr><td>{html.escape(k)}</td><td style='word-break:break-all'>{html.escape(v)}</td></tr>"
        for k, v in cells
    )
    if row.pdf_sealed is not None and not revoked:
        out += f'<tr><td>电子文件</td><td><a href="/verify/{row.code}/pdf">下载PDF</a></td></tr>'
    return out, revoked
