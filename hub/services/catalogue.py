"""The service catalogue file (``config/catalogue.json``): schema, loading and
validation. Pure functions; the database side is :mod:`hub.services.catalogue_store`.

The file lists the service points (places) with their queue ticket types, the
payable items, and the service items with every element of an 办事指南 that
seeds/001 names: 办理依据、受理单位、基本流程、申请材料、收费依据及标准、
办理时限、咨询方式, plus where to go, how many visits (跑动次数) and what the
terminal can do for the item (capabilities).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.services.topics import TOPICS_BY_CODE
from protocol.services import QueryKind

Capability = Literal["query", "apply", "pay", "print", "guide"]
Visits = Literal["零跑动", "最多跑一次", "跑动两次"]
# Application forms the hub knows how to accept (hub.services.applications.FORMS).
FormKind = Literal["resident_pension_enrol", "elderly_allowance"]
PlaceKind = Literal["county", "town", "village", "bank"]

_SLUG = r"^[a-z][a-z0-9_]{1,63}$"


class CatalogueError(Exception):
    """The catalogue file is invalid; ``problems`` lists each one with its key path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TicketType(_Strict):
    code: str = Field(pattern=r"^[A-Z]$", description="letter prefixed to ticket numbers")
    name: str = Field(min_length=1)


class Place(_Strict):
    """A service point where terminals stand."""

    code: str = Field(pattern=r"^[a-z][a-z0-9-]{1,63}$")
    name: str = Field(min_length=1)
    kind: PlaceKind
    address: str = Field(min_length=1)
    ticket_types: list[TicketType] = Field(default_factory=list)


class Payable(_Strict):
    """Something the terminal can collect money for, per person."""

    code: str = Field(pattern=_SLUG)
    name: str = Field(min_length=1)
    item_id: str
    year: int = Field(ge=2000, le=2100)
    amount_per_person_fen: int = Field(gt=0, description="fen (1/100 yuan)")


class Material(_Strict):
    name: str = Field(min_length=1)
    form: str = Field("原件", description="原件 / 复印件 / 电子证照")
    copies: int = Field(1, ge=0)
    note: str = ""


class Fee(_Strict):
    name: str = Field(min_length=1)
    amount_fen: int = Field(ge=0)
    basis: str = Field(min_length=1, description="收费依据")


class TimeLimits(_Strict):
    statutory_days: int | None = Field(None, ge=0, description="法定办结时限（工作日）; null 无")
    promised_days: int = Field(ge=0, description="承诺办结时限（工作日）; 0 即办")
    note: str = ""


class Location(_Strict):
    name: str = Field(min_length=1)
    address: str = Field(min_length=1)
    hours: str = Field(min_length=1)


class CatalogueItem(_Strict):
    """One service item (事项) with its 办事指南."""

    id: str = Field(pattern=_SLUG)
    name: str = Field(min_length=1)
    topic: str = Field(pattern=r"^ZR\d{2}$")
    department: str = Field(min_length=1, description="受理单位")
    legal_basis: list[str] = Field(min_length=1)
    conditions: list[str] = Field(min_length=1)
    materials: list[Material]
    process: list[str] = Field(min_length=1)
    fees: list[Fee] = Field(default_factory=list, description="empty: 不收费")
    time_limits: TimeLimits
    where: list[Location] = Field(min_length=1)
    phone: str = Field(min_length=5)
    visits: Visits
    capabilities: list[Capability] = Field(min_length=1)
    query_kind: QueryKind | None = None
    form: FormKind | None = None
    options: dict[str, list[int]] = Field(
        default_factory=dict, description="allowed values of form fields, e.g. grades_yuan"
    )
    enabled: dict[str, bool] = Field(default_factory=lambda: {"*": True})


class Catalogue(_Strict):
    version: Literal[1]
    county: str
    places: list[Place] = Field(min_length=1)
    payables: list[Payable] = Field(default_factory=list)
    items: list[CatalogueItem] = Field(min_length=1)

    def place(self, code: str) -> Place | None:
        return next((p for p in self.places if p.code == code), None)

    def payable(self, code: str) -> Payable | None:
        return next((p for p in self.payables if p.code == code), None)

    def item(self, item_id: str) -> CatalogueItem | None:
        return next((i for i in self.items if i.id == item_id), None)


def _cross_check(cat: Catalogue) -> list[str]:
    """Problems the field types cannot see: references between parts of the file."""
    place_codes = [p.code for p in cat.places]
    payable_items = {p.item_id for p in cat.payables}
    problems = _duplicates("places: place code", place_codes)
    for i, spot in enumerate(cat.places):
        letters = [t.code for t in spot.ticket_types]
        if len(set(letters)) != len(letters):
            problems.append(f"places[{i}].ticket_types: a letter appears more than once")
    problems += _duplicates("items: item id", [item.id for item in cat.items])
    for i, item in enumerate(cat.items):
        problems += _item_problems(f"items[{i}] ({item.id})", item, place_codes, payable_items)
    for i, payable in enumerate(cat.payables):
        target = cat.item(payable.item_id)
        if target is None:
            problems.append(f"payables[{i}].item_id: unknown item {payable.item_id!r}")
        elif "pay" not in target.capabilities:
            problems.append(f"payables[{i}].item_id: item {payable.item_id!r} lacks 'pay'")
    problems += _duplicates("payables: code", [p.code for p in cat.payables])
    return problems


def _duplicates(what: str, values: list[str]) -> list[str]:
    return [
        f"{what} {dup!r} appears more than once"
        for dup in {v for v in values if values.count(v) > 1}
    ]


def _item_problems(
    where: str, item: CatalogueItem, place_codes: list[str], payable_items: set[str]
) -> list[str]:
    """One item's references: its topic, places, and what its capabilities need."""
    problems: list[str] = []
    if item.topic not in TOPICS_BY_CODE:
        problems.append(f"{where}.topic: unknown topic code {item.topic!r} (ZR01..ZR31)")
    for place in item.enabled:
        if place != "*" and place not in place_codes:
            problems.append(f"{where}.enabled: unknown place {place!r}")
    caps = set(item.capabilities)
    if "apply" in caps and item.form is None:
        problems.append(f"{where}.form: required when capabilities include 'apply'")
    if item.form is not None and "apply" not in caps:
        problems.append(f"{where}.form: set but capabilities lack 'apply'")
    if caps & {"query", "print"} and item.query_kind is None:
        problems.append(f"{where}.query_kind: required with 'query' or 'print'")
    if "pay" in caps and item.id not in payable_items:
        problems.append(f"{where}.capabilities: 'pay' but no payable refers to this item")
    if item.form == "resident_pension_enrol" and not item.options.get("grades_yuan"):
        problems.append(f"{where}.options.grades_yuan: the allowed 缴费档次 are required")
    return problems


def parse_catalogue(raw: Any) -> Catalogue:
    """Validate parsed JSON; raise :class:`CatalogueError` listing every problem."""
    try:
        cat = Catalogue.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(
            [f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()]
        ) from exc
    problems = _cross_check(cat)
    if problems:
        raise CatalogueError(problems)
    return cat


def load_catalogue(path: str | Path) -> Catalogue:
    """Read and validate the catalogue file at ``path``.

    Raises :class:`CatalogueError` (each problem prefixed with the file name)
    when the file is missing, not JSON or invalid.
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueError([f"{path}: file not found"]) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatalogueError([f"{path}: not valid JSON: {exc}"]) from exc
    try:
        return parse_catalogue(raw)
    except CatalogueError as exc:
        raise CatalogueError([f"{path}: {p}" for p in exc.problems]) from exc
