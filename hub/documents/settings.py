"""``[hub.documents]`` in hub.toml: the certificate template and the office seal.

Imported by :mod:`hub.settings`, so it imports nothing heavy. Paths are
relative to the repository, like the hub's other paths.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SealSettings(_Strict):
    """The issuing office's signing key: files (``key_file`` + ``cert_file``) or a
    PKCS#11 token (a USB key or HSM: ``pkcs11_module`` set). The certificate
    chain up to the CA relying parties trust goes in ``chain_files``."""

    # Unset: "<county>社会保险中心" from the catalogue.
    office: str | None = Field(None, min_length=2, max_length=40)
    key_file: str = "var/seal/office-key.pem"
    key_passphrase_file: str | None = None
    cert_file: str = "var/seal/office-cert.pem"
    chain_files: list[str] = Field(default_factory=lambda: ["var/seal/demo-ca.pem"])
    # PKCS#11: the module (e.g. /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so,
    # or the vendor's library for a 国密 USB key), the token's label, the key's
    # and certificate's labels on it, and a file holding the user PIN.
    pkcs11_module: str | None = None
    pkcs11_token_label: str | None = None
    pkcs11_key_label: str | None = None
    pkcs11_cert_label: str | None = None
    pkcs11_pin_file: str | None = None
    # An EC key on a token without hash-and-sign ECDSA (SoftHSM, many USB keys):
    # the hub hashes, the token signs the digest (CKM_ECDSA).
    pkcs11_raw_ecdsa: bool = False

    @model_validator(mode="after")
    def _token_complete(self) -> SealSettings:
        if self.pkcs11_module is not None:
            missing = [
                name
                for name in ("pkcs11_token_label", "pkcs11_key_label", "pkcs11_pin_file")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"pkcs11_module needs {', '.join(missing)} too")
        return self


class DocumentSettings(_Strict):
    """How certificates are laid out, sealed and handed out."""

    # Off: certificates are issued and verified as before, without a PDF (a
    # production hub until the office's key or token is installed).
    enabled: bool = True
    # What the holder's ID number shows on the paper: "masked" (4101**********1234,
    # the default: an employer or bank needs to match it, not to read it) or
    # "full" where the issuing template requires the whole number.
    id_display: Literal["masked", "full"] = "masked"
    font_dir: str = "/usr/share/fonts/opentype/noto"  # fonts-noto-cjk
    seal_font: str = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"
    seal: SealSettings = Field(default_factory=SealSettings)
    # 扫码带走: a phone link lives this long and serves this many downloads.
    phone_link_minutes: int = Field(5, ge=1, le=60)
    phone_link_downloads: int = Field(1, ge=1, le=3)
