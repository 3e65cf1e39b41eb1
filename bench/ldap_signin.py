"""Sign-in latency and LDAP round trips: Directory.authenticate against bare ldap3 search-then-bind.

The baseline is what a naive application does with ldap3: for every sign-in, open a connection as the
service account (connect + bind), search the user with memberOf, then open a second connection and bind
as the user. Both run against the same throw-away slapd (tests/support/slapd.py) on loopback, interleaved
so that drift on the machine hits both alike. Target (issue 4): p95 of ours <= 1.3 x p95 of the baseline,
and <= 3 round trips per sign-in.

    .venv/bin/python bench/ldap_signin.py            # N=300, plain LDAP
    .venv/bin/python bench/ldap_signin.py --tls      # both sides with StartTLS and the fixture's CA
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ldap3
from ldap3.strategy.base import BaseStrategy
from ldap3.utils.conv import escape_filter_chars

from screening.auth.directory import Directory, LdapConfig
from tests.support import slapd as fixture


class Counter:
    """Counts LDAP requests that wait for an answer and TCP connections, inside ldap3 itself."""

    def __init__(self) -> None:
        self.requests = 0
        self.connections = 0
        send, open_socket = BaseStrategy.send, BaseStrategy._open_socket

        def counted_send(strategy: BaseStrategy, message_type: str, request: Any, controls: Any = None) -> Any:
            if message_type != "unbindRequest":
                self.requests += 1
            return send(strategy, message_type, request, controls)

        def counted_open(strategy: BaseStrategy, *args: Any, **kwargs: Any) -> Any:
            self.connections += 1
            return open_socket(strategy, *args, **kwargs)

        BaseStrategy.send = counted_send  # type: ignore[method-assign]
        BaseStrategy._open_socket = counted_open  # type: ignore[method-assign]

    def snapshot(self) -> tuple[int, int]:
        return self.requests, self.connections


def bare_signin(server: ldap3.Server, uid: str, password: str, tls: ldap3.Tls | None) -> str:
    """Search-then-bind the way the ldap3 tutorial shows it, new connections every time."""
    auto_bind = ldap3.AUTO_BIND_TLS_BEFORE_BIND if tls else ldap3.AUTO_BIND_NO_TLS
    service = ldap3.Connection(server, fixture.SERVICE_DN, fixture.SERVICE_PASSWORD, auto_bind=auto_bind)
    try:
        service.search(
            fixture.PEOPLE,
            f"(uid={escape_filter_chars(uid)})",
            attributes=["uid", "cn", "mail", "memberOf"],
        )
        dn = service.response[0]["dn"]
    finally:
        service.unbind()
    user = ldap3.Connection(server, dn, password, auto_bind=auto_bind)
    user.unbind()
    return dn


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def people(count: int) -> tuple[fixture.Person, ...]:
    """The test tree plus ``count`` employees spread over the mapped groups: a directory of some size."""
    groups = ("acme-requesters", "acme-hr", "scheldt-requesters", "scheldt-hr", "nvo-officers")
    extra = tuple(
        fixture.Person(f"worker{n:05d}", f"Worker {n:05d}", (groups[n % len(groups)], "acme-staff"))
        for n in range(count)
    )
    return fixture.PEOPLE_IN_TREE + extra


def measure(action: Callable[[], object], counter: Counter) -> tuple[float, int, int]:
    requests, connections = counter.snapshot()
    started = time.perf_counter()
    action()
    elapsed = (time.perf_counter() - started) * 1000
    after_requests, after_connections = counter.snapshot()
    return elapsed, after_requests - requests, after_connections - connections


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=300, help="sign-ins per side (default 300)")
    parser.add_argument("--users", type=int, default=2000, help="extra people in the directory (default 2000)")
    parser.add_argument("--tls", action="store_true", help="StartTLS on both sides")
    args = parser.parse_args()

    missing = fixture.missing_requirements()
    if missing:
        print(f"cannot run: {missing}", file=sys.stderr)
        return 2
    tree = people(args.users)
    with tempfile.TemporaryDirectory(prefix="bench-slapd-") as tmp:
        server = fixture.SlapdServer(Path(tmp), people=tree, tls=args.tls, size_limit=5000)
        try:
            server.start()
            return run(server, tree, args)
        finally:
            server.stop()


def run(server: fixture.SlapdServer, tree: tuple[fixture.Person, ...], args: argparse.Namespace) -> int:
    counter = Counter()
    settings: dict[str, Any] = {
        "servers": [server.url],
        "user_base": fixture.PEOPLE,
        "bind_dn": fixture.SERVICE_DN,
        "bind_password": fixture.SERVICE_PASSWORD,
        "role_mappings": [
            {"group": fixture.group_dn(name), "role": role}
            for name, role in [
                ("acme-requesters", "requester"),
                ("acme-hr", "hr"),
                ("scheldt-requesters", "requester"),
                ("scheldt-hr", "hr"),
                ("nvo-officers", "officer"),
            ]
        ],
        "organisation_mappings": [
            {"group": fixture.group_dn(name), "organisation": key}
            for name, key in [
                ("acme-requesters", fixture.ACME),
                ("acme-hr", fixture.ACME),
                ("scheldt-requesters", fixture.SCHELDT),
                ("scheldt-hr", fixture.SCHELDT),
            ]
        ],
    }
    tls = None
    if args.tls:
        assert server.tls_files is not None
        settings.update(start_tls=True, ca_file=str(server.tls_files.ca_file))
        tls = ldap3.Tls(validate=2, ca_certs_file=str(server.tls_files.ca_file))  # ssl.CERT_REQUIRED
        # ldap3's stock Tls calls the deprecated ssl.match_hostname: the baseline as shipped.
        warnings.simplefilter("ignore", DeprecationWarning)
    bare_server = ldap3.Server(server.url, get_info=ldap3.NONE, tls=tls)
    mapped = [p for p in tree if p.uid.startswith("worker")] or [p for p in tree if p.groups]
    directory = Directory(LdapConfig.from_mapping(settings, env={}))

    first_ms, first_trips, _ = measure(lambda: directory.authenticate(mapped[0].uid, mapped[0].password), counter)
    bare_signin(bare_server, mapped[0].uid, mapped[0].password, tls)  # warm both paths

    ours: list[float] = []
    bare: list[float] = []
    ours_trips, bare_trips, ours_connections, bare_connections = set(), set(), set(), set()
    for n in range(args.n):
        person = mapped[(n * 7919) % len(mapped)]  # a spread of users, the same on both sides
        sides = [("ours", True), ("bare", False)] if n % 2 == 0 else [("bare", False), ("ours", True)]
        for _name, is_ours in sides:
            if is_ours:
                elapsed, trips, connections = measure(
                    lambda p=person: directory.authenticate(p.uid, p.password), counter
                )
                ours.append(elapsed)
                ours_trips.add(trips)
                ours_connections.add(connections)
            else:
                elapsed, trips, connections = measure(
                    lambda p=person: bare_signin(bare_server, p.uid, p.password, tls), counter
                )
                bare.append(elapsed)
                bare_trips.add(trips)
                bare_connections.add(connections)
    directory.close()

    slapd_version = subprocess.run([fixture.SLAPD, "-VV"], capture_output=True, text=True).stderr.split("\n")[0]
    ratio = percentile(ours, 0.95) / percentile(bare, 0.95)
    print(f"# LDAP sign-in, N={args.n} per side, {len(tree)} people, {'StartTLS' if args.tls else 'plain LDAP'}")
    print(f"# Python {platform.python_version()}, ldap3 {ldap3.__version__}, {slapd_version.strip()}")
    print(f"# {platform.machine()}, {platform.processor() or 'cpu?'}, loopback")
    print()
    print("| | p50 ms | p95 ms | p99 ms | mean ms | round trips | TCP connections |")
    print("|---|---|---|---|---|---|---|")
    for label, samples, trips, connections in [
        ("bare ldap3 search-then-bind", bare, bare_trips, bare_connections),
        ("Directory.authenticate", ours, ours_trips, ours_connections),
    ]:
        print(
            f"| {label} | {statistics.median(samples):.2f} | {percentile(samples, 0.95):.2f} | "
            f"{percentile(samples, 0.99):.2f} | {statistics.fmean(samples):.2f} | "
            f"{'/'.join(map(str, sorted(trips)))} | {'/'.join(map(str, sorted(connections)))} |"
        )
    print()
    print(f"p95 ratio (ours / bare): {ratio:.2f}  (target <= 1.30: {'met' if ratio <= 1.3 else 'NOT met'})")
    print(f"first sign-in of the process (opens the service connection): {first_ms:.2f} ms, {first_trips} round trips")
    within = max(ours_trips) <= 3
    return 0 if ratio <= 1.3 and within else 1


if __name__ == "__main__":
    sys.exit(main())
