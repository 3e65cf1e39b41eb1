"""Signed verification tokens, key ids and rotation, and the human-typable verification code."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from screening.certificates import signing
from screening.certificates.signing import (
    CROCKFORD,
    PRIVATE_KEY_ENV,
    CertificateClaims,
    CertificateError,
    CertificateKeys,
    InvalidCode,
    KeyConfigurationError,
    TamperedToken,
    UnknownKey,
    generate_keypair,
    holder_initials,
    is_token,
    key_id,
    load_public_keys,
    lookup_code,
    normalise_code,
    verification_code,
    verify_token,
    verify_url,
)
from screening.config import parse_config

pytestmark = pytest.mark.nodb

CLAIMS = CertificateClaims(
    reference="CLR-2026-000123",
    holder_initials="Р.А.",
    valid_from=date(2026, 1, 15),
    valid_until=date(2031, 1, 14),
    issue_date=date(2026, 2, 3),
)
CODE_FORMAT = re.compile(rf"[{CROCKFORD}]{{4}}-[{CROCKFORD}]{{4}}-[{CROCKFORD}]{{4}}")


def test_a_signed_token_verifies_offline_with_every_claim(keys: CertificateKeys) -> None:
    token = keys.sign(CLAIMS)

    verified = verify_token(token, keys.public_keys)

    assert (verified.reference, verified.holder_initials) == ("CLR-2026-000123", "Р.А.")
    assert (verified.valid_from, verified.valid_until, verified.issue_date) == (
        date(2026, 1, 15),
        date(2031, 1, 14),
        date(2026, 2, 3),
    )
    assert verified.kid == keys.kid
    assert verified.verification_code == verification_code(token)
    assert verified.within_validity(date(2026, 1, 15))
    assert not verified.within_validity(date(2031, 1, 15))


def test_the_token_is_compact_url_safe_and_deterministic(keys: CertificateKeys) -> None:
    token = keys.sign(CLAIMS)

    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert len(token) < 150  # fits a QR code that a phone reads from paper at 4 cm
    assert keys.sign(CLAIMS) == token  # Ed25519 is deterministic: a re-export keeps its code
    url = verify_url("https://screening.example.org/", token)
    assert url == f"https://screening.example.org/verify/{token}"


def _replace(token: str, index: int) -> str:
    replacement = "A" if token[index] != "A" else "B"
    return token[:index] + replacement + token[index + 1 :]


def test_every_single_character_change_is_rejected(keys: CertificateKeys) -> None:
    token = keys.sign(CLAIMS)
    # The first 14 characters carry the format version and the key id: changing the key id names a key
    # we do not hold (UnknownKey); everything after it is covered by the signature (TamperedToken).
    for index in range(len(token)):
        with pytest.raises(CertificateError):
            verify_token(_replace(token, index), keys.public_keys)
    for index in range(14, len(token)):
        with pytest.raises(TamperedToken, match="altered"):
            verify_token(_replace(token, index), keys.public_keys)


@pytest.mark.parametrize("garbage", ["", "abc", "!!!!", "A" * 600, "AQ", "QUJD" * 30, "a b c"])
def test_garbled_tokens_are_tampered(keys: CertificateKeys, garbage: str) -> None:
    with pytest.raises(TamperedToken):
        verify_token(garbage, keys.public_keys)


def test_a_token_signed_with_another_key_names_an_unknown_key(
    keys: CertificateKeys, other_keys: CertificateKeys
) -> None:
    token = other_keys.sign(CLAIMS)

    with pytest.raises(UnknownKey, match=other_keys.kid) as caught:
        verify_token(token, keys.public_keys)
    assert caught.value.kid == other_keys.kid
    assert "not a genuine certificate" in str(caught.value)


def test_another_key_claiming_our_key_id_is_tampered(
    keys: CertificateKeys,
    other_keys: CertificateKeys,
) -> None:
    forged = signing.sign_claims(other_keys.signing_key, keys.kid, CLAIMS)

    with pytest.raises(TamperedToken, match="signature does not match"):
        verify_token(forged, keys.public_keys)


def test_rotation_keeps_old_certificates_valid_and_signs_new_ones_with_the_new_key() -> None:
    old = generate_keypair()
    new = generate_keypair()
    before = CertificateKeys.from_pem(old.private_pem)
    old_token = before.sign(CLAIMS)

    after = CertificateKeys.from_pem(new.private_pem, [old.public_pem])
    new_token = after.sign(CLAIMS)

    assert after.kid == new.kid != old.kid
    assert set(after.public_keys) == {old.kid, new.kid}
    assert after.verify(old_token).kid == old.kid
    assert after.verify(new_token).kid == new.kid
    with pytest.raises(UnknownKey):
        before.verify(new_token)
    with pytest.raises(UnknownKey):  # once the old key is dropped, its certificates stop verifying
        CertificateKeys.from_pem(new.private_pem).verify(old_token)


def test_the_key_id_is_the_public_key_fingerprint() -> None:
    pair = generate_keypair()
    keys = CertificateKeys.from_pem(pair.private_pem.decode())

    assert keys.kid == pair.kid == key_id(keys.signing_key.public_key())
    assert re.fullmatch(rf"[{CROCKFORD}]{{8}}", pair.kid)
    assert set(load_public_keys([pair.public_pem])) == {pair.kid}


def test_keys_from_config_files_and_from_the_environment(tmp_path: Path) -> None:
    active, retired, injected = generate_keypair(), generate_keypair(), generate_keypair()
    (tmp_path / "active.pem").write_bytes(active.private_pem)
    (tmp_path / "retired.pub.pem").write_bytes(retired.public_pem)

    retired_file = tmp_path / "retired.pub.pem"
    from_files = CertificateKeys.from_config(tmp_path / "active.pem", [retired_file])
    # The loader alone reads the environment; the PEM text reaches the keys as certificates.private_key.
    settings = parse_config({}, env={PRIVATE_KEY_ENV: injected.private_pem.decode()}).certificates
    from_env = CertificateKeys.from_config(
        tmp_path / "active.pem", [str(tmp_path / "retired.pub.pem")], private_key=settings.private_key
    )

    assert from_files.kid == active.kid
    assert set(from_files.public_keys) == {active.kid, retired.kid}
    assert from_env.kid == injected.kid  # the environment wins over the file
    assert set(from_env.public_keys) == {injected.kid, retired.kid}


def test_bad_key_configuration_names_the_problem(tmp_path: Path) -> None:
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    ec_public = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )

    with pytest.raises(KeyConfigurationError, match="no certificate signing key"):
        CertificateKeys.from_config(None)
    with pytest.raises(KeyConfigurationError, match="missing.pem"):
        CertificateKeys.from_config(tmp_path / "missing.pem")
    with pytest.raises(KeyConfigurationError, match="not an Ed25519 private key"):
        CertificateKeys.from_pem(ec_pem)
    with pytest.raises(KeyConfigurationError, match="not a readable"):
        CertificateKeys.from_pem("-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----\n")
    with pytest.raises(KeyConfigurationError, match="not an Ed25519 public key"):
        load_public_keys([ec_public])
    with pytest.raises(KeyConfigurationError, match="gone.pub.pem"):
        load_public_keys([tmp_path / "gone.pub.pem"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"valid_until": date(2025, 1, 1)}, "before valid_from"),
        ({"valid_from": date(1999, 12, 31)}, "outside the dates"),
        ({"reference": ""}, "1 to 64 bytes"),
        ({"reference": "CLR-2026-ÄÖ"}, "must be ascii"),
        ({"holder_initials": "X." * 40}, "1 to 64 bytes"),
    ],
)
def test_claims_that_cannot_be_carried_are_refused(keys: CertificateKeys, change: dict, message: str) -> None:
    fields = {**CLAIMS.__dict__, **change}

    with pytest.raises(ValueError, match=message):
        keys.sign(CertificateClaims(**fields))


def test_holder_initials_follow_the_person_rule() -> None:
    assert holder_initials("Anna Maria Nowak-Wiśniewska") == "A.M.N."
    assert holder_initials("Рустам Ахмедов") == "Р.А."
    assert holder_initials("  émile   çelik ") == "É.Ç."


def test_the_verification_code_is_short_grouped_crockford_and_derived_from_the_token(
    keys: CertificateKeys,
) -> None:
    token = keys.sign(CLAIMS)
    code = verification_code(token)
    next_day = CertificateClaims(**{**CLAIMS.__dict__, "issue_date": date(2026, 2, 4)})
    other = verification_code(keys.sign(next_day))

    assert CODE_FORMAT.fullmatch(code)
    assert verification_code(token) == code
    assert other != code
    assert not is_token(code)
    assert is_token(token)


def test_typed_codes_are_forgiven_for_case_separators_and_look_alikes(keys: CertificateKeys) -> None:
    code = verification_code(keys.sign(CLAIMS))
    sloppy = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")

    assert normalise_code(sloppy) == code
    assert normalise_code(code.replace("-", "")) == code
    assert normalise_code(f"  {code}\n") == code


def test_every_single_typo_and_swap_in_a_code_is_caught(keys: CertificateKeys) -> None:
    compact = verification_code(keys.sign(CLAIMS)).replace("-", "")
    undetected = 0
    for index, char in enumerate(compact):
        for replacement in CROCKFORD:
            if replacement == char:
                continue
            typo = compact[:index] + replacement + compact[index + 1 :]
            try:
                normalise_code(typo)
            except InvalidCode:
                continue
            undetected += 1
            assert {char, replacement} == {"0", "Z"}  # the one blind spot of a mod-31 check
    assert undetected <= len(compact)
    for index in range(len(compact) - 1):
        a, b = compact[index], compact[index + 1]
        if {a, b} in ({"0", "Z"},) or a == b:
            continue
        with pytest.raises(InvalidCode, match="typing error"):
            normalise_code(compact[:index] + b + a + compact[index + 2 :])


@pytest.mark.parametrize("text", ["", "ABCD-EFGH", "ABCD-EFGH-JKMN-P", "ABCD-EFGH-JKU!"])
def test_malformed_codes_are_refused(text: str) -> None:
    with pytest.raises(InvalidCode, match="12 letters and digits"):
        normalise_code(text)


def test_lookup_code_checks_a_token_before_it_reaches_the_database(
    keys: CertificateKeys, other_keys: CertificateKeys
) -> None:
    token = keys.sign(CLAIMS)
    code = verification_code(token)

    assert lookup_code(token, keys.public_keys) == code
    assert lookup_code(code.lower(), keys.public_keys) == code
    with pytest.raises(TamperedToken):
        lookup_code(_replace(token, 60), keys.public_keys)
    with pytest.raises(UnknownKey):
        lookup_code(other_keys.sign(CLAIMS), keys.public_keys)
