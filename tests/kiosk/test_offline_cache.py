"""Guides keep being served while the hub is unreachable (issue 7: offline-
capable functions keep working), from the copy kept on disk, through the
catalogue flow the screens ask."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kiosk.flows import API, Catalogue, OfflineCache
from kiosk.hub_client import HubClient, HubUnavailable
from kiosk.hub_client.models import Guide


def guide_json(item_id: str) -> dict[str, Any]:
    """A guide in the hub's shape (hub/services/catalogue_api.py GuideOut)."""
    return {
        "id": item_id,
        "name": f"事项{item_id}",
        "topic": "ZR12",
        "topic_name": "社会保障",
        "department": "兰考县社会保险中心",
        "legal_basis": ["《中华人民共和国社会保险法》"],
        "conditions": ["本县户籍居民"],
        "materials": [{"name": "居民身份证", "form": "原件", "copies": 1, "note": ""}],
        "process": ["申请", "受理", "办结"],
        "fees": [],
        "fees_text": "不收费",
        "time_limits": {"statutory_days": None, "promised_days": 0, "note": ""},
        "where": [{"name": "县社保中心", "address": "兰考县裕禄大道1号", "hours": "9:00-17:00"}],
        "phone": "0371-26912345",
        "visits": "零跑动",
        "capabilities": ["guide"],
        "query_kind": None,
        "form": None,
        "options": {},
    }


def _summary(item_id: str) -> dict[str, Any]:
    guide = guide_json(item_id)
    keys = ("id", "name", "department", "visits", "capabilities", "query_kind", "form")
    return {k: guide[k] for k in keys}


CATALOGUE = {
    "county": "兰考县",
    "place": None,
    "topics": [
        {"code": "ZR12", "name": "社会保障", "note": "", "items": [_summary("a"), _summary("b")]}
    ],
}


class FakeClient(HubClient):
    """Answers like the hub's GET endpoints at the client's JSON edge; ``down``
    makes every call fail as an unreachable hub does."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9")  # never dialled: request is replaced
        self.down = False
        self.calls: list[str] = []

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        self.calls.append(path)
        if self.down:
            raise HubUnavailable("ConnectionError")
        if path.startswith(f"{API}/catalogue"):
            return CATALOGUE
        return guide_json(path.rsplit("/", 1)[-1])


def catalogue(tmp_path: Path, client: FakeClient) -> Catalogue:
    return Catalogue(
        client,
        service_point="dbt-zhangzhuang",
        offline=OfflineCache(tmp_path, clock=lambda: 1_790_000_000.0),
    )


def as_sent(reply: Guide) -> dict[str, Any]:
    """A reply in the hub's JSON shape, without the kiosk's offline marks."""
    data: dict[str, Any] = reply.model_dump(mode="json", exclude={"offline", "fetched_at"})
    return data


def test_guides_kept_then_served_offline(tmp_path: Path) -> None:
    client = FakeClient()
    flow = catalogue(tmp_path, client)
    assert flow.keep_offline() == 2
    live = flow.guide("a")
    assert as_sent(live) == guide_json("a") and not live.offline  # live: not marked offline
    client.down = True
    kept = flow.guide("b")
    assert kept.offline is True and kept.fetched_at == 1_790_000_000.0
    assert kept.name == "事项b"
    assert flow.catalogue().model_dump(mode="json")["topics"] == CATALOGUE["topics"]
    typed = flow.guide("a")  # what the screens read
    assert typed.offline and typed.fetched_at == 1_790_000_000.0
    assert typed.materials[0].name == "居民身份证"


def test_nothing_kept_still_says_hub_unreachable(tmp_path: Path) -> None:
    client = FakeClient()
    client.down = True
    with pytest.raises(HubUnavailable):
        catalogue(tmp_path, client).guide("never-seen")


def test_a_broken_kept_file_is_ignored(tmp_path: Path) -> None:
    client = FakeClient()
    flow = catalogue(tmp_path, client)
    flow.guide("a")
    for path in tmp_path.glob("*.json"):
        path.write_text("{not json", encoding="utf-8")
    client.down = True
    with pytest.raises(HubUnavailable):
        flow.guide("a")


def test_a_kept_copy_this_version_cannot_read_is_ignored(tmp_path: Path) -> None:
    client = FakeClient()
    flow = catalogue(tmp_path, client)
    flow.guide("a")
    (kept,) = tmp_path.glob("guide-a.json")
    stored = json.loads(kept.read_text(encoding="utf-8"))
    del stored["value"]["materials"]  # e.g. kept by an older terminal version
    kept.write_text(json.dumps(stored), encoding="utf-8")
    client.down = True
    with pytest.raises(HubUnavailable):
        flow.guide("a")


def test_keys_cannot_escape_the_directory(tmp_path: Path) -> None:
    cache = OfflineCache(tmp_path / "cache")
    cache.put("guide-../../etc/passwd", Guide.model_validate(guide_json("x")))
    assert [p.parent for p in (tmp_path / "cache").glob("*")] == [tmp_path / "cache"]
    assert not (tmp_path / "etc").exists()
