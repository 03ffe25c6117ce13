"""``python -m hub release …``: the release tool (key ceremony, bundles, signing).

init      --repo R --offline-keys USB --online-keys K   new repository and four keys
build     --version V --out F [--source .] [--wheels-from DIR | --requirements FILE]
sign      --repo R --bundle F --version V --targets-key USB/targets.pem   (offline machine)
publish   --repo R --online-keys K     re-sign snapshot + timestamp (the hub)
timestamp --repo R --online-keys K     re-sign the timestamp only (daily timer)
list      --repo R                     the signed releases and the expiries
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from hub.releases.bundle import DEFAULT_CODE, build_bundle, download_wheels
from hub.releases.repository import ReleaseRepository, RepositoryError, load_signer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hub release", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    init = sub.add_parser("init", help="create a repository and its keys")
    init.add_argument("--repo", required=True)
    init.add_argument("--offline-keys", required=True, help="root and targets keys go here")
    init.add_argument("--online-keys", required=True, help="snapshot and timestamp keys")
    build = sub.add_parser("build", help="bundle the code and its wheels")
    build.add_argument("--version", required=True)
    build.add_argument("--out", required=True)
    build.add_argument("--source", default=".")
    build.add_argument("--code", nargs="*", default=list(DEFAULT_CODE))
    build.add_argument("--entry", nargs="*", default=["main.py"])
    wheels = build.add_mutually_exclusive_group()
    wheels.add_argument("--wheels-from", help="a folder of wheels already downloaded")
    wheels.add_argument("--requirements", help="pip wheel these requirements into the bundle")
    sign = sub.add_parser("sign", help="add a bundle to targets.json (offline targets key)")
    sign.add_argument("--repo", required=True)
    sign.add_argument("--bundle", required=True)
    sign.add_argument("--version", required=True)
    sign.add_argument("--targets-key", required=True)
    for name in ("publish", "timestamp"):
        online = sub.add_parser(name, help=f"re-sign {name} with the online keys")
        online.add_argument("--repo", required=True)
        online.add_argument("--online-keys", required=True)
    listing = sub.add_parser("list", help="signed releases and expiries")
    listing.add_argument("--repo", required=True)
    return parser


def _build(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if args.requirements:
            wheels = download_wheels(Path(args.requirements), Path(tmp))
        elif args.wheels_from:
            wheels = sorted(Path(args.wheels_from).glob("*.whl"))
        else:
            wheels = []
        out = build_bundle(args.out, args.version, args.source, args.code, wheels, args.entry)
    print(f"bundle {out} ({out.stat().st_size} bytes, {len(wheels)} wheels)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.action == "init":
            ReleaseRepository.create(args.repo, args.offline_keys, args.online_keys)
            print(f"repository created in {args.repo}; move {args.offline_keys} offline now")
        elif args.action == "build":
            _build(args)
        elif args.action == "sign":
            repo = ReleaseRepository(args.repo)
            info = repo.add_release(args.bundle, args.version, load_signer(Path(args.targets_key)))
            print(f"signed {info.target} sha256 {info.sha256}; now run publish on the hub")
        elif args.action in ("publish", "timestamp"):
            repo = ReleaseRepository(args.repo)
            keys = Path(args.online_keys)
            timestamp = load_signer(keys / "timestamp.pem")
            if args.action == "publish":
                repo.publish(load_signer(keys / "snapshot.pem"), timestamp)
            else:
                repo.refresh_timestamp(timestamp)
            print(f"{args.action} signed")
        else:
            repo = ReleaseRepository(args.repo)
            for release in repo.releases():
                print(f"{release.version}\t{release.target}\t{release.length}\t{release.sha256}")
            for role, expires in repo.expiries().items():
                print(f"{role} expires {expires.isoformat()}")
    except (RepositoryError, ValueError, FileNotFoundError) as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 2
    return 0
