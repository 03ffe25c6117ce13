"""补打 by keypad against the real hub: the person's certificates, slips and receipts of
the last 90 days, paged for 长辈 mode, and this session's prints when the hub is down."""

from __future__ import annotations

import pygame

from kiosk.flows import Certificates
from kiosk.flows.person import PersonSession
from kiosk.hub_client import HubClient
from tests.e2e.conftest import HubProcess, Kiosk, MakeKiosk, assert_few_options
from tests.kiosk.flows.conftest import person

LI_JIANGUO = "410225195807012019"


def open_reprint(k: Kiosk, card: str) -> None:
    k.choose("print")
    k.choose("reprint")
    assert k.screen.name == "identify"  # whose documents: the card says
    k.place_card(card)
    k.wait_for(lambda: k.screen.name == "reprint" and (k.screen.data or k.screen.failed))


def doc_options(k: Kiosk) -> list[str]:
    return [o.name for _, o in k.screen.numbered_options() if o.name.startswith("doc_")]


def printed_text(k: Kiosk, count: int) -> str:
    return "\n".join(k.receipts(count)[-1].text_lines)


def test_slips_from_weeks_ago_are_reprinted(make_kiosk: MakeKiosk) -> None:
    """wang_fang applied 40 and 6 days ago (demo data): nothing printed in this session,
    yet both 受理回执 are there, newest first, and one prints again marked 补打."""
    k = make_kiosk(elder=True)
    open_reprint(k, "wang_fang")
    assert_few_options(k)
    text = k.shown_text()
    assert "门诊慢特病待遇认定" in text and "异地就医备案" in text
    assert text.index("门诊慢特病待遇认定") < text.index("异地就医备案")
    assert len(doc_options(k)) == 2
    k.choose(doc_options(k)[0])
    paper = printed_text(k, 1)
    assert "受理回执（补打）" in paper and "门诊慢特病待遇认定" in paper
    assert "4102**********3020" in paper and "410225198511203020" not in paper
    k.choose("done")
    assert k.screen.name == "rate"


def test_many_documents_are_paged_for_elders(make_kiosk: MakeKiosk, hub: HubProcess) -> None:
    # Seven certificates issued earlier, in his person sessions (his card was read).
    client = HubClient(hub.url, token=lambda: hub.token, timeout_s=10.0)
    certificates = Certificates(client, PersonSession(client, lambda: hub.key))
    for _ in range(7):
        certificates.insurance(person(LI_JIANGUO))
    client.close()
    k = make_kiosk(elder=True)
    open_reprint(k, "li_jianguo")
    seen: list[str] = []
    for _ in range(5):  # bounded: seven documents need three groups of three
        assert_few_options(k)
        seen += doc_options(k)
        names = [o.name for _, o in k.screen.numbered_options()]
        if "next_group" not in names:
            break
        k.choose("next_group")
    assert len(seen) == len(set(seen)) == 7
    k.choose("prev_group")
    k.choose(doc_options(k)[0])
    paper = k.receipts(1)[-1]
    assert "社会保险参保证明（补打）" in "\n".join(paper.text_lines)
    assert paper.qr_payloads and "/verify/" in paper.qr_payloads[0]


def test_hub_down_still_reprints_this_sessions_prints(make_kiosk: MakeKiosk) -> None:
    k = make_kiosk()
    k.choose("print")
    k.choose("certificate")
    k.place_card("zhao_lei")
    k.wait_for(lambda: k.screen.name == "certificate" and k.screen.data is not None)
    k.choose("print")
    first = k.receipts(1)[-1]

    k.set_hub_down(True)
    k.key(pygame.K_HOME)
    k.choose("print")
    k.choose("reprint")
    k.wait_for(lambda: k.screen.name == "reprint" and k.screen.failed, what="hub down shown")
    text = k.shown_text()
    assert "暂时无法连接服务中心" in text and "本次打印过的凭证仍可补打" in text
    assert "暂时无法连接服务中心" in k.said()
    names = [o.name for _, o in k.screen.numbered_options()]
    assert names == ["kept_0", "retry", "done"]
    k.choose("kept_0")
    again = k.receipts(2)[-1]
    assert "社会保险参保证明（补打）" in "\n".join(again.text_lines)
    assert again.qr_payloads == first.qr_payloads

    k.set_hub_down(False)
    k.key(pygame.K_RETURN)  # 重试
    k.wait_for(lambda: k.screen.data is not None, what="documents after retry")
    names = [o.name for _, o in k.screen.numbered_options()]
    # The hub kept the same certificate: listed once, from the hub.
    assert names[-1] == "done" and len(doc_options(k)) == 1 and len(names) == 2


def test_nothing_to_reprint_says_where_to_go(make_kiosk: MakeKiosk) -> None:
    k = make_kiosk()
    open_reprint(k, "ma_wenhua")
    text = k.shown_text()
    assert "近90天没有可补打的凭证" in text and "窗口" in text
    assert [o.name for _, o in k.screen.numbered_options()] == ["done"]
