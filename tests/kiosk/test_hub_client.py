"""The one hub client against real loopback servers: its TLS policy (pinned CA,
nothing from the environment, plain http only to loopback, no redirects),
timeouts, cancellation, threads, the token, and how answers become errors."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from kiosk.errors import words_for
from kiosk.hub_client import (
    HubBadReply,
    HubCertificateError,
    HubClient,
    HubConfigError,
    HubError,
    HubRefused,
    HubStatusError,
    HubUnavailable,
    NotEnrolled,
)
from kiosk.hub_client.models import Identified, TicketTypes
from kiosk.i18n import Translator
from tests.kiosk.fake_hub import free_loopback_port, make_ca, make_server_cert
from tests.kiosk.scripted_server import Answer, ScriptedServer, Seen, always

ID_NUMBER = "410225194103152422"
TYPES = {
    "service_point": "dbt-zhangzhuang",
    "service_point_name": "张庄村便民服务站",
    "types": [{"code": "A", "name": "社保业务", "waiting": 2}],
}


def client_for(url: str, **options: object) -> HubClient:
    client = HubClient(url, **options)  # type: ignore[arg-type]
    client.set_token("tok-1")
    return client


# --- what is sent -----------------------------------------------------------------------------


def test_every_call_carries_the_token_and_asks_for_json() -> None:
    with ScriptedServer(always(Answer(body=TYPES))) as server:
        client = client_for(server.url)
        types = client.call(TicketTypes, "GET", "/api/v1/services/tickets/types?x=1")
        client.post_json("/api/v1/terminal/events", {"events": []})
    assert types.types[0].waiting == 2
    assert [s.headers["Authorization"] for s in server.seen] == ["Bearer tok-1"] * 2
    assert all(s.headers["Accept"] == "application/json" for s in server.seen)
    assert json.loads(server.seen[1].body) == {"events": []}


def test_a_token_function_is_asked_on_each_call_and_none_means_not_enrolled() -> None:
    tokens: list[str | None] = [None, "from-credential"]
    with ScriptedServer(always(Answer(body=TYPES))) as server:
        client = HubClient(server.url, token=lambda: tokens[0])
        with pytest.raises(NotEnrolled) as refused:
            client.request("GET", "/api/v1/services/tickets/types")
        assert server.seen == []  # nothing went out without a credential
        assert isinstance(refused.value, HubUnavailable)
        tokens.pop(0)
        client.request("GET", "/api/v1/services/tickets/types")
    assert server.seen[0].headers["Authorization"] == "Bearer from-credential"


# --- the address policy -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://10.20.30.40:8000", "http://hub.lankao.gov.cn", "http://[2001:db8::1]:8000"]
)
def test_plain_http_to_a_host_that_is_not_loopback_is_refused_at_construction(url: str) -> None:
    with pytest.raises(HubConfigError, match="loopback"):
        HubClient(url)


def test_https_needs_the_hub_ca_file(tmp_path: Path) -> None:
    with pytest.raises(HubConfigError, match="ca_file"):
        HubClient("https://hub.lankao.gov.cn")
    with pytest.raises(HubConfigError, match="does not exist"):
        HubClient("https://hub.lankao.gov.cn", tmp_path / "missing.pem")
    with pytest.raises(HubConfigError):
        HubClient("ftp://127.0.0.1/")
    for url in ("http://127.0.0.1:1", "http://127.9.9.9:1", "http://[::1]:1", "http://localhost:1"):
        assert HubClient(url).base_url == url


def test_an_address_known_later_is_checked_before_anything_is_sent() -> None:
    address = ["http://10.1.2.3:8700"]  # e.g. a misconfigured hub behind a function
    client = HubClient(lambda: address[0], token=lambda: "tok")
    with pytest.raises(HubConfigError):
        client.request("GET", "/api/v1/services/catalogue/topics")
    with ScriptedServer(always(Answer(body=[]))) as server:
        address[0] = server.url
        assert client.request("GET", "/api/v1/services/catalogue/topics") == []


def test_an_address_function_that_times_out_is_an_unavailable_hub() -> None:
    def not_yet() -> str:
        raise TimeoutError("embedded hub did not start")

    with pytest.raises(HubUnavailable, match="not started"):
        HubClient(not_yet, token=lambda: "tok").request("GET", "/x")


# --- redirects ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_an_error_and_the_body_is_never_sent_elsewhere(status: int) -> None:
    with ScriptedServer(always(Answer(body={"ok": True}))) as elsewhere:
        moved = Answer(status, headers={"Location": f"{elsewhere.url}/api/v1/services/documents"})
        with ScriptedServer(always(moved)) as hub:
            client = client_for(hub.url)
            with pytest.raises(HubStatusError) as person:
                client.request("POST", "/api/v1/services/documents", {"id_number": ID_NUMBER})
            with pytest.raises(HubStatusError) as background:
                client.post_json("/api/v1/terminal/journal", {"records": [{"k": ID_NUMBER}]})
    assert person.value.status == background.value.status == status
    assert isinstance(person.value, HubUnavailable)
    assert "never followed" in str(person.value)
    assert len(hub.seen) == 2  # asked once each, never re-sent
    assert elsewhere.seen == []  # nothing reached the other address


# --- TLS: the pinned CA only, nothing from the environment --------------------------------------


def test_tls_trusts_the_pinned_ca_and_nothing_the_environment_offers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    county = make_ca(tmp_path, "county-ca")
    rogue = make_ca(tmp_path, "rogue-ca")
    # An environment that would redirect or re-anchor a client that trusted it.
    closed = f"http://127.0.0.1:{free_loopback_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, closed)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(rogue.cert_path))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(rogue.cert_path))
    monkeypatch.setenv("SSL_CERT_FILE", str(rogue.cert_path))
    with ScriptedServer(always(Answer(body=TYPES))) as plain:
        assert client_for(plain.url).get_json("/api/v1/terminal/commands") == TYPES
    tls = make_server_cert(tmp_path, county, "hub")
    with ScriptedServer(always(Answer(body=TYPES)), tls=tls) as hub:
        assert hub.url.startswith("https://")
        client = client_for(hub.url, ca_file=county.cert_path)
        assert client.call(TicketTypes, "GET", "/api/v1/services/tickets/types").types
    impostor_tls = make_server_cert(tmp_path, rogue, "impostor")
    with ScriptedServer(always(Answer(body=TYPES)), tls=impostor_tls) as impostor:
        client = client_for(impostor.url, ca_file=county.cert_path)
        with pytest.raises(HubCertificateError, match="pinned CA"):
            client.request("POST", "/api/v1/services/documents", {"id_number": ID_NUMBER})
    assert impostor.seen == []  # the body never reached the impostor


# --- timeouts, cancellation, threads ------------------------------------------------------------


def test_a_slow_hub_times_out() -> None:
    with ScriptedServer(always(Answer(body={}, delay_s=3.0))) as slow:
        client = client_for(slow.url, timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(HubUnavailable, match="Timeout"):
            client.request("GET", "/api/v1/services/catalogue/topics")
        assert time.monotonic() - started < 2.0


def test_cancel_interrupts_a_long_poll_in_flight() -> None:
    with ScriptedServer(always(Answer(body=[], delay_s=10.0))) as hub:
        client = client_for(hub.url)
        failures: list[BaseException] = []

        def poll() -> None:
            try:
                client.get_json("/api/v1/terminal/commands", {"wait": 25}, timeout_s=35.0)
            except HubUnavailable as exc:
                failures.append(exc)

        poller = threading.Thread(target=poll)
        poller.start()
        assert _until(lambda: len(hub.seen) == 1, 5.0)
        started = time.monotonic()
        client.cancel()
        poller.join(5.0)
        assert not poller.is_alive() and time.monotonic() - started < 1.0
    assert len(failures) == 1 and isinstance(failures[0], HubUnavailable)


def test_calls_from_many_threads_run_at_once() -> None:
    threads = 8
    together = threading.Barrier(threads, timeout=5.0)

    def script(_seen: Seen) -> Answer:
        together.wait()  # answers only once all calls are in flight together
        return Answer(body=TYPES)

    with ScriptedServer(script) as hub:
        client = client_for(hub.url)
        results: list[TicketTypes] = []

        def call() -> None:
            results.append(client.call(TicketTypes, "GET", "/api/v1/services/tickets/types"))

        workers = [threading.Thread(target=call) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(10.0)
        client.close()
    assert len(results) == threads


# --- answers become typed replies or errors -----------------------------------------------------


def test_refusals_carry_the_hub_words_for_the_person() -> None:
    tr = Translator("zh_CN")
    answers = {
        "/404": Answer(404, {"detail": "未找到该受理编号的办件，请核对后重新输入"}),
        "/404-bare": Answer(404, {}),
        "/409": Answer(409, {"detail": "该业务已在办理中，请勿重复提交"}),
        "/422": Answer(422, {"detail": [{"loc": ["body"], "msg": "a", "type": "x"}, {"msg": "b"}]}),
        "/403": Answer(403, {"detail": "forbidden for this terminal"}),
        "/401": Answer(401, {"detail": "bad token"}),
        "/503": Answer(503, {"detail": "业务系统暂时繁忙，请稍后再试"}),
    }
    with ScriptedServer(lambda seen: answers[seen.path]) as hub:
        client = client_for(hub.url)
        errors: dict[str, BaseException] = {}
        for path in answers:
            with pytest.raises((HubError, HubUnavailable)) as caught:
                client.request("POST", path, {"id_number": ID_NUMBER})
            errors[path] = caught.value
        with pytest.raises(HubStatusError) as background:
            client.post_json("/409", {})
    assert isinstance(errors["/404"], HubError) and errors["/404"].status == 404
    assert errors["/404"].message_for(tr) == "未找到该受理编号的办件，请核对后重新输入"
    # How the app and the screens ask (kiosk.errors.words_for); user_message is a plain msgid.
    assert words_for(errors["/404"], tr) == errors["/404"].message_for(tr)
    assert errors["/404"].user_message == "未找到该受理编号的办件，请核对后重新输入"
    assert isinstance(errors["/404-bare"], HubError)
    assert errors["/404-bare"].message_for(tr) == "没有查到您的记录"
    assert isinstance(errors["/409"], HubError)
    assert errors["/409"].message_for(tr) == "该业务已在办理中，请勿重复提交"
    assert isinstance(errors["/422"], HubError) and errors["/422"].detail == "a；b"
    assert isinstance(errors["/403"], HubError)  # not meant for a person: general words
    assert errors["/403"].message_for(tr) == "服务中心暂时无法办理，请稍后再试或联系工作人员"
    assert isinstance(errors["/401"], HubRefused) and errors["/401"].status == 401
    assert isinstance(errors["/503"], HubStatusError) and errors["/503"].status == 503
    assert errors["/503"].message_for(tr) == "暂时无法连接服务中心，请稍后再试或联系工作人员"
    # A background loop keeps its records: a refusal is "try later", not an answer.
    assert isinstance(background.value, HubUnavailable) and background.value.status == 409


def test_a_hub_that_is_down_is_unavailable_in_the_person_s_words() -> None:
    client = client_for(f"http://127.0.0.1:{free_loopback_port()}")
    with pytest.raises(HubUnavailable) as down:
        client.request("GET", "/api/v1/services/catalogue/topics")
    assert down.value.message_for(Translator("en")).startswith("Cannot reach the service centre")


def test_a_reply_that_does_not_fit_is_a_bad_reply_that_names_no_value() -> None:
    partial = {"person_ref": "p-1", "name": "张秀兰", "name_masked": "张*兰", "age": "old"}
    answers = {"/identify": Answer(body=partial), "/html": Answer(raw=b"<html>proxy</html>")}
    with ScriptedServer(lambda seen: answers[seen.path]) as hub:
        client = client_for(hub.url)
        with pytest.raises(HubBadReply) as misfit:
            client.call(Identified, "POST", "/identify", {"id_number": ID_NUMBER})
        with pytest.raises(HubBadReply, match="not JSON"):
            client.request("GET", "/html")
    text = str(misfit.value)
    assert "age: int_parsing" in text and "sex: missing" in text
    assert "张秀兰" not in text and "old" not in text
    assert misfit.value.__cause__ is None and misfit.value.__suppress_context__


def test_the_full_name_stays_out_of_a_reply_repr() -> None:
    identified = Identified.model_validate(
        {
            "person_ref": "p-1",
            "name": "张秀兰",
            "name_masked": "张*兰",
            "id_masked": "4102**********2422",
            "sex": "女",
            "age": 85,
            "town": "东坝头镇",
            "village": "张庄村",
            "eligible": {
                "resident_pension_enrol": False,
                "pension_receiving": True,
                "elderly_allowance_apply": True,
                "elderly_allowance_receiving": False,
                "medical_due_years": [2027],
            },
        }
    )
    assert identified.name == "张秀兰" and "张秀兰" not in repr(identified)


def _until(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False
