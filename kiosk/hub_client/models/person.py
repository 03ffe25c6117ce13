"""Answers about one person: queries, applications and their progress,
certificates and 补打. Personal data arrives masked by the hub; the one full
name (:attr:`Identified.name`, for the greeting) stays out of ``repr``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from kiosk.hub_client.models.base import HubReply, PersonHeader, Printable, PrintLine

# --- queries (hub/services/queries_api.py) --------------------------------------------------


class Eligibility(HubReply):
    resident_pension_enrol: bool
    pension_receiving: bool
    elderly_allowance_apply: bool
    elderly_allowance_receiving: bool
    medical_due_years: list[int]


class Identified(HubReply):
    """IdentifyOut: who is at the terminal and what they may do now."""

    person_ref: str
    name: str = Field(repr=False)
    """Full name, for the greeting only; print :attr:`name_masked`."""
    name_masked: str
    id_masked: str
    sex: str
    age: int
    town: str
    village: str
    eligible: Eligibility


class OpenedSession(HubReply):
    """OpenOut: a person session opened on the card's evidence (DESIGN §7)."""

    person_session: str = Field(repr=False)
    """The handle: person-scoped requests carry it; never logged."""
    expires_in_s: int
    person: Identified


class Contribution(HubReply):
    year: int
    grade_yuan: int
    amount_fen: int
    subsidy_fen: int
    paid_on: str


class ContributionTotals(HubReply):
    years: int
    amount_fen: int
    subsidy_fen: int
    account_fen: int


class Contributions(HubReply):
    """ContributionsOut: 社保缴费记录."""

    person: PersonHeader
    records: list[Contribution]
    totals: ContributionTotals
    printable: Printable


class PensionPayment(HubReply):
    month: str
    basic_fen: int
    account_fen: int
    total_fen: int
    paid_on: str


class PensionTotals(HubReply):
    months: int
    amount_fen: int
    monthly_now_fen: int


class Pensions(HubReply):
    """PensionsOut: 养老金发放记录; ``bank_masked`` is the social-security card's account."""

    person: PersonHeader
    receiving: bool
    bank_masked: str
    records: list[PensionPayment]
    totals: PensionTotals
    printable: Printable


class MedicalYear(HubReply):
    year: int
    premium_fen: int
    status: str
    """``paid`` or ``due``."""
    status_text: str
    paid_on: str | None


class MedicalInsurance(HubReply):
    """MedicalOut: 医保参保与缴费."""

    person: PersonHeader
    insured: bool
    scheme: str
    records: list[MedicalYear]
    due_fen: int
    paid_fen: int
    printable: Printable


class SubsidyPayment(HubReply):
    year: int
    item: str
    basis: str
    amount_fen: int
    paid_on: str


class SubsidyTotal(HubReply):
    item: str
    amount_fen: int


class Subsidies(HubReply):
    """SubsidiesOut: 惠农补贴发放记录."""

    person: PersonHeader
    bank_masked: str
    records: list[SubsidyPayment]
    totals: list[SubsidyTotal]
    total_fen: int
    printable: Printable


# --- applications and their progress (hub/services/applications_api.py) --------------------


class ApplicationAccepted(HubReply):
    """ApplicationAccepted: the 受理回执."""

    acceptance_no: str
    item_id: str
    item_name: str
    status: str
    status_text: str
    promised_days: int
    due_date: str
    person: PersonHeader
    form: dict[str, Any]
    """What was accepted, personal values masked; its keys depend on the item's form."""
    printable: Printable


class ApplicationStep(HubReply):
    status: str
    status_text: str
    note: str
    at: str


class ApplicationRecord(HubReply):
    acceptance_no: str
    item_id: str
    item_name: str
    status: str
    status_text: str
    created_at: str
    promised_days: int
    due_date: str
    history: list[ApplicationStep]


class ApplicationList(HubReply):
    """ApplicationsOut: 办件进度."""

    person: PersonHeader
    records: list[ApplicationRecord]
    printable: Printable


# --- certificates and 补打 (hub/services/certificates.py, documents.py) -----------------------


class SignedDocument(HubReply):
    """IssuedDocumentOut: a certificate's signed A4 PDF (hub/documents)."""

    code: str
    sha256: str
    size: int


class PhoneLink(HubReply):
    """PhoneLinkOut: a one-time link to the PDF, shown as a QR code."""

    url: str
    expires_at: str
    downloads: int


class Certificate(HubReply):
    """CertificateOut: 社会保险参保证明 with its verification code."""

    code: str
    qr_url: str
    title: str
    person: PersonHeader
    facts: list[PrintLine]
    valid_until: str
    printable: Printable
    document: SignedDocument | None = None  # the sealed A4 PDF, when the hub signs


class Document(HubReply):
    id: int
    kind: str
    """``certificate``, ``acceptance_slip`` or ``payment_receipt``."""
    title: str
    detail: str
    issued_at: str
    printable: Printable


class DocumentList(HubReply):
    """DocumentsOut: the person's documents of the last ``reprint_days`` days, newest first."""

    person: PersonHeader
    documents: list[Document]
    reprint_days: int
