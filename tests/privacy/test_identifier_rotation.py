"""Key rotation: after a new key is put first, `screening identifiers rotate` re-encrypts every number with
it, so the old key can be removed and lookups by number still find the person."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

from screening.actors import Actor
from screening.db import db
from screening.extensions import vault
from screening.people.models import Person
from screening.vault import IdentifierVault
from screening.workforce.models import WorkforceMember
from screening.workforce.operations import MemberFields, add_member
from tests.conftest import fresh


def test_rotation_re_encrypts_with_the_first_key(app, factory, config_file, tmp_path):
    from click.testing import CliRunner

    from screening.cli import main

    config = app.extensions["screening.config"]
    old_key = config.security.identifier_keys[0]
    for _ in range(3):
        factory.application("draft")
    requester, function = factory.user("requester"), factory.function()
    details = factory.person_details()
    add_member(Actor.of(requester), vault(), requester.organisation_id, MemberFields(
        "P-1", "Jan", "Peeters", details.date_of_birth, function.id, details.date_of_birth, details.national_number,
    ))  # fmt: skip
    factory.commit()
    new_key = Fernet.generate_key().decode()
    rotated = tmp_path / "rotated.toml"
    rotated.write_text(
        config_file.read_text().replace(
            f'identifier_keys = ["{old_key}"]', f'identifier_keys = ["{new_key}", "{old_key}"]'
        )
    )
    result = CliRunner().invoke(main, ["--config", str(rotated), "identifiers", "rotate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted the identifiers of 3 people" in result.output
    assert "Re-encrypted the numbers of 1 entries of the staff registers" in result.output
    fresh()
    only_new = IdentifierVault([new_key], config.security.lookup_key)
    only_old = IdentifierVault([old_key], config.security.lookup_key)
    people = db.session.scalars(select(Person)).all()
    assert len(people) == 3
    for person in people:
        number = only_new.decrypt(person.national_number_encrypted)
        assert len(number) == 11
        with pytest.raises(InvalidToken):  # the old key can go
            only_old.decrypt(person.national_number_encrypted)
        # the lookup hash does not depend on the encryption key: the person is still found
        assert person.identity_hash == only_new.lookup_hash("BE-NRN", number)
    member = db.session.scalars(select(WorkforceMember)).one()
    assert only_new.decrypt(member.national_number_encrypted) == details.national_number
    with pytest.raises(InvalidToken):
        only_old.decrypt(member.national_number_encrypted)
