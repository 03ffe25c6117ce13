"""Which applications a staff account handles: its departments, or single
items of a department (``bo_staff_scopes``). An account without scopes sees
nothing: access is granted, never assumed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub.backoffice.models import StaffScope
from hub.services.catalogue import CatalogueItem
from hub.services.models import CatalogueItemRow


@dataclass(frozen=True)
class Scope:
    department: str
    item_id: str = ""  # empty: every item of the department

    def covers(self, item: CatalogueItem) -> bool:
        return item.department == self.department and self.item_id in ("", item.id)

    def __str__(self) -> str:
        return f"{self.department}/{self.item_id}" if self.item_id else self.department


class ScopeError(ValueError):
    """A scope line names no department or item of the catalogue."""


def catalogue_items(session: Session) -> dict[str, CatalogueItem]:
    """Every stored item by id."""
    return {
        row.id: CatalogueItem.model_validate(row.guide)
        for row in session.scalars(select(CatalogueItemRow))
    }


def scopes_of(session: Session, operator_id: int) -> list[Scope]:
    rows = session.scalars(
        select(StaffScope).where(StaffScope.operator_id == operator_id).order_by(StaffScope.id)
    )
    return [Scope(r.department, r.item_id) for r in rows]


def item_ids_in(scopes: list[Scope], items: dict[str, CatalogueItem]) -> set[str]:
    """The ids of the items ``scopes`` cover."""
    return {item.id for item in items.values() if any(s.covers(item) for s in scopes)}


def parse_scopes(text: str, items: dict[str, CatalogueItem]) -> list[Scope]:
    """One scope a line: ``部门`` or ``部门/事项编码``. Raises :class:`ScopeError`
    naming the first line the catalogue does not know."""
    departments = {item.department for item in items.values()}
    found: list[Scope] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        department, _, item_id = (part.strip() for part in line.partition("/"))
        if department not in departments:
            raise ScopeError(f"第{number}行：目录中没有部门“{department[:40]}”")
        if item_id and (item_id not in items or items[item_id].department != department):
            raise ScopeError(f"第{number}行：{department}没有事项“{item_id[:40]}”")
        scope = Scope(department, item_id)
        if scope not in found:
            found.append(scope)
    return found


def set_scopes(session: Session, operator_id: int, scopes: list[Scope]) -> None:
    """Replace an account's scopes, in the caller's transaction."""
    session.execute(delete(StaffScope).where(StaffScope.operator_id == operator_id))
    for scope in scopes:
        session.add(
            StaffScope(operator_id=operator_id, department=scope.department, item_id=scope.item_id)
        )
