"""社会保险参保证明: issued instantly with a verification code, checkable by
anyone who scans its QR code at ``/verify/{code}`` (outside the terminal API:
a bank clerk's or employer's phone opens it).

Only masked facts are stored and shown: the page proves the paper is genuine
without publishing the person's identity.
"""

from __future__ import annotations

import base64
import html
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from hub.documents.api import IssuedDocumentOut, issued_out, verification_rows
from hub.documents.archive import Holder
from hub.services.clock import db_time, local_date, local_text
from hub.services.context import CallingTerminal, Ctx, Db, ServiceContext
from hub.services.documents import record_document
from hub.services.errors import NotFound, ServiceRoute
from hub.services.models import CertificateRow
from hub.services.printable import Printable, PrintLine
from hub.services.schemas import PersonHeader, PersonQuery
from protocol.i18n import N_

router = APIRouter(route_class=ServiceRoute, prefix="/certificates", tags=["certificates"])
public_router = APIRouter(route_class=ServiceRoute, tags=["verification"])

VALID_DAYS = 90  # a 参保证明 is usually accepted for three months
PENSION_STATUS_TEXT = {
    "contributing": N_("参保缴费"),
    "receiving": N_("正常领取待遇"),
}


class CertificateOut(BaseModel):
    code: str
    qr_url: str
    title: str
    person: PersonHeader
    facts: list[PrintLine]
    valid_until: str
    printable: Printable
    # The signed A4 PDF (hub/documents), when this hub seals certificates.
    document: IssuedDocumentOut | None = None


def new_code() -> str:
    """16 characters of base32 (80 random bits): unguessable, easy to read aloud."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii")


def verify_url(ctx: ServiceContext, request: Request, code: str) -> str:
    """Where a phone checks certificate ``code``: under ``HubSettings.public_url`` when
    set (the terminal may reach the hub at an address phones cannot), else at the
    address this request came in on (the demo on one machine)."""
    if ctx.public_url:
        return f"{ctx.public_url}/verify/{code}"
    return str(request.url_for("verify_certificate", code=code))


@router.post("/insurance", response_model=CertificateOut, summary="社会保险参保证明 (instant)")
def insurance_certificate(
    body: PersonQuery,
    request: Request,
    ctx: Ctx,
    db: Db,
    terminal: CallingTerminal,
) -> CertificateOut:
    person = ctx.person(terminal, body.person_session).person
    header = PersonHeader.of(person)
    now = ctx.clock.now()
    facts: list[PrintLine] = [
        PrintLine(label=N_("姓名"), value=header.name_masked),
        PrintLine(label=N_("身份证号"), value=header.id_masked),
        PrintLine(label=N_("参保地"), value=f"{ctx.catalogue.county}{person.town}"),
    ]
    insured = False
    if person.pension_status in PENSION_STATUS_TEXT:
        insured = True
        years = len(ctx.provider.contributions(person))
        facts.append(
            PrintLine(
                label=N_("城乡居民基本养老保险"),
                value=f"{PENSION_STATUS_TEXT[person.pension_status]}，累计缴费{years}年",
            )
        )
    medical = ctx.provider.medical_years(person)
    if medical:
        insured = True
        paid = [m.year for m in medical if m.status == "paid"]
        value = f"参保，已缴至{max(paid)}年度" if paid else N_("参保，当年度待缴费")
        facts.append(PrintLine(label=N_("城乡居民基本医疗保险"), value=value))
    if not insured:
        raise NotFound(N_("未查询到您的社会保险参保信息，暂不能出具参保证明"))
    valid_until = local_date(now) + timedelta(days=VALID_DAYS)
    code = new_code()
    title = N_("社会保险参保证明")
    db.add(
        CertificateRow(
            code=code,
            kind="insurance",
            title=title,
            person_ref=person.person_ref,
            facts=[f.model_dump() for f in facts],
            issued_at=db_time(now),
            valid_until=valid_until,
        )
    )
    qr_url = verify_url(ctx, request, code)
    printable = Printable(
        title=title,
        lines=facts,
        notes=[
            f"有效期至{valid_until.isoformat()}",
            N_("扫描二维码或访问核验地址输入验证码可核验真伪"),
            f"出具单位：{ctx.catalogue.county}社会保险中心",
        ],
        verification_code=code,
        qr_url=qr_url,
        issued_at=local_text(now),
    )
    record_document(
        db,
        person_refs=[person.person_ref],
        kind="certificate",
        ref=code,
        title=title,
        detail="",  # the paper says how long it is valid; the issue time tells them apart
        printable=printable,
        issued_at=now,
    )
    document = None
    if ctx.documents is not None:
        issued = ctx.documents.issue_certificate(
            db,
            code=code,
            kind="insurance",
            title=title,
            holder=Holder(person.person_ref, person.name, person.id_number),
            statement=f"兹证明{{name}}（公民身份号码：{{id}}）在{ctx.catalogue.county}"
            "参加社会保险，参保情况如下：",
            facts=facts,
            notes=[N_("本证明加盖电子印章，与纸质证明具有同等效力；扫描二维码可核验真伪。")],
            office=f"{ctx.catalogue.county}社会保险中心",
            issued_at=now,
            issued_on=local_date(now),
            valid_until=valid_until,
            verify_url=qr_url,
        )
        document = issued_out(issued) if issued is not None else None
    return CertificateOut(
        code=code,
        qr_url=qr_url,
        title=title,
        person=header,
        facts=facts,
        valid_until=valid_until.isoformat(),
        printable=printable,
        document=document,
    )


_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:sans-serif;max-width:32em;margin:2em auto;padding:0 1em;line-height:1.6}}
h1{{font-size:1.4em}} table{{border-collapse:collapse;width:100%}}
td{{border-bottom:1px solid #ccc;padding:.4em}} .ok{{color:#060}} .bad{{color:#a00}}</style>
</head><body><h1>{title}</h1>{body}</body></html>"""


@public_router.get(
    "/verify/{code}",
    response_class=HTMLResponse,
    name="verify_certificate",
    responses={404: {"content": {"text/html": {}}, "description": "Unknown code (HTML page)"}},
)
def verify_certificate(
    code: Annotated[str, Path(max_length=64)],
    ctx: Ctx,
    db: Db,
) -> HTMLResponse:
    """The certificate's masked facts, or a 404 page for an unknown code."""
    row = db.get(CertificateRow, code.strip().upper())
    if row is None:
        body = (
            '<p class="bad">未找到该验证码对应的证明，请核对验证码。'
            "该证明可能不是本系统出具的。</p>"
        )
        return HTMLResponse(_PAGE.format(title="证明核验", body=body), status_code=404)
    expired = local_date(ctx.clock.now()) > row.valid_until
    signed_rows, revoked = verification_rows(ctx, db, row.code)
    state = (
        '<p class="bad">该证明已被出具单位撤销。</p>'
        if revoked
        else '<p class="bad">该证明已超过有效期。</p>'
        if expired
        else '<p class="ok">经核验，该证明真实有效。</p>'
    )
    rows = "".join(
        f"<tr><td>{html.escape(f['label'])}</td><td>{html.escape(f['value'])}</td></tr>"
        for f in row.facts
    )
    extra = (
        f"<tr><td>出具时间</td><td>{html.escape(local_text(row.issued_at))}</td></tr>"
        f"<tr><td>有效期至</td><td>{row.valid_until.isoformat()}</td></tr>"
        f"<tr><td>验证码</td><td>{html.escape(row.code)}</td></tr>"
    ) + signed_rows
    body = f"{state}<table>{rows}{extra}</table>"
    return HTMLResponse(_PAGE.format(title=html.escape(row.title) + " · 核验", body=body))
