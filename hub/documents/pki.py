"""The demo hub's office PKI: a demo CA and the office's signing certificate,
created at first start when none exist (``demo_data = true`` only; a
production hub points at its own key, certificate and chain, or a PKCS#11
token, see :class:`hub.documents.settings.SealSettings`).

The office certificate is what a 电子印章 certificate is: the office's name as
subject, key usage digitalSignature + nonRepudiation (a seal commits the office
to the content), signed by a CA that relying parties trust.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CA_YEARS = 10
OFFICE_YEARS = 3


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def create_demo_pki(
    ca_file: Path, key_file: Path, cert_file: Path, office: str, now: datetime | None = None
) -> bool:
    """Create the demo CA certificate and the office's key and certificate unless
    all three files exist; return whether they were created. The CA's own key
    is not kept: the demo CA issues one certificate, once.

    Raises ``FileExistsError`` when only some of the files exist (a half
    set-up is never completed silently with a key that does not match)."""
    present = [p.exists() for p in (ca_file, key_file, cert_file)]
    if all(present):
        return False
    if any(present):
        raise FileExistsError(
            f"seal files incomplete: {ca_file}, {key_file}, {cert_file} must exist together"
        )
    now = now or datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("惠民演示电子印章CA (demo only)", "惠民 Huimin demo")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    office_key = ec.generate_private_key(ec.SECP256R1())
    office_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(office, office))
        .issuer_name(ca_name)
        .public_key(office_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=365 * OFFICE_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(office_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(
        key_file,
        office_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    for path, cert in ((cert_file, office_cert), (ca_file, ca_cert)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return True
