"""The edges of a headless kiosk, replaced where they meet the app: a clock
that moves when told, tasks that run when asked, devices that print into a
list, a recorder that keeps everything, a hub that answers at the JSON
boundary as the hub does, and the people whose cards are read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from drivers.errors import PaperOut
from kiosk.events import UiQueue
from kiosk.flows.api import API, RATINGS
from kiosk.hub_client import HubClient, HubUnavailable
from kiosk.hub_client.client import Signer
from kiosk.session import Identity
from kiosk.signing import TerminalKey
from kiosk.tasks import TaskRunner
from protocol.person_session import CLOSE_PERSON_SESSION, PERSON_SESSIONS, demo_photo, photo_digest
from protocol.services import RECORD_QUERIES, QueryKind, query_path

CANARY_NAME = "测试金丝雀"  # searched for after a visit: it must be gone everywhere
CANARY_ID = "410225195001010016"


class FakeClock:
    """Monotonic seconds that move only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class HeldTasks(TaskRunner):
    """A :class:`TaskRunner` that runs work on the loop's thread when asked.

    ``submit`` only queues; :meth:`run_pending` runs the work and posts the
    result to the UI queue like the real runner. While :attr:`hold` is
    True, :meth:`run_pending` does nothing (a hub call that takes long).
    """

    def __init__(self, ui: UiQueue) -> None:
        super().__init__(ui, workers=1)  # the pool starts no thread until used
        self._queued: list[tuple[int, Callable[[], Any], Callable[[Any], None], Any]] = []
        self.hold = False

    @property
    def busy(self) -> bool:
        return bool(self._queued)

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        self._queued.append((self.generation, fn, on_done, on_error))

    def run_pending(self) -> int:
        """Run queued work (unless held); returns how many ran."""
        if self.hold:
            return 0
        ran = 0
        while self._queued and ran < 100:
            generation, fn, on_done, on_error = self._queued.pop(0)
            ran += 1
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 - supervision point, as in TaskRunner
                callback, value = on_error, exc
            else:
                callback, value = on_done, result
            if generation == self.generation:
                self._ui.post(callback, value)
        return ran


class FakeDevices:
    """Every device online; receipts are kept in :attr:`printed`. Implements
    ``kiosk.ports.Devices``. ``paper_out`` makes printing fail as a printer
    without paper does; ``unavailable`` maps a device to the msgid saying why
    it cannot serve."""

    def __init__(self, *, paper_out: bool = False) -> None:
        self.printed: list[Any] = []
        self.printed_documents: list[tuple[bytes, str]] = []  # A4: (pdf, title)
        self.paper_out = paper_out
        self.unavailable: dict[str, str] = {}

    def available(self, device: str) -> tuple[bool, str]:
        if device == "printer" and self.paper_out:
            return False, "打印机缺纸，暂时无法打印"
        why = self.unavailable.get(device)
        return (False, why) if why else (True, "")

    def out_of_service_reason(self) -> str | None:
        return None

    def print_receipt(self, receipt: Any) -> None:
        if self.paper_out:
            raise PaperOut("paper out")
        self.printed.append(receipt)

    def print_document(self, pdf: bytes, title: str) -> None:
        why = self.unavailable.get("document_printer")
        if why:
            raise PaperOut(why)
        self.printed_documents.append((pdf, title))

    def demo_key(self, key: int) -> bool:
        return False

    def health_snapshot(self) -> list[dict[str, str]]:
        return []


class RecordingRecorder:
    """Keeps every journal record, hub event and screen entered. Implements
    ``kiosk.ports.Recorder``."""

    def __init__(self) -> None:
        self.records: list[tuple[str, dict[str, Any]]] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.screens: list[str] = []

    def record(self, kind: str, data: dict[str, Any]) -> None:
        self.records.append((kind, dict(data)))

    def event(self, kind: str, data: dict[str, Any]) -> None:
        self.events.append((kind, dict(data)))

    def screen_changed(self, name: str) -> None:
        self.screens.append(name)

    @property
    def current_screen(self) -> str:
        return self.screens[-1] if self.screens else ""


@dataclass(frozen=True)
class SampleRecords:
    """Whose records a fake hub answers with, masked as the hub masks them, and
    their yearly contributions (one table row per year, newest first)."""

    name_masked: str
    id_masked: str
    years: range
    grade_yuan: int
    subsidy_yuan: int
    issued_at: str
    notes: tuple[str, ...] = ()


CANARY_RECORDS = SampleRecords(
    "测***雀", "4102**********0016", range(2026, 2008, -1), 300, 30, "2026-11-22 10:00"
)
"""The canary's records: 18 years, more than one page holds."""

_LEVEL_NAMES = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}
# What each record query carries besides the person and the printable (the screens show
# only the printable): empty, in the shape of the hub's reply models.
_REST_OF_REPLY: dict[str, dict[str, Any]] = {
    QueryKind.CONTRIBUTIONS: {},  # filled from the sample's years
    QueryKind.PENSION: {
        "receiving": False,
        "bank_masked": "",
        "records": [],
        "totals": {"months": 0, "amount_fen": 0, "monthly_now_fen": 0},
    },
    QueryKind.MEDICAL: {"insured": False, "scheme": "", "records": [], "due_fen": 0, "paid_fen": 0},
    QueryKind.SUBSIDIES: {"bank_masked": "", "records": [], "totals": [], "total_fen": 0},
    QueryKind.APPLICATIONS: {"records": []},
}


def record_reply(kind: str, sample: SampleRecords = CANARY_RECORDS) -> dict[str, Any]:
    """A record query's reply as the hub sends it (hub/services/queries_api.py): the
    JSON the terminal's reply models read, masked at the hub."""
    years, grade, subsidy = sample.years, sample.grade_yuan, sample.subsidy_yuan
    rows = [[str(y), f"{grade}元", f"{grade}.00元", f"{subsidy}.00元"] for y in years]
    rest = dict(_REST_OF_REPLY[QueryKind(kind)])
    if kind == QueryKind.CONTRIBUTIONS:
        rest["records"] = [
            {
                "year": y,
                "grade_yuan": grade,
                "amount_fen": grade * 100,
                "subsidy_fen": subsidy * 100,
                "paid_on": f"{y}-03-01",
            }
            for y in years
        ]
        paid, added = grade * 100 * len(years), subsidy * 100 * len(years)
        rest["totals"] = {
            "years": len(years),
            "amount_fen": paid,
            "subsidy_fen": added,
            "account_fen": paid + added,
        }
    return {
        "person": {
            "person_ref": "p_sample",
            "name_masked": sample.name_masked,
            "id_masked": sample.id_masked,
        },
        **rest,
        "printable": {
            "title": "城乡居民基本养老保险缴费记录",
            "lines": [
                {"label": "姓名", "value": sample.name_masked},
                {"label": "身份证号", "value": sample.id_masked},
                {"label": "累计缴费年限", "value": f"{len(years)}年"},
            ],
            "table": {"columns": ["年度", "档次", "个人缴费", "政府补贴"], "rows": rows},
            "notes": list(sample.notes),
            "issued_at": sample.issued_at,
        },
    }


Answer = Callable[[dict[str, Any]], Any]


class FakeHub(HubClient):
    """The hub at the terminal's JSON boundary (:meth:`HubClient.request`): the
    flows, the reply models and the screens above it run as on a kiosk.

    Answers the record queries (``records``, masked as the hub masks them)
    and stores ratings; a route without an answer in :attr:`answers` fails as
    an unreachable hub does, and so does every call while ``down``.
    :attr:`asked` counts each ``(method, route)`` (a counter: a soak of
    thousands of visits does not grow it), :attr:`queries` keeps each
    ``(kind, id_number)`` and :attr:`ratings` each rating's body.
    """

    def __init__(self, *, down: bool = False, records: SampleRecords = CANARY_RECORDS) -> None:
        super().__init__(lambda: "http://fake-hub.invalid")  # never called: no transport
        self.down = down
        self.records = records
        self.asked: Counter[tuple[str, str]] = Counter()
        self.queries: list[tuple[str, str]] = []
        self.ratings: list[dict[str, Any]] = []
        self.answers: dict[tuple[str, str], Answer] = {
            ("POST", query_path(kind)): partial(self._query, kind) for kind in RECORD_QUERIES
        }
        self.answers["POST", RATINGS] = self._rate
        self.answers["POST", PERSON_SESSIONS] = self._open_session
        self.answers["POST", CLOSE_PERSON_SESSION] = self._close_session
        self.sessions: dict[str, str] = {}
        """Each open person session's handle → the number on the card it was opened with."""
        self.signing_key = TerminalKey(Ed25519PrivateKey.generate())
        """The key the flows sign with (kiosk.signing); a real hub behind a fake has it."""

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        sign: Signer | None = None,
    ) -> Any:
        route = route_of(path)
        self.asked[method, route] += 1
        if self.down:
            raise HubUnavailable("ConnectionError")
        return self.reply(method, route, path, body, sign)

    def reply(
        self,
        method: str,
        route: str,
        path: str,
        body: dict[str, Any] | None,
        sign: Signer | None = None,
    ) -> Any:
        """The answer to one call (``route``: the path under the service API, no query;
        ``sign``: the flows' signer, for a request that carries card evidence)."""
        return self.answer(method, route, body)

    def answer(self, method: str, route: str, body: dict[str, Any] | None) -> Any:
        """The fake's own answer; HubUnavailable for a route it has none for."""
        found = self.answers.get((method, route))
        if found is None:
            raise HubUnavailable(f"the fake hub has no answer for {method} {route}")
        return found(dict(body or {}))

    def _query(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        self.queries.append((kind, self.sessions.get(str(body["person_session"]), "")))
        return record_reply(kind, self.records)

    def _open_session(self, body: dict[str, Any]) -> dict[str, Any]:
        evidence = body["evidence"]
        number = str(evidence.get("id_number") or evidence.get("card_number"))
        handle = f"fake-person-session-{len(self.sessions) + 1:08d}"
        self.sessions[handle] = number
        sample = self.records
        person = {
            "person_ref": "p_sample",
            "name": sample.name_masked,
            "name_masked": sample.name_masked,
            "id_masked": sample.id_masked,
            "sex": "女",
            "age": 76,
            "town": "",
            "village": "",
            "eligible": {
                "resident_pension_enrol": False,
                "pension_receiving": False,
                "elderly_allowance_apply": False,
                "elderly_allowance_receiving": False,
                "medical_due_years": [],
            },
        }
        return {"person_session": handle, "expires_in_s": 900, "person": person}

    def _close_session(self, body: dict[str, Any]) -> None:
        self.sessions.pop(str(body["person_session"]), None)

    def _rate(self, body: dict[str, Any]) -> dict[str, Any]:
        self.ratings.append(body)
        return {"id": len(self.ratings), "level_name": _LEVEL_NAMES[int(body["level"])]}


def route_of(path: str) -> str:
    """``/api/v1/services/query/pension?x=1`` → ``/query/pension``."""
    return path.removeprefix(API).partition("?")[0]


def sample_identity() -> Identity:
    """The first demo citizen (config/demo/citizens.json), as the ID-card reader gives
    her, with her card's evidence (the demo hub opens her person session on it)."""
    return Identity(
        source="idcard",
        name="张秀兰",
        id_number="410225194103152422",
        birth_date=date(1941, 3, 15),
        sex="女",
        nation="汉",
        address="河南省兰考县东坝头镇张庄村3组18号",
        evidence=_idcard_evidence(
            "410225194103152422", "zhang_xiulan", "2016-03-15", "兰考县公安局"
        ),
    )


def _idcard_evidence(
    number: str, photo_key: str, valid_from: str, authority: str
) -> dict[str, Any]:
    return {
        "kind": "idcard",
        "id_number": number,
        "photo_sha256": photo_digest(demo_photo(photo_key)),
        "valid_from": valid_from,
        "valid_to": None,
        "authority": authority,
    }


def canary_identity() -> Identity:
    """A person whose name and ID number must leave no trace after the visit."""
    return Identity(
        source="idcard",
        name=CANARY_NAME,
        id_number=CANARY_ID,
        birth_date=date(1950, 1, 1),
        address="河南省兰考县测试村",
        evidence=_idcard_evidence(CANARY_ID, "canary", "2020-01-01", "兰考县公安局"),
    )
