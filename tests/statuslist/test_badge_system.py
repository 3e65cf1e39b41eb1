"""Issue 18's acceptance for the status list: a badge system (a real HTTP server on loopback that checks
every webhook with ``standardwebhooks``) is subscribed by the administrator; an officer revokes a clearance;
one run of the delivery job later it has the event, pulls the delta with its token, checks the signature
with nothing but the published key set (/.well-known/screening-keys.json) and the ``cryptography``
package, and finds the code: one entry."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from screening.clearances.operations import fire_clearance
from screening.db import db
from tests.conftest import csrf_token
from tests.statuslist.conftest import OFFICER, certified
from tests.webhooks.conftest import run

#: The delivery job's schedule (``[scheduler]``: every 10 seconds).
TICK = timedelta(seconds=10)


def published_key(client, kid: str) -> Ed25519PublicKey:
    """The key ``kid`` from the published key set (a JWK of ``crv`` Ed25519, ``x`` the raw key)."""
    [jwk] = [k for k in client.get("/.well-known/screening-keys.json").json["keys"] if k["kid"] == kid]
    return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk["x"] + "=="))


def gate_check(document: str, key: Ed25519PublicKey) -> list[list[str]]:
    """What a gate does, knowing only the public key: the signature line signs every line above it; then
    each entry line is code, status, date, sequence."""
    signed, last = document[: document.rindex("signature ")], document.rstrip("\n").rsplit("\n", 1)[1]
    key.verify(base64.urlsafe_b64decode(last.removeprefix("signature ") + "=="), signed.encode())  # raises if not
    return [line.split(" ") for line in signed.splitlines()[5:]]


def _subscribe_on_the_admin_page(as_role, gates, url: str) -> str:
    admin_client, _admin = as_role("admin")
    page = admin_client.get(f"/admin/organisations/{gates.id}/webhooks")
    assert page.status_code == 200
    answer = admin_client.post(
        f"/admin/organisations/{gates.id}/webhooks",
        data={"csrf_token": csrf_token(page.text), "url": url, "description": "Badge system"},
    )
    assert answer.status_code == 200, answer.text
    return re.search(r'id="signing-secret">(whsec_[^<]+)<', answer.text).group(1)


def test_a_badge_system_hears_of_a_revocation_and_finds_the_code_in_the_signed_delta(
    app, factory, as_role, gates, gate_api, receiver
):
    clearance, code = certified(app, factory)
    fire_clearance(clearance, "start_reevaluation", OFFICER, reason="New facts")
    db.session.commit()
    receiver.secrets.append(_subscribe_on_the_admin_page(as_role, gates, receiver.url()))
    first = gate_api.get("/api/v1/status-list?format=text").text
    key = published_key(app.test_client(), first.split("\n")[2].removeprefix("kid "))  # the published keys only
    held = gate_check(first, key)
    assert [(entry[0], entry[1]) for entry in held] == [(code, "suspended")]

    revoked_at = datetime.now(UTC)
    fire_clearance(clearance, "revoke", OFFICER, reason="Negative after re-evaluation", now=revoked_at)
    db.session.commit()
    run(app, now=revoked_at + TICK)  # one scheduler tick of deliver_webhooks

    assert receiver.rejected == []
    [event] = [r.payload for r in receiver.received]
    assert event["type"] == "status_list.changed"
    assert set(event["data"]) == {"sequence", "link"}
    link = urlsplit(event["data"]["link"])
    assert link.path == "/api/v1/status-list" and link.query == f"since={held[-1][3]}"
    delta = gate_api.get(f"{link.path}?{link.query}", headers={"Accept": "text/plain"})
    assert delta.status_code == 200
    [entry] = gate_check(delta.text, key)
    assert entry[:2] == [code, "revoked"] and int(entry[3]) == event["data"]["sequence"]
