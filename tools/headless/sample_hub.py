"""The hub as the audit sees it: the real hub in-process, no network.

:class:`SampleHubClient` replaces :class:`~kiosk.services.HubClient` at the
transport edge (``request(method, path, body)``), so every
:class:`~kiosk.services.ServiceGateway` method, including ones added
later, goes through the same code as on a kiosk. Requests go to the real
hub application (its demo provider and seeded demo citizens), run
in-process through Starlette's test client on a throw-away SQLite file,
started on the first request (about 5 s). If the hub cannot start, query
and rating calls get a sample answer in the hub's shape and every other
call fails as :class:`~kiosk.services.HubUnavailable`, which the screens
show as an error (and the audit still renders).
"""

from __future__ import annotations

import logging
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from kiosk.services import API, HubClient, HubError, HubUnavailable

log = logging.getLogger(__name__)


def sample_query_answer(kind: str) -> dict[str, Any]:
    """A query answer in the hub's shape (hub/services/queries_api.py), already masked."""
    rows = [[str(y), "500元", "500.00元", "60.00元"] for y in range(2026, 2011, -1)]
    return {
        "person": {"name_masked": "张*兰", "id_masked": "4102**********2422"},
        "printable": {
            "title": "城乡居民基本养老保险缴费记录",
            "lines": [
                {"label": "姓名", "value": "张*兰"},
                {"label": "身份证号", "value": "4102**********2422"},
                {"label": "累计缴费年限", "value": "15年"},
            ],
            "table": {"columns": ["年度", "档次", "个人缴费", "政府补贴"], "rows": rows},
            "notes": ["2026年度已缴费"],
            "issued_at": "2026-11-20 10:00",
        },
    }


class SampleHubClient(HubClient):
    """A :class:`HubClient` that answers from sample data and the in-process hub.

    ``requests`` keeps every ``(method, path)`` asked, for tests.
    """

    def __init__(self, *, real_hub: bool = True) -> None:
        super().__init__(lambda: "http://sample-hub.invalid")
        self.requests: list[tuple[str, str]] = []
        self.ratings: list[dict[str, Any]] = []
        self._real_hub = real_hub
        self._hub: Any = None
        self._hub_failed = False
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._db: Path | None = None
        self._pristine: Path | None = None

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        self.requests.append((method, path))
        if method == "POST" and path.removeprefix(API) == "/ratings":
            self.ratings.append(dict(body or {}))
        try:
            return self._forward(method, path, body)
        except HubUnavailable:
            local = path.removeprefix(API)
            if method == "POST" and local.startswith("/query/"):
                return sample_query_answer(local.split("/")[2])
            if method == "POST" and local == "/ratings":
                return None
            raise

    def _forward(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        hub = self._start_hub()
        resp = hub.request(method, path, json=body)
        if resp.status_code >= 500:
            raise HubUnavailable(f"hub error {resp.status_code}")
        if resp.status_code >= 400:
            try:
                detail = str(resp.json().get("detail", ""))
            except ValueError:
                detail = ""
            raise HubError(resp.status_code, detail)
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    def _start_hub(self) -> Any:
        if self._hub is not None:
            return self._hub
        if not self._real_hub or self._hub_failed:
            raise HubUnavailable("sample hub has no answer for this path")
        try:
            from fastapi.testclient import TestClient

            from hub.app import create_app
            from hub.settings import HubSettings

            self._tmp = tempfile.TemporaryDirectory(prefix="huimin-audit-hub-")
            db = Path(self._tmp.name) / "hub.db"
            root = Path(__file__).resolve().parents[2]
            settings = HubSettings(
                database_url=f"sqlite:///{db}",
                catalogue_path=str(root / "config" / "catalogue.json"),
            )
            client = TestClient(create_app(settings))
            client.__enter__()
            # Enrol like a terminal with the demo hub's code: the service API wants a token.
            enrolled = client.post(
                "/api/v1/terminal/enrol",
                json={
                    "code": "DEMO-ENROL",
                    "name": "audit",
                    "place": {"county": "兰考县", "town": "东坝头镇", "village": "张庄村"},
                },
            )
            enrolled.raise_for_status()
            client.headers["Authorization"] = f"Bearer {enrolled.json()['token']}"
            self._db = db
            self._pristine = Path(self._tmp.name) / "pristine.db"
            _copy_sqlite(db, self._pristine)
        except Exception as exc:  # any failure of a hub under construction: use samples
            log.warning("in-process hub did not start: %s", exc)
            self._hub_failed = True
            raise HubUnavailable("in-process hub did not start") from exc
        self._hub = client
        return client

    def reset(self) -> None:
        """Put the hub's data back as it was after start, so one visit (a paid fee,
        a taken ticket) cannot change what the next replayed visit sees."""
        if self._hub is None or self._db is None or self._pristine is None:
            return
        self._hub.app.state.engine.dispose()  # no pooled connection may outlive the copy
        _copy_sqlite(self._pristine, self._db)

    def close(self) -> None:
        if self._hub is not None:
            self._hub.__exit__(None, None, None)
            self._hub = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy a whole SQLite database with the backup API (safe with WAL files)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
