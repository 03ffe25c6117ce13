"""hub/crypto.py: both suites seal and open, values are bound to their column,
the key file is checked, rotation re-seals every row and keeps old data
readable, and the migration seals rows stored before it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from hub.crypto import (
    DataCipher,
    DataKeyError,
    create_key_file,
    digest,
    key_file_problem,
    new_key_line,
    parse_key_file,
)
from hub.db import make_engine, make_sessionmaker
from hub.services.contact import ADDRESS, PHONE, phone_of
from hub.services.models import ApplicationRow
from hub.settings import HubSettings
from tests.hub.conftest import REPO


@pytest.mark.parametrize(("suite", "cipher"), [("standard", "aes256gcm"), ("gm", "sm4gcm")])
def test_both_suites_seal_and_open(suite: str, cipher: str) -> None:
    keys = parse_key_file(new_key_line())
    sealer = DataCipher(keys, suite)  # type: ignore[arg-type]
    sealed = sealer.seal("13912345678", PHONE)
    assert sealed.startswith(f"v1.{cipher}.{keys[0].key_id}.")
    assert "13912345678" not in sealed
    assert sealer.seal("13912345678", PHONE) != sealed  # a fresh nonce each time
    assert sealer.open(sealed, PHONE) == "13912345678"
    # Whatever the configured suite now, a value opens with the cipher it names.
    other = DataCipher(keys, "gm" if suite == "standard" else "standard")
    assert other.open(sealed, PHONE) == "13912345678"
    with pytest.raises(DataKeyError, match="altered or misplaced"):
        sealer.open(sealed, ADDRESS)  # copied into the address column
    tampered = sealed[:-6] + ("AAAAAA" if not sealed.endswith("AAAAAA") else "BBBBBB")
    with pytest.raises(DataKeyError):
        sealer.open(tampered, PHONE)
    with pytest.raises(DataKeyError, match="does not hold"):
        DataCipher(parse_key_file(new_key_line()), suite).open(sealed, PHONE)  # type: ignore[arg-type]


def test_digests_match_the_published_vectors() -> None:
    # GB/T 32905-2016 Appendix A.1 ("abc") and FIPS 180-2.
    assert digest("sm3", b"abc") == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    assert digest("sha256", b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_the_key_file_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "k" / "hub-data.key"
    settings = HubSettings(data_key_file=str(path))
    assert "does not exist" in (key_file_problem(settings) or "")
    assert create_key_file(path) and not create_key_file(path)  # never overwritten
    assert (path.stat().st_mode & 0o777) == 0o600
    assert key_file_problem(settings) is None
    os.chmod(path, 0o640)
    assert "readable by others" in (key_file_problem(settings) or "")
    os.chmod(path, 0o600)
    path.write_text("k1:bm90IDMyIGJ5dGVz\n")
    assert "line 1" in (key_file_problem(settings) or "")


def _applications_db(tmp_path: Path, cipher: DataCipher) -> str:
    from tests.hub.conftest import prepare_schema

    url = f"sqlite:///{tmp_path / 'hub.db'}"
    prepare_schema(url)
    factory = make_sessionmaker(make_engine(url), cipher)
    with factory() as s, s.begin():
        s.execute(
            text(
                "INSERT INTO svc_applications (acceptance_no, item_id, item_name, person_ref,"
                " id_masked, name_masked, contact_phone, form, delivery_method, delivery_address,"
                " status, promised_days, created_at, updated_at) VALUES ('20261122000001', 'i',"
                " 'n', 'r', 'm', 'm', :phone, '{}', 'post', :address, 'accepted', 5,"
                " '2026-11-22 00:00:00.000000', '2026-11-22 00:00:00.000000')"
            ),
            {"phone": cipher.seal("13912345678", PHONE), "address": cipher.seal("张庄村", ADDRESS)},
        )
    return url


def test_rotation_reseals_every_row_and_keeps_old_lines(tmp_path: Path) -> None:
    key_file = tmp_path / "hub-data.key"
    create_key_file(key_file)
    old = DataCipher(parse_key_file(key_file.read_text()))
    url = _applications_db(tmp_path, old)
    config = tmp_path / "hub.toml"
    config.write_text(f'[hub]\ndatabase_url = "{url}"\ndata_key_file = "{key_file}"\n')
    done = subprocess.run(
        [sys.executable, "-m", "hub", "data-key", "rotate", "--config", str(config)],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "1 rows re-sealed" in done.stdout
    lines = key_file.read_text().splitlines()
    assert len(lines) == 2 and lines[1].startswith(old.current.key_id + ":")
    assert (key_file.stat().st_mode & 0o777) == 0o600
    # A hub process started before the rotation reads the file again for the new key.
    running = DataCipher(parse_key_file(lines[1]), source=key_file)
    new = DataCipher(parse_key_file(key_file.read_text()))
    with make_sessionmaker(make_engine(url), running)() as s:
        assert phone_of(s, s.scalars(select(ApplicationRow)).one()) == "13912345678"
    assert running.current.key_id == new.current.key_id
    factory = make_sessionmaker(make_engine(url), new)
    with factory() as s:
        row = s.scalars(select(ApplicationRow)).one()
        assert new.is_current(row.contact_phone) and new.is_current(row.delivery_address or "")
        assert phone_of(s, row) == "13912345678"


def test_the_migration_seals_rows_stored_in_clear(tmp_path: Path) -> None:
    from alembic import command

    from hub.schema import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "e279499a5bce")
        conn.execute(
            text(
                "INSERT INTO svc_applications (acceptance_no, item_id, item_name, person_ref,"
                " id_masked, name_masked, contact_phone, form, delivery_method, delivery_address,"
                " status, promised_days, created_at, updated_at) VALUES ('20261122000001', 'i',"
                " 'n', 'r', 'm', 'm', '13912345678', '{}', 'post', '张庄村8号', 'accepted', 5,"
                " '2026-11-22 00:00:00.000000', '2026-11-22 00:00:00.000000')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO fleet_operators (id, username, display_name, role, password_hash,"
                " failed_logins, disabled, created_at) VALUES (1, 'a', '', 'admin', 'x', 0, 0,"
                " '2026-11-22 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO fleet_operator_sessions (id, operator_id, csrf_token, created_at,"
                " last_seen_at) VALUES ('clear-session-id', 1, 'c', '2026-11-22 00:00:00',"
                " '2026-11-22 00:00:00')"
            )
        )
    with pytest.raises(RuntimeError, match="data_key_file"):
        upgrade(engine)  # nothing is half-migrated without the key
    cipher = DataCipher(parse_key_file(new_key_line()))
    upgrade(engine, cipher)
    with engine.connect() as conn:
        phone, address = conn.execute(
            text("SELECT contact_phone, delivery_address FROM svc_applications")
        ).one()
        session_id = conn.execute(text("SELECT id FROM fleet_operator_sessions")).scalar_one()
    engine.dispose()
    assert cipher.open(phone, PHONE) == "13912345678"
    assert cipher.open(address, ADDRESS) == "张庄村8号"
    assert session_id == digest("sha256", b"clear-session-id")


@pytest.mark.skipif(os.geteuid() != 0, reason="handing a file to another user needs root")
def test_root_makes_and_rotates_the_key_for_the_hubs_user(tmp_path: Path) -> None:
    """install.sh runs ``data-key create --owner huimin-hub`` as root, and an
    administrator may run ``data-key rotate`` as root: the hub's user must
    still own (and so read) the file after either."""
    from hub.trust_cli import main as trust_main

    tmp_path.chmod(0o755)
    key_file = tmp_path / "hub-data.key"
    config = tmp_path / "hub.toml"
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    config.write_text(f'[hub]\ndatabase_url = "{url}"\ndata_key_file = "{key_file}"\n')
    assert trust_main(["--config", str(config), "data-key", "create", "--owner", "nobody"]) == 0
    nobody = key_file.stat()
    assert nobody.st_uid != 0 and (nobody.st_mode & 0o777) == 0o600
    assert trust_main(["--config", str(config), "data-key", "create", "--owner", "no-such"]) == 2
    from tests.hub.conftest import prepare_schema

    prepare_schema(url)
    assert trust_main(["--config", str(config), "data-key", "rotate"]) == 0
    rotated = key_file.stat()
    assert len(key_file.read_text().splitlines()) == 2
    assert (rotated.st_uid, rotated.st_gid) == (nobody.st_uid, nobody.st_gid)
    assert (rotated.st_mode & 0o777) == 0o600
