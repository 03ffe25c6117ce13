"""The office's electronic seal: a PAdES signature (pyHanko) whose visible
appearance is the generated seal image, placed over the office's name.

pyHanko is the maintained Python implementation of PDF signing (PAdES
baseline, incremental updates that keep the PDF/A part intact, PKCS#11
signers); the signature is a CMS SignedData over the file's byte ranges, so
any later change to the bytes breaks it (pdfsig, Adobe and pyHanko's own
validator all say so).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner
from pyhanko.stamp import StaticStampStyle

from hub.documents.render import seal_box_points
from hub.documents.seal import seal_image
from hub.documents.settings import SealSettings

log = logging.getLogger(__name__)
FIELD_NAME = "OfficeSeal"


class SealError(Exception):
    """The office's key or certificate cannot be used (missing, unreadable, token refused)."""


@dataclass(frozen=True)
class SignerInfo:
    """Who seals: shown on /verify and in the console."""

    office: str
    subject: str
    issuer: str
    serial: str


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SealError(f"{what} {path}: {exc.strerror}") from exc


def _file_signer(cfg: SealSettings, base: Path) -> signers.Signer:
    key = base / cfg.key_file
    cert = base / cfg.cert_file
    chain = [base / c for c in cfg.chain_files]
    _read(key, "seal key")
    _read(cert, "seal certificate")
    for path in chain:
        _read(path, "seal certificate chain")
    passphrase = None
    if cfg.key_passphrase_file:
        passphrase = _read(base / cfg.key_passphrase_file, "seal key passphrase").strip()
    loaded = signers.SimpleSigner.load(
        str(key), str(cert), ca_chain_files=tuple(str(c) for c in chain), key_passphrase=passphrase
    )
    if loaded is None:  # pyHanko logs the reason and returns None
        raise SealError(f"seal key {key} or certificate {cert} could not be loaded")
    return loaded


def _token_signer(cfg: SealSettings, base: Path) -> tuple[signers.Signer, Any]:
    # Imported here: python-pkcs11 is needed only by hubs sealing with a token.
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign import pkcs11

    assert cfg.pkcs11_module and cfg.pkcs11_pin_file  # SealSettings checks this
    pin = _read(base / cfg.pkcs11_pin_file, "PKCS#11 PIN file").decode().strip()
    try:
        session = pkcs11.open_pkcs11_session(
            cfg.pkcs11_module,
            token_criteria=TokenCriteria(label=cfg.pkcs11_token_label),
            user_pin=pin,
        )
    except Exception as exc:  # python-pkcs11 raises its own tree plus OSError for the module
        raise SealError(f"PKCS#11 token {cfg.pkcs11_token_label!r}: {exc}") from exc
    chain = [load_cert_from_pemder(str(base / c)) for c in cfg.chain_files]
    # The certificate is public: from the token when it holds one (cert label),
    # else from cert_file (many USB keys keep only the key pair).
    cert = None if cfg.pkcs11_cert_label else load_cert_from_pemder(str(base / cfg.cert_file))
    try:
        signer = pkcs11.PKCS11Signer(
            session,
            cert_label=cfg.pkcs11_cert_label,
            signing_cert=cert,
            key_label=cfg.pkcs11_key_label,
            ca_chain=chain,
            use_raw_mechanism=cfg.pkcs11_raw_ecdsa,
        )
    except Exception as exc:  # the key is looked up on the token here
        session.close()
        raise SealError(f"PKCS#11 key {cfg.pkcs11_key_label!r}: {exc}") from exc
    return signer, session


class OfficeSeal:
    """Signs certificates with the office's key; build with :meth:`open`, and
    :meth:`close` it (a token session stays open while the hub runs)."""

    def __init__(self, signer: signers.Signer, office: str, seal_png: bytes, session: Any) -> None:
        self._signer = signer
        self._session = session
        self.office = office
        self._seal_png = seal_png
        cert = signer.signing_cert
        if cert is None:
            raise SealError("the seal has no signing certificate")
        self.info = SignerInfo(
            office=office,
            subject=cert.subject.human_friendly,
            issuer=cert.issuer.human_friendly,
            serial=format(cert.serial_number, "X"),
        )

    @classmethod
    def open(cls, cfg: SealSettings, office: str, seal_font: Path, base: Path) -> OfficeSeal:
        """The seal ``cfg`` describes; :class:`SealError` if its key cannot be used."""
        session = None
        if cfg.pkcs11_module:
            signer, session = _token_signer(cfg, base)
        else:
            signer = _file_signer(cfg, base)
        image = seal_image(office, seal_font, _cjk_index(seal_font))
        png = io.BytesIO()
        image.save(png, format="PNG")
        return cls(signer, office, png.getvalue(), session)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def sign(self, pdf: bytes, *, reason: str, location: str) -> bytes:
        """``pdf`` with the office's PAdES signature appended (an incremental
        update) and the seal drawn in the template's seal box."""
        from PIL import Image

        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        fields.append_signature_field(
            writer, fields.SigFieldSpec(FIELD_NAME, on_page=0, box=seal_box_points())
        )
        meta = PdfSignatureMetadata(
            field_name=FIELD_NAME,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason,
            location=location,
            name=self.office,
        )
        stamp = StaticStampStyle(
            background=PdfImage(Image.open(io.BytesIO(self._seal_png))),
            border_width=0,
        )
        out = io.BytesIO()
        try:
            PdfSigner(meta, signer=self._signer, stamp_style=stamp).sign_pdf(writer, output=out)
        except Exception as exc:  # the boundary: pyHanko, python-pkcs11 and the token's own
            raise SealError(f"signing failed: {type(exc).__name__}: {exc}") from exc
        return out.getvalue()

    @property
    def chain(self) -> list[asn1_x509.Certificate]:
        return list(self._signer.cert_registry)


def _cjk_index(font: Path) -> int:
    """The Simplified Chinese face of a Noto CJK collection (its 3rd face), else 0."""
    return 2 if font.suffix.lower() == ".ttc" and "CJK" in font.name else 0


def load_trust_roots(paths: list[Path]) -> list[asn1_x509.Certificate]:
    """Certificates from PEM/DER files (the CA a validator should trust)."""
    return [c for p in paths for c in load_certs_from_pemder([str(p)])]
