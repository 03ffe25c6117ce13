"""The terminal's side of the hub's service API.

:class:`HubClient` is the transport (requests, a timeout on every call,
TLS verified against the pinned CA); :class:`ServiceGateway` names what the
screens need (queries, ratings, catalogue…). Every method blocks, so the
app runs them on its task runner, never on the UI thread. Failures become
:class:`HubUnavailable` (no answer) or :class:`HubError` (an answer that
says no), which the screens turn into plain words.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from kiosk.i18n import Translator
from protocol.services import IDENTIFY, SERVICES_API, QueryKind, query_path

if TYPE_CHECKING:
    from kiosk.offline_cache import OfflineCache

log = logging.getLogger(__name__)

API = SERVICES_API


class HubUnavailable(Exception):
    """The hub did not answer (down, unreachable, timed out)."""


class HubError(Exception):
    """The hub answered with an error; ``detail`` is its message (Chinese)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"hub answered {status}: {detail}")
        self.status = status
        self.detail = detail

    def user_message(self, tr: Translator) -> str:
        if self.status == 404:
            return self.detail or tr("没有查到您的记录")
        if self.status in (400, 409, 422) and self.detail:
            return self.detail
        return tr("服务中心暂时无法办理，请稍后再试或联系工作人员")


class HubClient:
    """JSON over HTTP(S) to one hub. Thread-safe: one requests.Session per thread."""

    def __init__(
        self,
        base_url: Callable[[], str],
        *,
        token: Callable[[], str | None] = lambda: None,
        ca_file: Path | None = None,
        timeout_s: float = 8.0,
    ) -> None:
        self._base_url = base_url
        self._token = token
        self._verify: bool | str = str(ca_file) if ca_file else True
        self.timeout_s = timeout_s
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            url = self._base_url() + path
        except TimeoutError as exc:
            raise HubUnavailable("hub not started") from exc
        headers = {"Accept": "application/json"}
        token = self._token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            resp = self._session().request(
                method, url, json=body, headers=headers, timeout=self.timeout_s, verify=self._verify
            )
        except requests.RequestException as exc:
            # The path may carry nothing personal (bodies carry ID numbers), so it can be logged.
            log.warning("hub %s %s failed: %s", method, path, type(exc).__name__)
            raise HubUnavailable(type(exc).__name__) from exc
        if resp.status_code >= 500:
            raise HubUnavailable(f"hub error {resp.status_code}")
        if resp.status_code >= 400:
            raise HubError(resp.status_code, _detail(resp))
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("POST", path, body)


def _detail(resp: requests.Response) -> str:
    try:
        detail = resp.json().get("detail", "")
    except ValueError:
        return ""
    if isinstance(detail, list):  # pydantic validation errors
        return "；".join(str(d.get("msg", "")) for d in detail if isinstance(d, dict))
    return str(detail)


class ServiceGateway:
    """What the screens ask of the hub, by purpose. Each call blocks.

    With an ``offline`` cache (:class:`kiosk.offline_cache.OfflineCache`) the
    catalogue and guides keep being served while the hub is unreachable.
    """

    def __init__(
        self,
        client: HubClient,
        *,
        terminal_name: str,
        service_point: str,
        offline: OfflineCache | None = None,
    ) -> None:
        self.client = client
        self.terminal_name = terminal_name
        self.service_point = service_point
        self.offline = offline

    # Queries ----------------------------------------------------------------------------------

    def query(self, kind: QueryKind, id_number: str, **extra: Any) -> dict[str, Any]:
        """``kind``: one of ``protocol.services.RECORD_QUERIES``."""
        result: dict[str, Any] = self.client.post(
            f"{API}{query_path(kind)}", {"id_number": id_number, **extra}
        )
        return result

    def identify(
        self, *, id_number: str | None = None, ss_card_number: str | None = None
    ) -> dict[str, Any]:
        body = {
            k: v for k, v in (("id_number", id_number), ("ss_card_number", ss_card_number)) if v
        }
        result: dict[str, Any] = self.client.post(f"{API}{query_path(IDENTIFY)}", body)
        return result

    def documents(self, id_number: str) -> dict[str, Any]:
        """补打: the person's certificates, slips and receipts of the last 90 days
        (``{"person", "documents": [{id, kind, title, detail, issued_at, printable}]}``,
        newest first, masked by the hub)."""
        result: dict[str, Any] = self.client.post(f"{API}/documents", {"id_number": id_number})
        return result

    # Catalogue and guides ---------------------------------------------------------------------

    def catalogue(self) -> dict[str, Any]:
        def load() -> dict[str, Any]:
            result: dict[str, Any] = self.client.get(f"{API}/catalogue?place={self.service_point}")
            return result

        return (
            self.offline.fetch(f"catalogue-{self.service_point}", load) if self.offline else load()
        )

    def guide(self, item_id: str) -> dict[str, Any]:
        def load() -> dict[str, Any]:
            result: dict[str, Any] = self.client.get(f"{API}/guides/{item_id}")
            return result

        return self.offline.fetch(f"guide-{item_id}", load) if self.offline else load()

    def keep_guides_offline(self) -> int:
        """Fetch the catalogue and every guide in it, so all can be read offline later.

        Run in the background at start and on ``reload_catalogue``; returns how many
        guides were kept. Raises :class:`HubUnavailable` when the hub is down.
        """
        catalogue = self.catalogue()
        kept = 0
        for topic in catalogue.get("topics", []):
            for item in topic.get("items", []):
                self.guide(str(item["id"]))
                kept += 1
        return kept

    # Ratings ----------------------------------------------------------------------------------

    def rating_reasons(self) -> list[dict[str, Any]]:
        result: Any = self.client.get(f"{API}/ratings/reasons")
        return list(result.get("reasons", result) if isinstance(result, dict) else result)

    def rate(self, *, service_id: str, level: int, reasons: list[str], session_id: str) -> None:
        self.client.post(
            f"{API}/ratings",
            {
                "service_id": service_id,
                "level": level,
                "reasons": reasons,
                "terminal_session_id": session_id,
                # The hub requires when the person rated (a rating may arrive late).
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )

    # Generic access for flows added later (applications, payments, tickets) ----------------

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(f"{API}{path}", body)

    def get(self, path: str) -> Any:
        return self.client.get(f"{API}{path}")
