"""Identity numbers and the masks personal data wears on screens, paper and logs.

Masks follow the project rule (COMMON: ID first 4 + last 4, PAN first 6 +
last 4) and specs/payments-and-privacy.md §Personal data (phone first 3 +
last 4; names keep the surname).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

# GB 11643-1999 §8.2: weights of the 17 body digits and the check characters
# indexed by (weighted sum mod 11).
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


class InvalidIdNumber(ValueError):
    """The text is not a valid 18-character resident ID number; the message is Chinese."""


def normalise_id_number(text: str) -> str:
    """Return the ID number upper-cased and stripped, or raise :class:`InvalidIdNumber`.

    Checks length, digits, the birth date and the GB 11643 check character.
    The message never contains the number itself.
    """
    value = text.strip().upper()
    if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X":
        raise InvalidIdNumber("身份证号码应为18位，前17位为数字，最后一位为数字或X")
    total = sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS, strict=True))
    if _CHECK[total % 11] != value[17]:
        raise InvalidIdNumber("身份证号码校验位不正确，请核对后重新输入")
    try:
        birth_date(value)
    except ValueError:
        raise InvalidIdNumber("身份证号码中的出生日期不正确") from None
    return value


def birth_date(id_number: str) -> date:
    """The birth date encoded in characters 7–14 of an ID number."""
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def age_on(id_number: str, day: date) -> int:
    """Age in whole years on ``day`` of the person with ``id_number``."""
    born = birth_date(id_number)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def mask_id(id_number: str) -> str:
    """``4102**********2422``: first 4 and last 4 characters kept."""
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_pan(pan: str) -> str:
    """Bank card number with the first 6 and last 4 digits kept."""
    if len(pan) <= 10:
        return "*" * len(pan)
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


def mask_phone(phone: str) -> str:
    """Mobile number with the first 3 and last 4 digits kept: ``138****1234``."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str) -> str:
    """Surname kept, the rest starred except a last character of 3+ character names."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_card_number(number: str) -> str:
    """Social-security card number with the first 3 and last 2 characters kept."""
    if len(number) <= 5:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 5) + number[-2:]


def person_ref(id_number: str, secret: str) -> str:
    """An opaque, stable reference to a person that does not reveal the ID number.

    HMAC-SHA256 keyed with the hub's secret: tables and terminals can carry it
    in place of the ID number (PIPL Art. 51 de-identification).
    """
    digest = hmac.new(secret.encode(), id_number.encode(), hashlib.sha256).hexdigest()
    return "p_" + digest[:24]
