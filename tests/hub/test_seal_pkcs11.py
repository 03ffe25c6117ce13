"""The office seal on a PKCS#11 token (how offices keep it: a USB key or an
HSM), with SoftHSM v2 as the token: the key is imported into it and never
read back; pyHanko signs through the token and its validator accepts the
result against the office's CA."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from hub.documents.pki import create_demo_pki
from hub.documents.render import CertificatePage, CertificateRenderer
from hub.documents.settings import SealSettings
from hub.documents.signing import OfficeSeal, SealError, load_trust_roots
from tests.tools import require_tool

OFFICE = "兰考县社会保险中心"
SEAL_FONT = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc")
USER_PIN = "246810"


@pytest.fixture
def token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SealSettings:
    module = require_tool("/usr/lib/softhsm/libsofthsm2.so")
    util = require_tool("softhsm2-util")
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    create_demo_pki(tmp_path / "ca.pem", tmp_path / "key.pem", tmp_path / "cert.pem", OFFICE)
    run = lambda *args: subprocess.run([util, *args], check=True, capture_output=True)  # noqa: E731
    run("--init-token", "--free", "--label", "huimin-seal", "--so-pin", "13579", "--pin", USER_PIN)
    run(
        "--import", str(tmp_path / "key.pem"), "--token", "huimin-seal",
        "--label", "office-seal", "--id", "01", "--pin", USER_PIN,
    )  # fmt: skip
    (tmp_path / "key.pem").unlink()  # from now on the key lives on the token only
    (tmp_path / "pin").write_text(USER_PIN + "\n")
    return SealSettings(
        pkcs11_module=module,
        pkcs11_token_label="huimin-seal",
        pkcs11_key_label="office-seal",
        pkcs11_pin_file=str(tmp_path / "pin"),
        pkcs11_raw_ecdsa=True,  # SoftHSM signs EC digests only (CKM_ECDSA)
        cert_file=str(tmp_path / "cert.pem"),
        chain_files=[str(tmp_path / "ca.pem")],
    )


def test_a_certificate_sealed_on_a_pkcs11_token_validates(token: SealSettings) -> None:
    seal = OfficeSeal.open(token, OFFICE, SEAL_FONT, Path("/"))
    try:
        page = CertificatePage(
            title="社会保险参保证明",
            code="TOKENCODE2345678",
            statement="兹证明王芳参加社会保险。",
            lines=[],
            notes=[],
            office=OFFICE,
            issued_on="2026年12月03日",
            valid_text="有效期至2027年03月03日",
            verify_url="http://127.0.0.1:8700/verify/TOKENCODE2345678",
        )
        renderer = CertificateRenderer([Path("/usr/share/fonts/opentype/noto")])
        pdf = seal.sign(renderer.render(page), reason="test", location=OFFICE)
    finally:
        seal.close()
    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    roots = load_trust_roots([Path(token.chain_files[0])])
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=roots))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert OFFICE in status.signing_cert.subject.human_friendly


def test_a_wrong_pin_is_a_clear_seal_error(token: SealSettings, tmp_path: Path) -> None:
    (tmp_path / "pin").write_text("000000\n")
    with pytest.raises(SealError, match="huimin-seal"):
        OfficeSeal.open(token, OFFICE, SEAL_FONT, Path("/"))


def test_a_half_configured_token_is_refused_in_the_settings() -> None:
    with pytest.raises(ValueError, match="pkcs11_pin_file"):
        SealSettings(
            pkcs11_module="/usr/lib/softhsm/libsofthsm2.so",
            pkcs11_token_label="t",
            pkcs11_key_label="k",
        )
