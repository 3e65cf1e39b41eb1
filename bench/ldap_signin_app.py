"""The whole directory sign-in through the Flask view: POST /login with the test client, as a browser does.

Three sides, interleaved, the same users in the same order, against one throw-away slapd
(tests/support/slapd.py) and one SQLite database built by the migrations:

- **bare ldap3**: search-then-bind as a naive application writes it (bench/ldap_signin.py's baseline),
  with no web framework and no database: the floor a directory sign-in cannot go below;
- **view, bare ldap3 inside**: the sign-in view of the application (throttling check, account sync,
  audit, commit, session) with that naive search-then-bind in place of :class:`Directory`;
- **view, Directory**: the application as shipped (one Directory per process, reused connection).

Targets (issue 4): p95 of the view with Directory <= 1.3 x p95 of the view with bare ldap3 inside, and
<= 3 LDAP round trips per sign-in. The ratio to bare ldap3 alone is printed too: it is what the web
framework and the database add, not what the directory costs.

    .venv/bin/python bench/ldap_signin_app.py            # N=300, plain LDAP
    .venv/bin/python bench/ldap_signin_app.py --tls      # StartTLS with the fixture's CA
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ldap3
from flask import Flask
from ldap3.utils.conv import escape_filter_chars

from bench.ldap_signin import Counter, bare_signin, measure, people, percentile
from screening import migrate
from screening.actors import Actor
from screening.app import create_app
from screening.auth.directory import DirectoryAccount, LdapConfig, NotMapped
from screening.auth.directory.mapping import MappingTable
from screening.auth.ldap import close_directory
from screening.config import make_config
from screening.db import db
from screening.organisations.operations import save_organisation
from screening.people.identifiers import make_enterprise_number
from tests.support import slapd as fixture

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class BareDirectory:
    """The naive search-then-bind behind the application's ``authenticate`` interface."""

    def __init__(self, config: LdapConfig, server: ldap3.Server, tls: ldap3.Tls | None) -> None:
        self.server, self.tls = server, tls
        self.roles = MappingTable(config.role_mappings)
        self.organisations = MappingTable(config.organisation_mappings)

    def authenticate(self, username: str, password: str) -> DirectoryAccount:
        auto_bind = ldap3.AUTO_BIND_TLS_BEFORE_BIND if self.tls else ldap3.AUTO_BIND_NO_TLS
        service = ldap3.Connection(self.server, fixture.SERVICE_DN, fixture.SERVICE_PASSWORD, auto_bind=auto_bind)
        try:
            service.search(
                fixture.PEOPLE, f"(uid={escape_filter_chars(username)})", attributes=["uid", "cn", "mail", "memberOf"]
            )
            entry = service.response[0]
        finally:
            service.unbind()
        ldap3.Connection(self.server, entry["dn"], password, auto_bind=auto_bind).unbind()
        attributes = entry["attributes"]
        groups = tuple(attributes.get("memberOf", ()))
        role = self.roles.first(groups)
        organisation = self.organisations.first(groups)
        if role is None:
            raise NotMapped(entry["dn"])
        return DirectoryAccount(
            dn=entry["dn"], username=attributes["uid"][0], display_name=attributes["cn"][0],
            email=attributes["mail"][0] if attributes.get("mail") else None, groups=groups, role=role.role,
            organisation_key=organisation.organisation if organisation else None, server=self.server.name,
        )  # fmt: skip


class _Holder:
    def __init__(self, directory: BareDirectory) -> None:
        self.directory = directory

    def get(self) -> BareDirectory:
        return self.directory

    def close(self) -> None:
        pass


def build_app(url: str, settings: dict[str, Any]) -> Flask:
    # Directory sign-in alone is measured: no second-factor step for the officers among the people.
    app = create_app(make_config(database={"url": url}, ldap=settings, security={"second_factor_roles": []}))
    app.config["TESTING"] = True
    return app


def view_signin(app: Flask, person: fixture.Person, counter: Counter) -> tuple[float, int, int]:
    """One browser: the sign-in page is fetched first (not timed), then the POST is timed."""
    client = app.test_client()
    token = _TOKEN.search(client.get("/login").text)
    assert token is not None
    data = {"csrf_token": token.group(1), "username": person.uid, "password": person.password}
    result: dict[str, Any] = {}
    sample = measure(lambda: result.setdefault("response", client.post("/login", data=data)), counter)
    assert result["response"].status_code == 302, result["response"].text[:500]
    return sample


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=300, help="sign-ins per side (default 300)")
    parser.add_argument("--users", type=int, default=2000, help="extra people in the directory (default 2000)")
    parser.add_argument("--tls", action="store_true", help="StartTLS on every side")
    args = parser.parse_args()
    missing = fixture.missing_requirements()
    if missing:
        print(f"cannot run: {missing}", file=sys.stderr)
        return 2
    logging.disable(logging.WARNING)  # one INFO line per sign-in would be measured too
    tree = people(args.users)
    with tempfile.TemporaryDirectory(prefix="bench-signin-app-") as tmp:
        server = fixture.SlapdServer(Path(tmp) / "slapd", people=tree, tls=args.tls, size_limit=5000)
        try:
            server.start()
            return run(server, tree, args, Path(tmp))
        finally:
            server.stop()


def run(server: fixture.SlapdServer, tree: tuple[fixture.Person, ...], args: argparse.Namespace, tmp: Path) -> int:
    groups = [
        ("acme-requesters", "requester", fixture.ACME), ("acme-hr", "hr", fixture.ACME),
        ("scheldt-requesters", "requester", fixture.SCHELDT), ("scheldt-hr", "hr", fixture.SCHELDT),
        ("nvo-officers", "officer", None),
    ]  # fmt: skip
    settings: dict[str, Any] = {
        "servers": [server.url],
        "user_base": fixture.PEOPLE,
        "bind_dn": fixture.SERVICE_DN,
        "bind_password": fixture.SERVICE_PASSWORD,
        "role_mappings": [{"group": fixture.group_dn(name), "role": role} for name, role, _ in groups],
        "organisation_mappings": [
            {"group": fixture.group_dn(name), "organisation": key} for name, _, key in groups if key
        ],
    }
    tls = None
    if args.tls:
        assert server.tls_files is not None
        settings.update(start_tls=True, ca_file=str(server.tls_files.ca_file))
        tls = ldap3.Tls(validate=2, ca_certs_file=str(server.tls_files.ca_file))
        warnings.simplefilter("ignore", DeprecationWarning)  # ldap3's stock Tls: the baseline as shipped
    url = f"sqlite:///{tmp / 'bench.db'}"
    ours = build_app(url, settings)
    migrate.upgrade(ours.extensions["screening.engine"])
    with ours.app_context():
        actor = Actor(label="bench", role="admin")
        save_organisation(actor, name="Acme", code="acme", enterprise_number=fixture.ACME)
        save_organisation(actor, name="Scheldt", code=fixture.SCHELDT, enterprise_number=make_enterprise_number(7))
        db.session.commit()
    bare_server = ldap3.Server(server.url, get_info=ldap3.NONE, tls=tls)
    naive = build_app(url, settings)
    naive.extensions["screening.directory"] = _Holder(
        BareDirectory(LdapConfig.from_mapping(settings), bare_server, tls)
    )

    counter = Counter()
    mapped = [p for p in tree if p.uid.startswith("worker")]
    for person in mapped[:2]:  # warm-up: first sign-ins create the accounts, the first opens the connection
        view_signin(ours, person, counter)
        view_signin(naive, person, counter)
    samples: dict[str, list[float]] = {"bare": [], "naive": [], "ours": []}
    trips: dict[str, set[int]] = {"bare": set(), "naive": set(), "ours": set()}
    sides = list(samples)
    for n in range(args.n):
        person = mapped[(n * 7919) % len(mapped)]
        for side in sides[n % 3 :] + sides[: n % 3]:  # rotate the order: drift hits every side alike
            if side == "bare":
                elapsed, requests, _ = measure(
                    lambda p=person: bare_signin(bare_server, p.uid, p.password, tls), counter
                )
            else:
                elapsed, requests, _ = view_signin(ours if side == "ours" else naive, person, counter)
            samples[side].append(elapsed)
            trips[side].add(requests)
    close_directory(ours)
    for app in (ours, naive):
        app.extensions["screening.engine"].dispose()

    labels = {
        "bare": "bare ldap3 search-then-bind (no app)",
        "naive": "sign-in view, bare ldap3 inside",
        "ours": "sign-in view, Directory (as shipped)",
    }
    print(f"# whole sign-in (POST /login), N={args.n} per side, {len(tree)} people, "
          f"{'StartTLS' if args.tls else 'plain LDAP'}, SQLite")  # fmt: skip
    print()
    print("| | p50 ms | p95 ms | p99 ms | mean ms | LDAP round trips |")
    print("|---|---|---|---|---|---|")
    for side, label in labels.items():
        values = samples[side]
        print(
            f"| {label} | {statistics.median(values):.2f} | {percentile(values, 0.95):.2f} | "
            f"{percentile(values, 0.99):.2f} | {statistics.fmean(values):.2f} | "
            f"{'/'.join(map(str, sorted(trips[side])))} |"
        )
    ratio = percentile(samples["ours"], 0.95) / percentile(samples["naive"], 0.95)
    floor = percentile(samples["ours"], 0.95) / percentile(samples["bare"], 0.95)
    print()
    verdict = "met" if ratio <= 1.3 else "NOT met"
    print(f"p95 ratio view+Directory / view+bare ldap3: {ratio:.2f} (target <= 1.30: {verdict})")
    print(f"p95 ratio view+Directory / bare ldap3 alone: {floor:.2f} (the app's own work: sync, audit, commit...)")
    return 0 if ratio <= 1.3 and max(trips["ours"]) <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
