"""Attack 14, at rest: console session ids were stored in clear (a read of
the database was a login) and applicants' phones and postal addresses too.
Now the database holds the session's digest and sealed contact data, keyed
by a file outside the database; a production hub will not start without it."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import create_engine, select

from hub.backoffice.models import SmsOutboxRow
from hub.crypto import DataKeyError
from hub.fleet.console.security import SESSION_COOKIE
from hub.fleet.models import OperatorSession
from hub.services.models import ApplicationRow, SmsRow
from hub.settings import HubSettings
from tests.hub.conftest import REPO
from tests.hub.services.conftest import evidence_of
from tests.security.attacked_hub import attacked_hub
from tests.security.production_hub import production_config

SECRET = "attack-suite-secret-0123456789"
PHONE, ADDRESS = "13912345678", "河南省兰考县东坝头镇张庄村幸福路8号"


def test_console_sessions_are_stored_as_digests(tmp_path: Path) -> None:
    with attacked_hub(tmp_path) as hub, hub.client() as c:
        hub.operator(c)
        cookie = c.cookies.get(SESSION_COOKIE)
        assert cookie
        secret = URLSafeSerializer(SECRET, salt="huimin-console").loads(cookie)
        engine = create_engine(hub.database_url)
        with engine.connect() as conn:
            stored = conn.execute(select(OperatorSession.id)).scalars().all()
        engine.dispose()
        assert stored == [hashlib.sha256(secret.encode()).hexdigest()]
        # What the database holds is no login, even signed with the hub's secret key.
        c.cookies.clear()
        forged = URLSafeSerializer(SECRET, salt="huimin-console").dumps(stored[0])
        c.cookies.set(SESSION_COOKIE, forged, path="/console")
        assert c.get("/console/whoami").status_code == 401


def test_contact_data_is_sealed_and_still_used(tmp_path: Path) -> None:
    with attacked_hub(tmp_path) as hub, hub.client() as c:
        terminal = hub.signing_terminal(c, "张庄村1号机")
        auth = terminal.auth
        reply = c.post(
            "/api/v1/services/applications",
            json={
                "item_id": "rsi_resident_pension_enrol",
                "person_session": terminal.session(c, evidence_of("zhao_lei")),
                "form": {"phone": PHONE, "grade_yuan": 300},
                "delivery": {"method": "post", "address": ADDRESS},
                "consent": True,
                "idempotency_key": "at-rest-0001",
            },
            headers=auth,
        )
        assert reply.status_code == 201, reply.text
        assert PHONE not in reply.text  # masked in the reply, as before
        key_file = tmp_path / "hub-data.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        engine = create_engine(hub.database_url)
        with engine.connect() as conn:
            apps = conn.execute(select(ApplicationRow)).all()
            # The hub's SMS go through the back office's outbox (hub/backoffice/sms.py).
            sms = conn.execute(select(SmsRow.phone_masked)).scalars().all()
            sms += conn.execute(select(SmsOutboxRow.phone_masked)).scalars().all()
        engine.dispose()
        raw_db = Path(hub.database_url.removeprefix("sqlite:///")).read_bytes()
    assert apps, "the demo seeds applications and one was made"
    for row in apps:
        assert row.contact_phone.startswith("v1.aes256gcm.")
        assert not row.contact_phone[-11:].isdigit()
    # The demo's back office seeds posted applications too (sealed the same way):
    # the one made here is found by its number.
    made = reply.json()["acceptance_no"]
    posted = [r for r in apps if r.delivery_address is not None and r.acceptance_no == made]
    assert len(posted) == 1 and posted[0].delivery_address.startswith("v1.aes256gcm.")
    assert all(r.delivery_address.startswith("v1.aes256gcm.") for r in apps if r.delivery_address)
    # Nowhere in the database file (WAL checkpointed by the hub's exit). The demo
    # provider's own citizen table (the provincial platform's stand-in) is not ours.
    assert PHONE.encode() not in raw_db and ADDRESS.encode() not in raw_db
    # The SMS still went to the real number (masked in the record, as before).
    assert "139****5678" in sms


def test_a_hub_outside_demo_mode_refuses_to_start_without_its_key(tmp_path: Path) -> None:
    """A real ``python -m hub``, configured for production but for its key file:
    refused with the one line naming hub.data_key_file, exit status 2, before
    the database is touched; a key file others can read is refused the same way."""
    missing = tmp_path / "missing.key"
    loose = tmp_path / "loose.key"
    loose.write_text("k1:" + "A" * 44 + "\n")
    os.chmod(loose, 0o644)
    for key_file, problem in (
        (missing, f"hub.data_key_file: {missing} does not exist"),
        (loose, f"hub.data_key_file: {loose} is readable by others"),
    ):
        config = tmp_path / "hub.toml"
        config.write_text(
            production_config(tmp_path, data_key_file=f'"{key_file}"'), encoding="utf-8"
        )
        done = subprocess.run(
            [sys.executable, "-m", "hub", "--config", str(config), "--port", "0"],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"hub refuses to start: {problem}"), lines
    assert not missing.exists()
    assert not (tmp_path / "hub.db").exists()


def test_a_demo_hub_refuses_a_key_file_others_can_read(tmp_path: Path) -> None:
    """A demo hub makes its key when there is none, but never uses a loose one."""
    from hub.app import create_app

    loose = tmp_path / "loose.key"
    loose.write_text("k1:" + "A" * 44 + "\n")
    os.chmod(loose, 0o644)
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}", data_key_file=str(loose)
    )
    with pytest.raises(DataKeyError, match="readable by others"):
        create_app(settings)
