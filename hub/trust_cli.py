"""Commands on the hub host for the audit log and the data key.

    python -m hub audit verify [--config hub.toml]
    python -m hub audit export --out FILE [--format jsonl|csv] [--config hub.toml]
    python -m hub data-key create [--config hub.toml] [--owner USER]
    python -m hub data-key rotate [--config hub.toml]

``audit verify`` walks the hash chain and names the first row that does not
fit (exit status 1), or prints the row count and the last hash (exit 0): note
that hash somewhere else, and a later rewrite of the whole chain shows too.
``audit export`` writes every row with its hashes, as JSON lines or as a
formula-safe CSV (hub/csv_export.py), and verifies the chain as it does.
``data-key create`` makes the key file hub.toml names (mode 0600) if there is
none (``--owner``: root hands it to the hub's service user, as install.sh
does); ``data-key rotate`` puts a new key first in it (the old ones stay, for
the backups that need them) and re-seals every stored row with the new key
(contact data and the console's TOTP secrets), keeping the file's owner (run
as root, it must not lock the hub out of it).
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update

from hub.crypto import (
    DataCipher,
    DataKeyError,
    create_key_file,
    key_file_problem,
    load_data_cipher,
    new_key_line,
    parse_key_file,
)
from hub.settings import HubConfigError, HubSettings, load_hub_settings

EXPORT_COLUMNS = (
    "seq",
    "id",
    "at",
    "actor",
    "action",
    "target",
    "detail",
    "result",
    "client",
    "hash_alg",
    "prev_hash",
    "row_hash",
)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub", description=__doc__.split("\n")[0])
    parser.add_argument("--config", help="hub TOML file (default: built-in demo settings)")
    parser.add_argument("--database-url", help="override hub.database_url")
    topics = parser.add_subparsers(dest="topic", required=True)
    audit = topics.add_parser("audit", help="the tamper-evident audit log")
    audit_cmds = audit.add_subparsers(dest="command", required=True)
    audit_cmds.add_parser("verify", help="check the hash chain; name the first broken row")
    export = audit_cmds.add_parser("export", help="write every row with its hashes")
    export.add_argument("--out", required=True, help="file to write")
    export.add_argument("--format", choices=("jsonl", "csv"), help="default: from --out's suffix")
    key = topics.add_parser("data-key", help="the key that encrypts personal data at rest")
    key_cmds = key.add_subparsers(dest="command", required=True)
    create = key_cmds.add_parser("create", help="create the key file if there is none")
    create.add_argument("--owner", help="the user (and its group) to own the file, e.g. huimin-hub")
    key_cmds.add_parser("rotate", help="put a new key first and re-seal every row with it")
    args = parser.parse_args(_config_first(argv))
    try:
        settings = load_hub_settings(args.config)
    except HubConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    if args.database_url:
        settings = settings.model_copy(update={"database_url": args.database_url})
    try:
        if args.topic == "audit":
            return _audit(settings, args)
        return _data_key(settings, args.command, getattr(args, "owner", None))
    except DataKeyError as exc:
        print(exc, file=sys.stderr)
        return 2


def _config_first(argv: list[str]) -> list[str]:
    """Let --config/--database-url come anywhere (``audit verify --config x``)."""
    front: list[str] = []
    rest: list[str] = []
    it = iter(argv)
    for arg in it:
        if arg in ("--config", "--database-url"):
            front += [arg, next(it, "")]
        elif arg.startswith(("--config=", "--database-url=")):
            front.append(arg)
        else:
            rest.append(arg)
    return front + rest


def _engine(settings: HubSettings) -> Engine:
    from hub.db import make_engine

    return make_engine(settings.database_url)


def _audit(settings: HubSettings, args: argparse.Namespace) -> int:
    from hub.fleet import audit_chain

    engine = _engine(settings)
    try:
        with engine.connect() as conn:
            verdict = audit_chain.verify(conn)
            if args.command == "export":
                out = Path(args.out)
                fmt = args.format or ("csv" if out.suffix.lower() == ".csv" else "jsonl")
                count = _export(audit_chain.entries(conn), out, fmt)
                print(f"{count} rows written to {out} ({fmt})")
    finally:
        engine.dispose()
    print(verdict)
    return 0 if verdict.ok else 1


def _export(rows: Any, out: Path, fmt: str) -> int:
    from hub.csv_export import csv_text

    def cell(value: object) -> object:
        return value.isoformat(timespec="microseconds") if isinstance(value, datetime) else value

    records = [{name: cell(row[name]) for name in EXPORT_COLUMNS} for row in rows]
    if fmt == "csv":
        table = [list(EXPORT_COLUMNS)] + [[r[n] for n in EXPORT_COLUMNS] for r in records]
        out.write_text(csv_text(table), encoding="utf-8")
    else:
        out.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
        )
    return len(records)


def _data_key(settings: HubSettings, command: str, owner_name: str | None = None) -> int:
    path = Path(settings.data_key_file)
    if command == "create":
        owner = None
        if owner_name:
            try:
                user = pwd.getpwnam(owner_name)
            except KeyError:
                print(f"data-key create: no user {owner_name!r}", file=sys.stderr)
                return 2
            owner = (user.pw_uid, user.pw_gid)
        if create_key_file(path, owner):
            print(f"created {path} (mode 0600): back it up apart from the database")
            return 0
        problem = key_file_problem(settings)
        print(f"{path} exists" + (f"; {problem}" if problem else ""))
        return 1 if problem else 0
    old = load_data_cipher(settings.model_copy(update={"demo_data": False}))
    lines = path.read_text(encoding="ascii").splitlines()
    new_text = "\n".join([new_key_line(), *lines]) + "\n"
    new = DataCipher(parse_key_file(new_text), settings.crypto)
    _write_private(path, new_text)
    resealed = _reseal(settings, old, new)
    print(f"new key {new.current.key_id} is first in {path}; {resealed} rows re-sealed")
    print("keep the older lines until no backup sealed with them is kept")
    return 0


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, mode 0600 and the same owner:
    rotated by root, the file must stay readable by the hub's service user."""
    before = path.stat()
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    if (before.st_uid, before.st_gid) != (os.geteuid(), os.getegid()):
        os.fchown(fd, before.st_uid, before.st_gid)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _reseal(settings: HubSettings, old: DataCipher, new: DataCipher) -> int:
    from hub.services.contact import ADDRESS, PHONE
    from hub.services.models import ApplicationRow

    engine = _engine(settings)
    count = 0
    try:
        with engine.begin() as conn:
            rows = conn.execute(
                select(
                    ApplicationRow.id, ApplicationRow.contact_phone, ApplicationRow.delivery_address
                )
            ).all()
            for row in rows:
                if new.is_current(row.contact_phone) and (
                    row.delivery_address is None or new.is_current(row.delivery_address)
                ):
                    continue
                address = row.delivery_address
                conn.execute(
                    update(ApplicationRow)
                    .where(ApplicationRow.id == row.id)
                    .values(
                        contact_phone=new.seal(old.open(row.contact_phone, PHONE), PHONE),
                        delivery_address=None
                        if address is None
                        else new.seal(old.open(address, ADDRESS), ADDRESS),
                    )
                )
                count += 1
            count += _reseal_totp(conn, old, new)
    finally:
        engine.dispose()
    return count


def _reseal_totp(conn: Any, old: DataCipher, new: DataCipher) -> int:
    """The console operators' TOTP secrets, sealed with the same key."""
    from hub.fleet.console.totp import SEALED_COLUMN
    from hub.fleet.models import Operator

    count = 0
    rows = conn.execute(
        select(Operator.id, Operator.totp_secret).where(Operator.totp_secret.is_not(None))
    ).all()
    for row in rows:
        if new.is_current(row.totp_secret):
            continue
        resealed = new.seal(old.open(row.totp_secret, SEALED_COLUMN), SEALED_COLUMN)
        conn.execute(update(Operator).where(Operator.id == row.id).values(totp_secret=resealed))
        count += 1
    return count
