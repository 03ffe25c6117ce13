"""Signed A4 certificates (hub/documents), read back with independent tools:
poppler's pdftotext/pdffonts/pdftoppm, zbarimg for the QR, pyHanko's
validator and poppler's pdfsig (NSS) for the PAdES signature."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from hub.documents.settings import DocumentSettings
from hub.documents.signing import load_trust_roots
from hub.services.clock import ManualClock
from hub.services.payments.sandbox import SandboxPaymentProvider
from tests.hub.services.conftest import (
    CITIZENS,
    REPO,
    TERMINAL_TOKEN,
    S,
    build_services_app,
    id_of,
    public_key_of,
    session,
)
from tests.tools import require_tool

DEMO_CA = REPO / "var/seal/demo-ca.pem"  # created by the demo hub at first start


def _issue(client: TestClient, who: str = "wang_fang") -> dict[str, Any]:
    r = client.post(f"{S}/certificates/insurance", json={"person_session": session(client, who)})
    assert r.status_code == 200, r.text
    cert: dict[str, Any] = r.json()
    return cert


def _pdf(client: TestClient, cert: dict[str, Any]) -> bytes:
    r = client.get(S + cert["document"]["pdf_path"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    return r.content


def _run(*args: str) -> str:
    return subprocess.run(args, check=False, capture_output=True, text=True, timeout=60).stdout


def _pyhanko_status(pdf: bytes) -> Any:
    import io

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    [signature] = reader.embedded_signatures
    return validate_pdf_signature(
        signature, ValidationContext(trust_roots=load_trust_roots([DEMO_CA]))
    )


@pytest.fixture
def nss_db(tmp_path: Path) -> str:
    """An NSS database trusting the demo CA, for pdfsig."""
    certutil = require_tool("certutil")
    db = tmp_path / "nss"
    db.mkdir()
    subprocess.run([certutil, "-N", "-d", f"sql:{db}", "--empty-password"], check=True)
    subprocess.run(
        [
            certutil,
            "-A",
            "-n",
            "huimin-demo-ca",
            "-t",
            "C,C,C",
            "-i",
            str(DEMO_CA),
            "-d",
            f"sql:{db}",
        ],
        check=True,
    )
    return f"sql:{db}"


def test_the_certificate_is_a_signed_a4_pdf_with_the_holder(
    svc_client: TestClient, tmp_path: Path
) -> None:
    cert = _issue(svc_client)
    pdf = _pdf(svc_client, cert)
    assert hashlib.sha256(pdf).hexdigest() == cert["document"]["sha256"]
    path = tmp_path / "cert.pdf"
    path.write_bytes(pdf)

    text = _run(require_tool("pdftotext"), "-layout", str(path), "-")
    flat = re.sub(r"\s+", "", text)
    assert "社会保险参保证明" in flat
    assert CITIZENS["wang_fang"]["name"] in flat  # the holder's own paper names them
    assert "4102**********3020" in flat and id_of("wang_fang") not in flat  # masked by default
    assert "兰考县社会保险中心" in flat and cert["code"] in flat
    assert "有效期至2027年02月20日" in flat

    info = _run(require_tool("pdfinfo"), str(path))
    assert re.search(r"Page size:\s+595\.\d* x 841\.\d* pts \(A4\)", info), info
    fonts = _run(require_tool("pdffonts"), str(path)).splitlines()[2:]
    assert fonts and all(re.search(r"\byes\s+yes\s+yes\b", f) for f in fonts), fonts
    assert all(re.match(r"[A-Z]{6}\+Noto", f) for f in fonts)  # subsets of Noto CJK

    # PDF/A-2b: the XMP metadata claims it (Typst writes it; the signature is an
    # incremental update that keeps the original revision intact).
    assert b"<pdfaid:part>2</pdfaid:part>" in pdf and b"<pdfaid:conformance>B" in pdf

    pdftoppm = require_tool("pdftoppm")
    subprocess.run([pdftoppm, "-r", "150", "-png", str(path), str(tmp_path / "p")], check=True)
    qr = _run(require_tool("zbarimg"), "--raw", "-q", str(tmp_path / "p-1.png")).strip()
    assert qr == cert["qr_url"] and qr.endswith(f"/verify/{cert['code']}")


def test_the_seal_is_a_valid_pades_signature_and_a_changed_byte_breaks_it(
    svc_client: TestClient, tmp_path: Path, nss_db: str
) -> None:
    cert = _issue(svc_client)
    pdf = _pdf(svc_client, cert)
    status = _pyhanko_status(pdf)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert "兰考县社会保险中心" in status.signing_cert.subject.human_friendly

    good = tmp_path / "good.pdf"
    good.write_bytes(pdf)
    pdfsig = require_tool("pdfsig")
    report = _run(pdfsig, "-nssdir", nss_db, str(good))
    assert "Signature Type: ETSI.CAdES.detached" in report  # PAdES
    assert "Signature is Valid." in report and "Certificate is Trusted." in report, report
    assert "Total document signed" in report

    # One byte of the page content changed (inside the signed range).
    at = pdf.index(b"stream\n") + 40
    tampered = bytearray(pdf)
    tampered[at] ^= 0x01
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(bytes(tampered))
    assert not _pyhanko_status(bytes(tampered)).intact
    assert "Signature is Valid." not in _run(pdfsig, "-nssdir", nss_db, str(bad))
    assert hashlib.sha256(bytes(tampered)).hexdigest() != cert["document"]["sha256"]


def test_verify_page_shows_hash_signer_and_status_and_the_pdf(
    svc_client: TestClient, svc_app: Any
) -> None:
    cert = _issue(svc_client)
    code, sha = cert["code"], cert["document"]["sha256"]
    page = svc_client.get(f"/verify/{code}").text
    assert sha in page and "兰考县社会保险中心" in page and "有效" in page
    assert CITIZENS["wang_fang"]["name"] not in page and id_of("wang_fang") not in page
    r = svc_client.get(f"/verify/{code}/pdf")
    assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == sha
    assert r.headers["cache-control"] == "no-store"

    ctx = svc_app.state.services
    with ctx.factory() as db, db.begin():
        assert ctx.documents.revoke(db, code)
    page = svc_client.get(f"/verify/{code}").text
    assert "已被出具单位撤销" in page and "真实有效" not in page and "下载PDF" not in page
    assert svc_client.post(f"{S}/documents/certificates/{code}/phone-link").status_code == 404


def test_a_phone_link_serves_once_then_refuses(svc_client: TestClient, svc_app: Any) -> None:
    cert = _issue(svc_client)
    r = svc_client.post(f"{S}/documents/certificates/{cert['code']}/phone-link")
    assert r.status_code == 200, r.text
    link = r.json()
    assert link["downloads"] == 1
    url = link["url"]
    token = url.rsplit("/d/", 1)[1]
    # Nothing personal or guessable in the URL: only a random token.
    assert cert["code"] not in url and id_of("wang_fang") not in url and len(token) >= 32
    first = svc_client.get(f"/d/{token}")
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    assert hashlib.sha256(first.content).hexdigest() == cert["document"]["sha256"]
    second = svc_client.get(f"/d/{token}")
    assert second.status_code == 410 and "只能下载一次" in second.text
    assert svc_client.get("/d/not-a-token-at-all").status_code == 410

    from sqlalchemy import select

    from hub.documents.models import DownloadEventRow

    ctx = svc_app.state.services
    with ctx.factory() as db:
        outcomes = [
            e.outcome for e in db.scalars(select(DownloadEventRow).order_by(DownloadEventRow.id))
        ]
    assert outcomes[-3:] == ["served", "used_up", "unknown"]


def test_an_expired_phone_link_refuses(svc_client: TestClient, svc_clock: ManualClock) -> None:
    cert = _issue(svc_client)
    url = svc_client.post(f"{S}/documents/certificates/{cert['code']}/phone-link").json()["url"]
    svc_clock.advance(5 * 60 + 1)
    r = svc_client.get("/d/" + url.rsplit("/d/", 1)[1])
    assert r.status_code == 410 and "已过期" in r.text


def test_the_pdf_is_dropped_after_the_reprint_window_but_the_hash_stays(
    svc_client: TestClient, svc_clock: ManualClock
) -> None:
    cert = _issue(svc_client)
    svc_clock.advance(91 * 86400)
    assert svc_client.get(S + cert["document"]["pdf_path"]).status_code == 410
    page = svc_client.get(f"/verify/{cert['code']}").text
    assert cert["document"]["sha256"] in page and "下载PDF" not in page


def test_unknown_codes_are_refused(svc_client: TestClient) -> None:
    assert svc_client.get(f"{S}/documents/certificates/AAAAAAAAAAAAAAAA/pdf").status_code == 404
    assert svc_client.get("/verify/AAAAAAAAAAAAAAAA/pdf").status_code == 404
    assert svc_client.get(f"{S}/documents/certificates/..%2F..%2Fetc/pdf").status_code in (404, 422)


def test_the_template_may_show_the_full_id_number(
    tmp_path: Path, svc_clock: ManualClock, sandbox: SandboxPaymentProvider
) -> None:
    app = build_services_app(
        f"sqlite:///{tmp_path / 'hub.db'}",
        svc_clock,
        sandbox,
        documents=DocumentSettings(id_display="full"),
    )
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"
        cert = _issue(client)
        path = tmp_path / "full.pdf"
        path.write_bytes(_pdf(client, cert))
    assert id_of("wang_fang") in _run(require_tool("pdftotext"), str(path), "-")
    # The response for the screen stays masked whatever the paper shows.
    assert {f["label"]: f["value"] for f in cert["facts"]}["身份证号"] == "4102**********3020"


def test_the_terminal_routes_need_a_terminal_credential(tmp_path: Path) -> None:
    """In the real app the PDF and the phone link are for enrolled terminals; the
    phone's side (/d/<token>, /verify/<code>/pdf) needs the token or the code."""
    from hub.app import create_app
    from hub.settings import HubSettings
    from tests.hub.conftest import prepare_schema

    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'auth.db'}",
        secret_key="auth-test-secret-0123456789",
        catalogue_path=str(REPO / "config/catalogue.json"),
    )
    prepare_schema(settings.database_url)
    app = create_app(settings)
    key = Ed25519PrivateKey.generate()
    with TestClient(app) as client:
        token = client.post(
            "/api/v1/terminal/enrol",
            json={
                "code": "DEMO-ENROL",
                "name": "doc-test",
                "place": {"county": "兰考县"},
                "public_key": public_key_of(key),
            },
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        handle = session(client, "wang_fang", signing_key=key, headers=auth)
        cert = client.post(
            f"{S}/certificates/insurance", json={"person_session": handle}, headers=auth
        ).json()
        pdf_path = S + cert["document"]["pdf_path"]
        link_path = f"{S}/documents/certificates/{cert['code']}/phone-link"
        assert client.get(pdf_path).status_code == 401
        assert client.get(pdf_path, headers={"Authorization": "Bearer forged"}).status_code == 401
        assert client.post(link_path).status_code == 401
        assert client.get(pdf_path, headers=auth).status_code == 200
        assert client.post(link_path, headers=auth).status_code == 200
        assert client.get(f"/verify/{cert['code']}/pdf").status_code == 200
    app.state.engine.dispose()


def test_a_seal_key_that_is_not_there_stops_the_hub_naming_it(
    tmp_path: Path, svc_clock: ManualClock, sandbox: SandboxPaymentProvider
) -> None:
    from hub.documents.settings import SealSettings
    from hub.settings import HubConfigError

    missing = SealSettings(
        key_file=str(tmp_path / "office-key.pem"),
        cert_file=str(tmp_path / "office-cert.pem"),
        chain_files=[str(tmp_path / "ca.pem")],
    )
    with pytest.raises(HubConfigError) as err:
        build_services_app(
            f"sqlite:///{tmp_path / 'hub.db'}",
            svc_clock,
            sandbox,
            demo_data=False,  # only a demo hub makes its own CA
            documents=DocumentSettings(seal=missing),
        )
    [problem] = err.value.problems
    assert problem.startswith("hub.documents: seal key") and "office-key.pem" in problem


def test_a_seal_that_fails_leaves_the_certificate_issued_without_a_pdf(
    svc_client: TestClient, svc_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.documents.signing import SealError

    def unplugged(*_: object, **__: object) -> bytes:
        raise SealError("signing failed: the token was pulled out")

    monkeypatch.setattr(svc_app.state.services.documents.seal, "sign", unplugged)
    cert = _issue(svc_client)
    assert cert["document"] is None and cert["printable"]["verification_code"] == cert["code"]
    page = svc_client.get(f"/verify/{cert['code']}")
    assert page.status_code == 200 and "真实有效" in page.text and "SHA-256" not in page.text
    assert svc_client.get(f"/verify/{cert['code']}/pdf").status_code == 404
