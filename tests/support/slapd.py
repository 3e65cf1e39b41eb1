"""A throw-away OpenLDAP server for tests and benchmarks, and a listener that never answers.

:class:`SlapdServer` writes a ``slapd.conf`` and an LDIF into a directory of its own, loads the LDIF with
``slapadd``, starts ``slapd`` on a free loopback port and stops it through its pidfile, so no system
service is touched. Groups are added over LDAP once the server runs, so the ``memberof`` overlay fills
``memberOf`` exactly as it does in production. With ``tls=True`` it also generates a test CA and a server
certificate with ``cryptography`` and listens for StartTLS and on an ``ldaps://`` port.

:class:`BlackHole` accepts TCP connections and never replies: the slow failure (a hung server, a firewall
that swallows packets after the handshake) that only a receive timeout can end.

pytest is imported only when slapd is missing (tests.support.services): the benchmark uses this module without it.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import os
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.services import require_service

with warnings.catch_warnings():
    # ldap3 2.9.1 imports names that pyasn1 >= 0.6 deprecates: harmless, and not ours to fix.
    warnings.simplefilter("ignore", DeprecationWarning)
    import ldap3

SLAPD = os.environ.get("SCREENING_TEST_SLAPD", "/usr/sbin/slapd")
SLAPADD = os.environ.get("SCREENING_TEST_SLAPADD", "/usr/sbin/slapadd")
SCHEMA_DIR = Path(os.environ.get("SCREENING_TEST_LDAP_SCHEMA", "/etc/ldap/schema"))
MODULE_DIR = Path(os.environ.get("SCREENING_TEST_LDAP_MODULES", "/usr/lib/ldap"))

SUFFIX = "dc=example,dc=org"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret"
SERVICE_DN = f"cn=screening-service,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "service-secret"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"

#: Enterprise number of the first employer (a valid mod-97 number) and code of the second.
ACME = "0202.239.951"
SCHELDT = "SCHELDT"

# Active Directory attributes, under their real OIDs, so an AD-like account can live in slapd.
_AD_SCHEMA = """\
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.4203.666.11.1 NAME 'screeningTestAdAccount' SUP top AUXILIARY
  MAY ( sAMAccountName $ userAccountControl ) )
"""


def password_for(uid: str) -> str:
    """Every test user has a password of its own, so binding the wrong DN can never succeed by accident."""
    return f"pw-{uid}"


@dataclass(frozen=True)
class Person:
    uid: str
    cn: str
    groups: tuple[str, ...] = ()
    mail: str | None = None
    #: AD-like accounts get ``sAMAccountName`` (= uid) and this ``userAccountControl`` value.
    user_account_control: int | None = None

    @property
    def dn(self) -> str:
        return f"uid={ldap3.utils.dn.escape_rdn(self.uid)},{PEOPLE}"

    @property
    def password(self) -> str:
        return password_for(self.uid)


#: Groups of two employers (ACME, Scheldt), the authority and oversight.
GROUP_NAMES = (
    "acme-requesters",
    "acme-hr",
    "scheldt-requesters",
    "scheldt-hr",
    "nvo-officers",
    "portadmins",
    "auditors",
    "acme-staff",  # a group no mapping mentions
)

#: The people of the organisation tree; each group needs at least one member (groupOfNames MUST member).
PEOPLE_IN_TREE = (
    Person("alice", "Alice Requester", ("acme-requesters",)),
    Person("hugo", "Hugo Personnel", ("acme-hr",)),
    Person("sam", "Sam Scheldt", ("scheldt-requesters",)),
    Person("zoë", "Zoë Núñez-Wiśniewska", ("scheldt-hr",)),
    Person("olga", "Olga Officer", ("nvo-officers",)),
    Person("adam", "Adam Admin", ("portadmins",)),
    Person("aude", "Aude Auditor", ("auditors",)),
    Person("dual", "Dana Dual", ("acme-hr", "acme-requesters")),
    Person("nora", "Nora Nogroup"),
    Person("gus", "Gus Unmapped", ("acme-staff",)),
    Person("mover", "Mo Mover", ("acme-requesters",)),
    Person("dora", "Dora Disabled", ("acme-requesters",), user_account_control=514),
    Person("eric", "Eric Enabled", ("acme-requesters",), user_account_control=512),
)


def group_dn(name: str) -> str:
    return f"cn={name},{GROUPS}"


def ssha(password: str) -> str:
    """``{SSHA}`` as slapd stores it, so the fixture exercises real password checking, not plain text."""
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()  # noqa: S324 - the format slapd expects
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def _ldif_value(attribute: str, value: str) -> str:
    if value.isascii() and not value.startswith((" ", ":", "<")):
        return f"{attribute}: {value}"
    return f"{attribute}:: {base64.b64encode(value.encode()).decode()}"


def _ldif_entry(dn: str, attributes: list[tuple[str, str]]) -> str:
    return "\n".join([_ldif_value("dn", dn), *(_ldif_value(name, value) for name, value in attributes)]) + "\n"


def base_ldif(people: tuple[Person, ...] = PEOPLE_IN_TREE) -> str:
    """The tree without groups: suffix, organisational units, the service account and the people."""
    entries = [
        _ldif_entry(SUFFIX, [("objectClass", "dcObject"), ("objectClass", "organization"), ("o", "Example")]),
        *(
            _ldif_entry(f"ou={ou},{SUFFIX}", [("objectClass", "organizationalUnit"), ("ou", ou)])
            for ou in ("people", "groups", "services")
        ),
        _ldif_entry(
            SERVICE_DN,
            [
                ("objectClass", "organizationalRole"),
                ("objectClass", "simpleSecurityObject"),
                ("cn", "screening-service"),
                ("userPassword", ssha(SERVICE_PASSWORD)),
            ],
        ),
    ]
    for person in people:
        surname = person.cn.split()[-1]
        ad_like = person.user_account_control is not None
        attributes = [
            ("objectClass", "inetOrgPerson"),
            *([("objectClass", "screeningTestAdAccount")] if ad_like else []),
            ("uid", person.uid),
            ("cn", person.cn),
            ("sn", surname),
            ("displayName", person.cn),
            ("mail", person.mail or f"{person.uid}@example.org"),
            ("userPassword", ssha(person.password)),
        ]
        if ad_like:
            attributes += [
                ("sAMAccountName", person.uid),
                ("userAccountControl", str(person.user_account_control)),
            ]
        entries.append(_ldif_entry(person.dn, attributes))
    return "\n".join(entries)


def group_members(people: tuple[Person, ...] = PEOPLE_IN_TREE) -> dict[str, list[str]]:
    """Group DN -> member DNs, in the order the groups are declared."""
    members: dict[str, list[str]] = {group_dn(name): [] for name in GROUP_NAMES}
    for person in people:
        for name in person.groups:
            members.setdefault(group_dn(name), []).append(person.dn)
    return {dn: dns for dn, dns in members.items() if dns}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def missing_requirements() -> str | None:
    """Why no test slapd can run here, or None when everything is installed."""
    for path in (SLAPD, SLAPADD):
        if not os.access(path, os.X_OK):
            return f"{path} not found (apt-get install slapd ldap-utils)"
    for name in ("core", "cosine", "inetorgperson"):
        if not (SCHEMA_DIR / f"{name}.schema").exists():
            return f"{SCHEMA_DIR / name}.schema not found"
    for module in ("back_mdb", "memberof"):
        if not list(MODULE_DIR.glob(f"{module}.*")):
            return f"slapd module {module} not found in {MODULE_DIR}"
    return None


def require_slapd() -> None:
    """Skip a test that needs slapd when it is not installed, but fail under ``CI=true``: a CI image that
    silently loses slapd must not turn the directory tests green by skipping them."""
    reason = missing_requirements()
    if reason is not None:
        require_service("slapd", reason)


@dataclass(frozen=True)
class TlsFiles:
    ca_file: Path
    cert_file: Path
    key_file: Path
    #: A CA that signed nothing the server presents: verification against it must fail.
    other_ca_file: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_ca(path: Path, common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key, certificate


def make_tls_files(directory: Path) -> TlsFiles:
    """A test CA, a server certificate for 127.0.0.1 and localhost signed by it, and an unrelated CA."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_certificate = _write_ca(directory / "ca.pem", "screening test CA")
    _write_ca(directory / "other-ca.pem", "screening unrelated CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (directory / "server.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file = directory / "server.key"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    return TlsFiles(directory / "ca.pem", directory / "server.pem", key_file, directory / "other-ca.pem")


class SlapdServer:
    """One slapd process in ``directory``: start, stop, restart on the same port, and a root connection.

    ``tls=True`` adds StartTLS on the plain port and an ``ldaps://`` port, with certificates from
    :func:`make_tls_files`. ``idle_timeout`` (seconds) makes slapd drop idle connections, as directories
    in production do.
    """

    def __init__(
        self,
        directory: Path,
        *,
        people: tuple[Person, ...] = PEOPLE_IN_TREE,
        tls: bool = False,
        idle_timeout: int = 0,
        size_limit: int = 500,
    ) -> None:
        self.directory = Path(directory)
        self.people = people
        self.tls_files = make_tls_files(self.directory / "tls") if tls else None
        self.idle_timeout = idle_timeout
        self.size_limit = size_limit
        self.port = free_port()
        self.ldaps_port = free_port() if tls else None
        self.pid: int | None = None
        self._loaded = False

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        if self.ldaps_port is None:
            raise RuntimeError("this server was started without tls=True")
        return f"ldaps://127.0.0.1:{self.ldaps_port}"

    @property
    def config_file(self) -> Path:
        return self.directory / "slapd.conf"

    @property
    def pid_file(self) -> Path:
        return self.directory / "slapd.pid"

    def _write_config(self) -> None:
        data = self.directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        (self.directory / "ad.schema").write_text(_AD_SCHEMA, encoding="utf-8")
        lines = [
            *(f"include {SCHEMA_DIR / name}.schema" for name in ("core", "cosine", "inetorgperson", "nis")),
            f"include {self.directory / 'ad.schema'}",
            f"pidfile {self.pid_file}",
            f"argsfile {self.directory / 'slapd.args'}",
            f"modulepath {MODULE_DIR}",
            "moduleload back_mdb",
            "moduleload memberof",
            f"sizelimit {self.size_limit}",
        ]
        if self.idle_timeout:
            lines.append(f"idletimeout {self.idle_timeout}")
        if self.tls_files:
            lines += [
                f"TLSCACertificateFile {self.tls_files.ca_file}",
                f"TLSCertificateFile {self.tls_files.cert_file}",
                f"TLSCertificateKeyFile {self.tls_files.key_file}",
            ]
        lines += [
            "database mdb",
            f"suffix {SUFFIX}",
            f"rootdn {ROOT_DN}",
            f"rootpw {ROOT_PASSWORD}",
            f"directory {data}",
            "maxsize 104857600",
            "dbnosync",  # a throw-away database: no fsync per write
            "index objectClass,uid,member eq",
            "overlay memberof",
            "memberof-group-oc groupOfNames",
            "memberof-member-ad member",
            "memberof-memberof-ad memberOf",
            "memberof-refint TRUE",
            # Passwords: checked by bind only. Everything else: readable by any bound account, as in a
            # company directory; anonymous sessions see nothing.
            "access to attrs=userPassword by self write by anonymous auth by * none",
            "access to * by users read by * none",
        ]
        self.config_file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def _load(self) -> None:
        self._write_config()
        ldif = self.directory / "base.ldif"
        ldif.write_text(base_ldif(self.people), encoding="utf-8")
        result = subprocess.run(
            [SLAPADD, "-q", "-f", str(self.config_file), "-l", str(ldif)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"slapadd failed ({result.returncode}): {result.stderr.strip()[-2000:]}")

    def start(self, timeout: float = 10.0) -> SlapdServer:
        """Start slapd (loading the tree the first time) and wait until it accepts connections."""
        first = not self._loaded
        if first:
            self._load()
            self._loaded = True
        listen = self.url + "/" + (f" {self.ldaps_url}/" if self.tls_files else "")
        result = subprocess.run(
            [SLAPD, "-f", str(self.config_file), "-h", listen],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"slapd failed to start ({result.returncode}): {result.stderr.strip()[-2000:]}")
        deadline = time.monotonic() + timeout
        while True:
            if self.pid_file.exists() and self._accepts(self.port):
                self.pid = int(self.pid_file.read_text().strip())
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"slapd did not listen on {self.url} within {timeout} s")
            time.sleep(0.02)
        if first:
            try:
                self._add_groups()
            except BaseException:
                self.stop()
                raise
        return self

    @staticmethod
    def _accepts(port: int) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    def _add_groups(self) -> None:
        """Add the groups over LDAP so the memberof overlay writes memberOf (slapadd bypasses overlays)."""
        with self.admin_connection() as connection:
            for dn, members in group_members(self.people).items():
                name = ldap3.utils.dn.parse_dn(dn)[0][1]
                ok = connection.add(dn, ["groupOfNames"], {"cn": name, "member": members})
                if not ok:
                    raise RuntimeError(f"adding {dn}: {connection.result}")

    @contextmanager
    def admin_connection(self) -> Iterator[ldap3.Connection]:
        """A connection bound as the rootdn, for tests that change the directory (ldapmodify); closed
        on exit (ldap3's own context manager leaves an auto-bound connection open)."""
        server = ldap3.Server(self.url, get_info=ldap3.NONE, connect_timeout=5)
        connection = ldap3.Connection(server, ROOT_DN, ROOT_PASSWORD, auto_bind=True, receive_timeout=60)
        try:
            yield connection
        finally:
            connection.unbind()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop this slapd by the pid it wrote, and wait until the process is gone."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while _running(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.02)
        while self._accepts(self.port):  # the listening socket closes with the process
            if time.monotonic() > deadline + 5:
                raise RuntimeError(f"slapd {pid} still listens on {self.url}")
            time.sleep(0.02)

    def restart(self) -> None:
        """Stop and start again on the same port: every open connection is dropped, the data stays."""
        self.stop()
        self.start()

    def __enter__(self) -> SlapdServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs. A daemon's exit leaves a zombie where no init reaps orphans: gone too."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in {"Z", "X"}


class BlackHole:
    """A loopback port that completes the TCP handshake (the kernel does it) and never sends a byte."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self.port = int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> BlackHole:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def refused_url() -> str:
    """An address where nothing listens: connecting fails at once with 'connection refused'."""
    return f"ldap://127.0.0.1:{free_port()}"
