"""The hub as the audit sees it: the real hub in-process, no network.

:class:`SampleHubClient` replaces the hub client's transport at the JSON
boundary (``request(method, path, body)``), so every flow, including ones
added later, goes through the same code as on a kiosk. Requests go to the
real hub application (its demo provider and seeded demo citizens), run
in-process through Starlette's test client on a throw-away SQLite file,
started on the first request (about 5 s). If the hub cannot start, the
record queries and ratings get :class:`~tools.headless.fakes.FakeHub`'s
sample answers and every other call fails as
:class:`~kiosk.hub_client.HubUnavailable`, which the screens show as an
error (and the audit still renders).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from kiosk.flows.api import RATINGS
from kiosk.hub_client import HubError, HubUnavailable
from kiosk.hub_client.client import Signer
from tools.headless.fakes import FakeHub, SampleRecords

log = logging.getLogger(__name__)

SAMPLE_RECORDS = SampleRecords(
    "张*兰",
    "4102**********2422",
    range(2026, 2011, -1),
    500,
    60,
    "2026-11-20 10:00",
    notes=("2026年度已缴费",),
)
"""The first demo citizen's records, answered when the in-process hub is not there."""


class SampleHubClient(FakeHub):
    """The real hub in-process, with :class:`FakeHub`'s answers when it cannot start.

    ``asked`` counts every ``(method, route)`` asked, ``ratings`` keeps every rating.
    """

    def __init__(self, *, real_hub: bool = True, service_point: str = "dbt-zhangzhuang") -> None:
        super().__init__(records=SAMPLE_RECORDS)
        self._real_hub = real_hub
        # Enrolled there: the hub issues queue tickets only at a terminal's own point.
        self._service_point = service_point
        self._hub: Any = None
        self._hub_failed = False
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._db: Path | None = None
        self._pristine: Path | None = None

    def reply(
        self,
        method: str,
        route: str,
        path: str,
        body: dict[str, Any] | None,
        sign: Signer | None = None,
    ) -> Any:
        try:
            answer = self._forward(method, path, body, sign)
        except HubUnavailable:
            return self.answer(method, route, body)
        if (method, route) == ("POST", RATINGS):
            self.ratings.append(dict(body or {}))
        return answer

    def _forward(
        self, method: str, path: str, body: dict[str, Any] | None, sign: Signer | None = None
    ) -> Any:
        hub = self._start_hub()
        if sign is not None:  # card evidence: signed over the bytes sent, as HubClient does
            raw = json.dumps(body or {}, ensure_ascii=False, separators=(",", ":")).encode()
            headers = {"Content-Type": "application/json", **sign(method, path, raw)}
            resp = hub.request(method, path, content=raw, headers=headers)
        else:
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
                    "place": {
                        "county": "兰考县",
                        "town": "东坝头镇",
                        "village": "张庄村",
                        "service_point": self._service_point,
                    },
                    "public_key": self.signing_key.public_key,
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
