"""Local passwords are hashed with scrypt at N = 2**15 in production (the suite lowers N for its own accounts,
tests/conftest.py); a hash made with production's method is checked at sign-in as any other."""

from __future__ import annotations

from werkzeug.security import generate_password_hash

from screening.auth import operations
from screening.auth.models import User
from screening.db import db
from tests.conftest import PASSWORD, PRODUCTION_HASH_METHOD, csrf_token, fresh, sign_in


def test_production_hashes_with_scrypt_at_n_2_15():
    assert PRODUCTION_HASH_METHOD == "scrypt:32768:8:1"
    method, salt, digest = generate_password_hash(PASSWORD, method=PRODUCTION_HASH_METHOD).split("$")
    assert method == "scrypt:32768:8:1" and len(salt) == 16 and len(digest) == 128


def test_an_account_hashed_as_in_production_signs_in_and_a_wrong_password_does_not(factory, app, monkeypatch):
    monkeypatch.setattr(operations, "HASH_METHOD", PRODUCTION_HASH_METHOD)
    user = factory.user("officer")
    fresh()
    assert db.session.get(User, user.id).password_hash.startswith("scrypt:32768:8:1$")
    wrong = app.test_client()
    page = wrong.get("/login")
    answer = wrong.post("/login", data={"csrf_token": csrf_token(page.text), "username": user.username,
                                        "password": PASSWORD + "x"})  # fmt: skip
    assert answer.status_code == 200 and wrong.get("/home").status_code == 302
    right = sign_in(app.test_client(), user)
    assert right.get("/home").status_code == 200
