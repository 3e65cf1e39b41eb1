"""The published keys: ``/.well-known/screening-keys.json``, ``verify --keys`` against it (a file, or the
app's own address on a real loopback server), and the standalone verifier that imports nothing of ours."""

from __future__ import annotations

import ast
import base64
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from flask import Flask

from screening.certificates.cli import certificate
from screening.certificates.document import read_embedded_verification
from screening.certificates.signing import CertificateKeys, GeneratedKeyPair, generate_keypair
from screening.clock import local_date
from screening.config import ConfigError
from tests.certificates.test_certificate_app import _cleared, _download
from tests.conftest import Factory, data_context, sign_in
from tests.statuslist.conftest import certified, gate_api, gates, revoke  # noqa: F401 - gate_api, gates: fixtures
from tests.support.served import served
from tests.support.slapd import free_port

BASE_URL = "https://screening.example.org"
KEYS_PATH = "/.well-known/screening-keys.json"
SCRIPT = Path(__file__).parents[2] / "docs" / "offline-verify" / "verify_offline.py"


@pytest.fixture(scope="module")
def active_pair() -> GeneratedKeyPair:
    return generate_keypair()


@pytest.fixture(scope="module")
def retired_pair() -> GeneratedKeyPair:
    return generate_keypair()


@pytest.fixture
def app(
    make_app: Callable[..., Flask], active_pair: GeneratedKeyPair, retired_pair: GeneratedKeyPair, tmp_path: Path
) -> Iterator[Flask]:
    """An authority after one rotation: the active key since 2026, the retired one trusted until 2031."""
    retired_file = tmp_path / f"certificate-{retired_pair.kid}.pub.pem"
    retired_file.write_bytes(retired_pair.public_pem)
    application = make_app(
        app={"base_url": BASE_URL},
        certificates={
            "private_key": active_pair.private_pem.decode(),
            "public_key_files": [str(retired_file)],
            "key_validity": [f"{active_pair.kid}=2026-01-01/", f"{retired_pair.kid}=2021-03-01/2031-02-28"],
        },
    )
    with data_context(application):
        yield application


def _raw(pair: GeneratedKeyPair) -> str:
    key = serialization.load_pem_public_key(pair.public_pem)
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_every_trusted_key_is_published_with_its_period(
    client: Any, active_pair: GeneratedKeyPair, retired_pair: GeneratedKeyPair
) -> None:
    response = client.get(KEYS_PATH)

    assert response.status_code == 200
    assert response.mimetype == "application/jwk-set+json"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    common = {"kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA"}
    assert json.loads(response.data) == {
        "keys": [
            {**common, "x": _raw(active_pair), "kid": active_pair.kid, "nbf": 1767225600},  # 2026-01-01 UTC
            {**common, "x": _raw(retired_pair), "kid": retired_pair.kid, "nbf": 1614556800, "exp": 1930089600},
        ]
    }  # exp: 2031-03-01 00:00 UTC, the first second after 2031-02-28
    assert b'"d"' not in response.data  # never a private part


def test_the_key_set_is_cacheable(client: Any) -> None:
    first = client.get(KEYS_PATH)
    again = client.get(KEYS_PATH, headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.data == b""


def test_without_a_key_the_set_is_empty(make_app: Callable[..., Flask]) -> None:
    response = make_app().test_client().get(KEYS_PATH)

    assert response.status_code == 200
    assert json.loads(response.data) == {"keys": []}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("ZZZZZZZZ=2026-01-01/", "ZZZZZZZZ is not one of the trusted keys"),
        ("{kid}=2026-13-01/", "is not KID=FROM/UNTIL"),
        ("{kid}=2026-01-01", "is not KID=FROM/UNTIL"),
        ("{kid}=2027-01-01/2026-01-01", "the period ends before it starts"),
    ],
)
def test_a_wrong_period_stops_the_start_with_the_setting_named(
    make_app: Callable[..., Flask], active_pair: GeneratedKeyPair, entry: str, message: str
) -> None:
    settings = {"private_key": active_pair.private_pem.decode(), "key_validity": [entry.format(kid=active_pair.kid)]}
    with pytest.raises(ConfigError, match=r"^certificates\.key_validity: .*" + message):
        make_app(certificates=settings)


def _exported(app: Flask, tmp_path: Path) -> Path:
    """A certificate as HR downloads it from the app."""
    with data_context(app):
        factory = Factory(app)
        organisation = factory.organisation()
        clearance = _cleared(factory, organisation, given_names="Anna Maria", family_name="Nowak")
        hr = sign_in(app.test_client(), factory.user("hr", organisation))
        response = _download(hr, clearance.id)
    assert response.status_code == 200, response.text
    path = tmp_path / "certificate.pdf"
    path.write_bytes(response.data)
    return path


def _verify(*args: str | Path) -> Any:
    return CliRunner().invoke(certificate, ["verify", *map(str, args)], catch_exceptions=False)


def test_verify_fetches_the_key_set_from_the_site(app: Flask, tmp_path: Path, active_pair: GeneratedKeyPair) -> None:
    pdf = _exported(app, tmp_path)

    with served(app) as base_url:
        result = _verify(pdf, "--keys", base_url + KEYS_PATH)
        not_json = _verify(pdf, "--keys", base_url + "/login")
        missing = _verify(pdf, "--keys", base_url + "/.well-known/nothing.json")

    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid signature: CLR-") and f"(key {active_pair.kid})" in result.output
    assert not_json.exit_code == 2
    assert "Invalid value for --keys: not a JSON document" in not_json.output
    assert missing.exit_code == 2
    assert f"cannot fetch {base_url}/.well-known/nothing.json: 404 NOT FOUND" in missing.output


def test_verify_with_a_saved_key_set_and_without_a_server(app: Flask, client: Any, tmp_path: Path) -> None:
    pdf = _exported(app, tmp_path)
    saved = tmp_path / "screening-keys.json"
    saved.write_bytes(client.get(KEYS_PATH).data)
    port = free_port()  # nobody listens there

    assert _verify(pdf, "--keys", saved).exit_code == 0
    unreachable = _verify(pdf, "--keys", f"http://127.0.0.1:{port}/keys.json")
    assert unreachable.exit_code == 2
    assert f"cannot fetch http://127.0.0.1:{port}/keys.json:" in unreachable.output
    assert "refused" in unreachable.output


# -- the standalone verifier -------------------------------------------------------------------------------


def test_the_standalone_verifier_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    roots = {name.split(".")[0] for name in imported}
    assert roots - set(sys.stdlib_module_names) == {"cryptography"}


def _standalone(workdir: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """The script copied alone into a folder and run isolated (``-I``: no PYTHONPATH, no user site, not
    the current folder), with an environment that names nothing of the application."""
    script = workdir / "verify_offline.py"
    if not script.exists():
        shutil.copy(SCRIPT, script)
    command = [sys.executable, "-I", script.name, *map(str, args)]
    environment = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run(command, cwd=workdir, env=environment, capture_output=True, text=True, check=False)


@pytest.fixture
def offline(app: Flask, client: Any, tmp_path: Path) -> tuple[Path, Path, str]:
    """What a checker holds: a folder with the key set saved from the site, and HR's export (file, token)."""
    pdf = _exported(app, tmp_path)
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "screening-keys.json").write_bytes(client.get(KEYS_PATH).data)
    return alone, pdf, read_embedded_verification(pdf.read_bytes()).token


def test_the_standalone_verifier_checks_an_exported_certificate_with_the_key_set_only(
    offline: tuple[Path, Path, str], active_pair: GeneratedKeyPair
) -> None:
    alone, pdf, token = offline
    verified = CertificateKeys.from_pem(active_pair.private_pem).verify(token)

    from_file = _standalone(alone, "--keys", "screening-keys.json", pdf)
    from_token = _standalone(alone, "--keys", "screening-keys.json", token)

    assert from_file.returncode == 0, from_file.stdout + from_file.stderr
    assert from_file.stdout.splitlines() == [
        "GENUINE: signed by the authority",
        f"reference: {verified.reference}",
        "holder initials: A.M.N.",
        f"valid from: {verified.valid_from.isoformat()}",
        f"valid until: {verified.valid_until.isoformat()}",
        f"issued on: {verified.issue_date.isoformat()}",
        f"key: {active_pair.kid}",
        f"verification code: {verified.verification_code}",
    ]
    assert from_token.returncode == 0 and from_token.stdout == from_file.stdout
    after = _standalone(alone, "--keys", "screening-keys.json", pdf, "--on", "2099-01-01")
    assert after.returncode == 3
    assert after.stdout.startswith("GENUINE: signed by the authority, but not valid on 2099-01-01")


def test_the_standalone_verifier_refuses_an_altered_token_and_a_foreign_key_set(
    offline: tuple[Path, Path, str],
) -> None:
    alone, pdf, token = offline
    altered = token[:30] + ("A" if token[30] != "A" else "B") + token[31:]
    foreign = CertificateKeys.from_pem(generate_keypair().private_pem)
    (alone / "foreign.json").write_text(json.dumps({"keys": [_jwk_of(foreign)]}))
    (alone / "not-a-set.json").write_text('{"keys": "none"}')

    tampered = _standalone(alone, "--keys", "screening-keys.json", altered)
    other = _standalone(alone, "--keys", "foreign.json", pdf)
    broken = _standalone(alone, "--keys", "not-a-set.json", pdf)

    assert (tampered.returncode, tampered.stdout.strip()) == (1, "NOT GENUINE: the signature does not match: altered")
    assert other.returncode == 1 and "which is not in the key set" in other.stdout
    assert broken.returncode == 2 and 'not a JWK Set (expected {"keys": [...]})' in broken.stderr


def _jwk_of(keys: CertificateKeys) -> dict[str, Any]:
    from screening.certificates.keyset import publish

    return json.loads(publish(keys.public_keys, {}, keys.kid).body)["keys"][0]


def test_the_standalone_verifier_checks_the_status_list_in_both_forms(
    app: Flask,
    factory: Factory,
    gate_api: Any,  # noqa: F811 - the imported fixture
    offline: tuple[Path, Path, str],
    active_pair: GeneratedKeyPair,
) -> None:
    alone, _pdf, _token = offline
    clearance, code = certified(app, factory)
    revoke(clearance)
    (alone / "list.txt").write_text(gate_api.get("/api/v1/status-list?format=text").text)
    served_list = gate_api.get("/api/v1/status-list")
    (alone / "list.json").write_text(served_list.text)
    first, second = (entry["sequence"] for entry in served_list.json["entries"])
    day = local_date(datetime.now(UTC)).isoformat()

    as_text = _standalone(alone, "--keys", "screening-keys.json", "--status-list", "list.txt")
    as_json = _standalone(alone, "--keys", "screening-keys.json", "--status-list", "list.json")
    one_code = _standalone(alone, "--keys", "screening-keys.json", "--status-list", "list.json", "--code", code)

    assert as_text.returncode == 0, as_text.stdout + as_text.stderr
    lines = as_text.stdout.splitlines()
    assert lines[0] == "GENUINE: status list signed by the authority"
    assert lines[2:6] == [f"key: {active_pair.kid}", "since: 0", f"sequence: {second}", "entries: 2"]
    assert lines[6:] == [f"{code} suspended {day} {first}", f"{code} revoked {day} {second}"]
    assert as_json.returncode == 0, as_json.stdout + as_json.stderr
    assert _without_issue_time(as_json.stdout) == _without_issue_time(as_text.stdout)  # two GETs: seconds apart
    assert one_code.stdout.splitlines()[-1] == f"{code}: revoked on {day} (entry {second})"

    (alone / "altered.txt").write_text((alone / "list.txt").read_text().replace(" revoked ", " reinstated "))
    altered = _standalone(alone, "--keys", "screening-keys.json", "--status-list", "altered.txt")
    assert (altered.returncode, altered.stdout.strip()) == (1, "NOT GENUINE: the signature does not match: altered")
    ended = json.loads((alone / "screening-keys.json").read_text())
    ended["keys"][0]["exp"] = 1767225600  # the active key's trust ends on 2025-12-31
    (alone / "ended.json").write_text(json.dumps(ended))
    too_late = _standalone(alone, "--keys", "ended.json", "--status-list", "list.txt")
    assert too_late.returncode == 1 and f"outside the days key {active_pair.kid} signs" in too_late.stdout, (
        too_late.stdout
    )


def _without_issue_time(output: str) -> list[str]:
    return [line for line in output.splitlines() if not line.startswith("issued at: ")]
