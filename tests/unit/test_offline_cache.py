"""Guides keep being served while the hub is unreachable (issue 7: offline-
capable functions keep working), from the copy kept on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kiosk.offline_cache import OfflineCache
from kiosk.services import HubUnavailable, ServiceGateway

CATALOGUE = {"topics": [{"code": "ZR12", "name": "社会保障", "items": [{"id": "a"}, {"id": "b"}]}]}


class FakeClient:
    """Answers like the hub's GET endpoints; ``down`` makes every call fail."""

    def __init__(self) -> None:
        self.down = False
        self.calls: list[str] = []

    def get(self, path: str) -> Any:
        self.calls.append(path)
        if self.down:
            raise HubUnavailable("ConnectionError")
        if "/catalogue" in path:
            return CATALOGUE
        item = path.rsplit("/", 1)[-1]
        return {"id": item, "name": f"事项{item}"}


def gateway(tmp_path: Path, client: FakeClient) -> ServiceGateway:
    return ServiceGateway(
        client,  # type: ignore[arg-type]
        terminal_name="t",
        service_point="dbt-zhangzhuang",
        offline=OfflineCache(tmp_path, clock=lambda: 1_790_000_000.0),
    )


def test_guides_kept_then_served_offline(tmp_path: Path) -> None:
    client = FakeClient()
    gw = gateway(tmp_path, client)
    assert gw.keep_guides_offline() == 2
    assert gw.guide("a") == {"id": "a", "name": "事项a"}  # live: not marked offline
    client.down = True
    kept = gw.guide("b")
    assert kept["offline"] is True and kept["fetched_at"] == 1_790_000_000.0
    assert kept["name"] == "事项b"
    assert gw.catalogue()["topics"] == CATALOGUE["topics"]


def test_nothing_kept_still_says_hub_unreachable(tmp_path: Path) -> None:
    client = FakeClient()
    client.down = True
    with pytest.raises(HubUnavailable):
        gateway(tmp_path, client).guide("never-seen")


def test_a_broken_kept_file_is_ignored(tmp_path: Path) -> None:
    client = FakeClient()
    gw = gateway(tmp_path, client)
    gw.guide("a")
    for path in tmp_path.glob("*.json"):
        path.write_text("{not json", encoding="utf-8")
    client.down = True
    with pytest.raises(HubUnavailable):
        gw.guide("a")


def test_keys_cannot_escape_the_directory(tmp_path: Path) -> None:
    cache = OfflineCache(tmp_path / "cache")
    cache.put("guide-../../etc/passwd", {"x": 1})
    assert [p.parent for p in (tmp_path / "cache").glob("*")] == [tmp_path / "cache"]
    assert not (tmp_path / "etc").exists()
