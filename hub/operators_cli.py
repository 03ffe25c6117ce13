"""Break-glass on the hub host: ``python -m hub --config … operators COMMAND``.

For when nobody can log in to the console (a forgotten password, a lost
phone, an account slowed down by an attack) or to make the first security
administrator of a hub migrated from the single ``admin`` role:

- ``list``: every account, its role and state;
- ``unlock NAME``: clear the login delays of an account;
- ``reset-password NAME``: print a one-time password the owner must replace
  at the next login (every session of the account ends);
- ``reset-totp NAME``: forget the second factor (enrolled again at next login);
- ``create NAME --role ROLE``: a new account with a one-time password.

Whoever can run this can read the hub's configuration and database anyway;
every change is written to the audit log as ``breakglass`` by 主机命令行 with
the system user who ran it.
"""

from __future__ import annotations

import argparse
import getpass
import re
import socket
import sys

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.settings import HubSettings

ACTOR = "主机命令行"
_ACTIONS = ("list", "unlock", "reset-password", "reset-totp", "create")


def add_operator_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from hub.fleet.console.roles import ROLES

    parser = commands.add_parser(
        "operators",
        help="break-glass: list, unlock or reset console accounts on the hub host",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    parser.add_argument("action", choices=_ACTIONS)
    parser.add_argument("name", nargs="?", help="the account (all but list)")
    parser.add_argument("--role", choices=ROLES, help="the role of a new account (create)")
    parser.add_argument("--display-name", default="", help="shown in the console (create)")


def run_operator_command(args: argparse.Namespace, settings: HubSettings) -> int:
    """Run ``operators ACTION``; 0 done, 1 no such account (or it exists, for
    create), 2 bad arguments."""
    if args.action != "list" and not args.name:
        print(f"operators {args.action}: which account? (NAME)", file=sys.stderr)
        return 2
    if args.action == "create" and not args.role:
        print("operators create: --role is required", file=sys.stderr)
        return 2
    if args.action == "create" and not re.fullmatch(r"[A-Za-z0-9_.-]{2,60}", args.name):
        print("operators create: NAME is 2-60 letters, digits, _ . or -", file=sys.stderr)
        return 2
    from hub import schema
    from hub.crypto import DataKeyError, digest_alg, load_data_cipher
    from hub.db import make_engine
    from hub.fleet import audit_chain

    # The data key only matters to a migration that seals stored rows; a
    # break-glass must work without it otherwise (such a migration says so).
    try:
        cipher = load_data_cipher(settings)
    except DataKeyError:
        cipher = None
    engine = make_engine(settings.database_url)
    try:
        try:
            schema.upgrade(engine, cipher)
        except RuntimeError as exc:
            print(f"operators: the database cannot be migrated: {exc}", file=sys.stderr)
            return 2
        with engine.begin() as conn:  # these audit rows chain like the hub's
            audit_chain.set_algorithm(conn, digest_alg(settings.crypto))
        return _run(engine, args, settings)
    finally:
        engine.dispose()


def _run(engine: Engine, args: argparse.Namespace, settings: HubSettings) -> int:
    from hub.fleet.models import Operator

    with Session(engine) as db, db.begin():
        if args.action == "list":
            _list(db)
            return 0
        operator = db.execute(
            select(Operator).where(Operator.username == args.name)
        ).scalar_one_or_none()
        if args.action == "create":
            return _create(db, args, settings) if operator is None else _exists(args.name)
        if operator is None:
            print(f"no account named {args.name!r} (see: operators list)", file=sys.stderr)
            return 1
        return _change(db, operator, args.action)


def _exists(name: str) -> int:
    print(f"an account named {name!r} exists already", file=sys.stderr)
    return 1


def _list(db: Session) -> None:
    from hub.fleet.console import throttle
    from hub.fleet.models import Operator

    print(f"{'NAME':<20} {'ROLE':<15} {'STATE':<32} LAST LOGIN (UTC)")
    for o in db.execute(select(Operator).order_by(Operator.username)).scalars():
        states = []
        if o.disabled:
            states.append("disabled")
        delayed = throttle.delayed_until(db, o.username)
        if delayed is not None:
            states.append(f"delayed until {delayed:%H:%M:%S}")
        if o.must_change_password:
            states.append("must change password")
        states.append("totp" if o.totp_secret else "no totp")
        last = f"{o.last_login_at:%Y-%m-%d %H:%M}" if o.last_login_at else "never"
        print(f"{o.username:<20} {o.role:<15} {', '.join(states):<32} {last}")


def _audit(db: Session, target: str, detail: str) -> None:
    from hub.fleet import audit

    who = f"{getpass.getuser()}@{socket.gethostname()}"
    audit.record(db.connection(), ACTOR, "breakglass", target, f"{detail}（{who}）", "ok", "")


def _change(db: Session, operator: object, action: str) -> int:
    from hub.fleet.console import throttle
    from hub.fleet.console.passwords import hash_password, one_time_password
    from hub.fleet.console.security import close_sessions_of
    from hub.fleet.models import Operator

    assert isinstance(operator, Operator)
    if action == "unlock":
        cleared = throttle.clear_account(db, operator.username)
        _audit(db, operator.username, "解除登录限制")
        print(f"{operator.username}: login delays cleared ({cleared} keys)")
    elif action == "reset-password":
        password = one_time_password()
        operator.password_hash = hash_password(password)
        operator.must_change_password = True
        close_sessions_of(db, operator.id)
        throttle.clear_account(db, operator.username)
        _audit(db, operator.username, "重置密码（一次性密码）")
        print(f"{operator.username}: one-time password (must be replaced at the next login):")
        print(password)
        if operator.disabled:
            print("note: the account is disabled; a security administrator must enable it")
    else:  # reset-totp
        operator.totp_secret = None
        operator.totp_last_step = None
        close_sessions_of(db, operator.id)
        _audit(db, operator.username, "重置动态口令")
        print(f"{operator.username}: second factor reset; it is enrolled again at the next login")
    return 0


def _create(db: Session, args: argparse.Namespace, settings: HubSettings) -> int:
    from hub.fleet.clock import utcnow
    from hub.fleet.console.passwords import hash_password, one_time_password
    from hub.fleet.models import Operator

    del settings
    password = one_time_password()
    try:
        with db.begin_nested():
            db.add(
                Operator(
                    username=args.name,
                    display_name=args.display_name,
                    role=args.role,
                    password_hash=hash_password(password),
                    created_at=utcnow(),
                    must_change_password=True,
                )
            )
    except IntegrityError:
        return _exists(args.name)
    _audit(db, args.name, f"新建账号，角色 {args.role}")
    print(f"{args.name}: created as {args.role}; one-time password (replace it at first login):")
    print(password)
    return 0
