"""Attack class 10: the kiosk followed redirects. A 307 from the pinned hub to
another address made it re-post an ID number there, in clear.

The real kiosk parts against a scripted "pinned hub" on loopback that answers
every request with a redirect (301/302/303/307/308) to a second server, which
stands for the attacker's address: the hub client a person's query goes
through, the enrolment the fleet agent makes, and the journal's outbox. None
of them follows: the person is told the hub cannot be reached, and the second
server receives nothing, so no ID number is sent twice or anywhere else.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.agent.credential import enrol
from kiosk.errors import words_for
from kiosk.hub_client import HubClient, HubUnavailable
from kiosk.i18n import Translator
from kiosk.journal import Journal
from kiosk.outbox import Outbox
from tests.kiosk.scripted_server import Answer, ScriptedServer, always

ID_NUMBER = "410225194103152422"
IDENTIFY = "/api/v1/services/query/identify"


@pytest.mark.parametrize("status", [302, 307, 308, 301, 303])
def test_a_redirect_from_the_pinned_hub_is_never_followed(status: int, tmp_path: Path) -> None:
    with ScriptedServer(always(Answer(body={"ok": True}))) as elsewhere:
        moved = Answer(status, headers={"Location": f"{elsewhere.url}{IDENTIFY}"})
        with ScriptedServer(always(moved)) as pinned:
            client = HubClient(pinned.url, token=lambda: "terminal-token", timeout_s=5.0)
            # A person's query: refused as an unreachable hub, in plain words.
            with pytest.raises(HubUnavailable) as person:
                client.request("POST", IDENTIFY, {"id_number": ID_NUMBER})
            assert words_for(person.value, Translator("zh_CN")) == (
                "暂时无法连接服务中心，请稍后再试或联系工作人员"
            )
            assert ID_NUMBER not in str(person.value)
            # The fleet agent's enrolment and the journal's outbox do not follow either.
            with pytest.raises(HubUnavailable):
                enrol(HubClient(pinned.url), "CODE-1", "张庄村1号机", {"county": "兰考县"})
            journal = Journal(tmp_path / "journal.sqlite")
            journal.append("session_start", {"session": "s-1"})
            assert Outbox(journal, client).flush(timeout=3) is False
            assert journal.backlog() == 1  # kept for the real hub, not delivered elsewhere
            journal.close()
            client.close()
    assert elsewhere.seen == []  # nothing reached the other address
    identify = [seen for seen in pinned.seen if seen.path == IDENTIFY]
    assert len(identify) == 1  # the ID number went once, to the pinned hub only
    assert ID_NUMBER.encode() in identify[0].body
    assert all(ID_NUMBER.encode() not in seen.body for seen in pinned.seen[1:])
