"""Request and response pieces several routers share."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from hub.services.identity import InvalidIdNumber, mask_id, mask_name, normalise_id_number
from hub.services.person_sessions import Handle
from hub.services.provider import Person


def _id_number(value: str) -> str:
    try:
        return normalise_id_number(value)
    except InvalidIdNumber as exc:
        # pydantic reports ValueError text as the 422 message; it never holds the number.
        raise ValueError(str(exc)) from None


IdNumber = Annotated[
    str,
    Field(min_length=18, max_length=18, description="18-character resident ID number (GB 11643)"),
    AfterValidator(_id_number),
]
SsCardNumber = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9]{6,20}$", description="social-security card number (卡号)"),
]
AcceptanceNo = Annotated[str, Field(pattern=r"^\d{14}$", description="受理编号, 14 digits")]


class PersonQuery(BaseModel):
    """A request about the person in a person session (DESIGN §7): the session's
    handle, in the body (never the URL), and never a raw ID number."""

    person_session: Handle


class PersonHeader(BaseModel):
    """Who a response is about, masked for screen and paper."""

    person_ref: str
    name_masked: str
    id_masked: str

    @classmethod
    def of(cls, person: Person) -> PersonHeader:
        return cls(
            person_ref=person.person_ref,
            name_masked=mask_name(person.name),
            id_masked=mask_id(person.id_number),
        )
