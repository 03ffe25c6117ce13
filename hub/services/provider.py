"""What the hub asks of the social-insurance / civil-affairs platform.

:class:`CitizenProvider` is the seam: the built-in
:class:`~hub.services.demo_provider.DemoCitizenProvider` answers from seeded
demo records, and an adapter for the provincial 一体化政务服务平台 would
implement the same methods. Amounts are integers in fen (1/100 yuan); dates
are calendar dates in China Standard Time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

PensionStatus = Literal["none", "contributing", "receiving"]


@dataclass(frozen=True)
class Person:
    """A citizen as the platform knows them. Holds full identifiers: never log it."""

    person_ref: str
    id_number: str
    ss_card_number: str
    name: str
    sex: str  # GB/T 2261.1: "1" male, "2" female
    birth: date
    phone: str
    bank_pan: str
    town: str
    village: str
    pension_status: PensionStatus
    elderly_allowance: bool

    def __repr__(self) -> str:  # keeps identifiers out of tracebacks and logs
        return f"Person({self.person_ref})"


@dataclass(frozen=True)
class Contribution:
    """One year of 城乡居民基本养老保险 contributions."""

    year: int
    grade_yuan: int
    amount_fen: int
    subsidy_fen: int  # government contribution subsidy (政府缴费补贴)
    paid_on: date


@dataclass(frozen=True)
class PensionPayment:
    """One monthly pension payment: 基础养老金 + 个人账户养老金."""

    month: str  # YYYY-MM
    basic_fen: int
    account_fen: int
    paid_on: date


@dataclass(frozen=True)
class MedicalYear:
    """One year of 城乡居民基本医疗保险: premium and whether it is paid."""

    year: int
    premium_fen: int
    status: Literal["paid", "due"]
    paid_on: date | None


@dataclass(frozen=True)
class SubsidyPayment:
    """One 惠民惠农 subsidy payment to the person's 一卡通 account."""

    year: int
    item: str
    basis: str
    amount_fen: int
    paid_on: date


@dataclass(frozen=True)
class IdCardEvidence:
    """What only a resident ID card (二代证) holds besides its printed number:
    the digest of its photo block (:func:`protocol.person_session.photo_digest`),
    its validity dates (``valid_to`` None: 长期) and the issuing authority."""

    id_number: str
    photo_sha256: str
    valid_from: date
    valid_to: date | None
    authority: str

    def __repr__(self) -> str:  # the number never reaches a log line
        return "IdCardEvidence(…)"


@dataclass(frozen=True)
class SsCardEvidence:
    """What only a social-security card holds: its card number and 发卡日期."""

    card_number: str
    issued_on: date

    def __repr__(self) -> str:
        return "SsCardEvidence(…)"


CardEvidence = IdCardEvidence | SsCardEvidence


class CitizenProvider(Protocol):
    """Read access to a citizen's records, plus recording a premium payment.

    Methods return ``None`` / empty lists for people or records that do not
    exist; they raise :class:`hub.services.errors.UpstreamUnavailable` when
    the platform cannot be reached.
    """

    def find_person(
        self, *, id_number: str | None = None, ss_card_number: str | None = None
    ) -> Person | None:
        """The person with this (normalised) ID number or social-security card number."""
        ...

    def find_by_ref(self, person_ref: str) -> Person | None:
        """The person behind a ``person_ref``."""
        ...

    def verify_card(self, evidence: CardEvidence) -> Person | None:
        """The person whose card this evidence comes from, or None when the
        platform does not know the card or any part of the evidence differs
        (an old card, a forged photo, a typed number). Opens person sessions:
        never answer from the number alone."""
        ...

    def contributions(self, person: Person) -> list[Contribution]:
        """Pension contribution history, oldest year first."""
        ...

    def pension_payments(self, person: Person, months: int) -> list[PensionPayment]:
        """The last ``months`` pension payments, newest first."""
        ...

    def medical_years(self, person: Person) -> list[MedicalYear]:
        """Resident medical insurance premiums by year, oldest first; [] if not insured."""
        ...

    def subsidies(self, person: Person) -> list[SubsidyPayment]:
        """Subsidy payments, newest first."""
        ...

    def record_medical_payment(
        self, person_ref: str, year: int, amount_fen: int, order_no: str, paid_on: date
    ) -> bool:
        """Mark the year's premium paid by payment ``order_no``.

        Idempotent for the same order; returns False if it was already paid
        by another order (the caller must refund that share).
        """
        ...
