"""Separation of duties for accounts: what one administrator may do alone, and what takes two.

- Creating an officer, auditor or admin account, and granting or removing the officer or auditor role (or
  making someone an admin), is *proposed* by one administrator and *approved* by another: both steps are
  audited, and the proposer cannot approve (also a CHECK on ``account_proposals``).
- No account holds admin together with officer: an account's one role never goes from one to the other
  (an officer who becomes an administrator gets a separate account, so the trail never mixes the two).
- An administrator cannot deactivate themself, nor the last active administrator, nor take the admin
  role from the last one.
- Requester and HR accounts, which an organisation's own people use, are created and changed by one
  administrator. Directory accounts take their role from the directory and are not changed here.

``screening user create`` (the operator's shell, :mod:`screening.cli`) creates accounts directly: it is
how an installation gets its first administrator, and it is audited as ``cli``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from screening.actors import Actor
from screening.audit.operations import record
from screening.auth.models import AccountProposal, User
from screening.auth.operations import create_user, end_sessions, hash_password, set_active, validate_new_account
from screening.db import db
from screening.errors import InvalidInput, NotAllowed
from workflows.roles import AUTHORITY_ROLES, Role

#: Roles whose granting or removal takes two administrators: the authority's.
GUARDED = AUTHORITY_ROLES
ADMIN = Role.ADMIN


def needs_two(old_role: str | None, new_role: str) -> bool:
    """Creating (``old_role`` None) or changing to ``new_role`` takes a second administrator."""
    return new_role in GUARDED or new_role == ADMIN or (old_role in GUARDED and old_role != new_role)


def _refuse_admin_with_officer(old_role: str, new_role: str) -> None:
    if {old_role, new_role} == {ADMIN, Role.OFFICER}:
        raise InvalidInput(
            "An account never holds both the administrator and the officer role: create a separate account.",
            field="role",
        )


def _active_admins() -> int:
    return db.session.scalar(select(func.count()).where(User.role == ADMIN, User.active.is_(True))) or 0


def request_account(
    actor: Actor, *, username: str, display_name: str, role: str, password: str, organisation_code: str | None,
    email: str | None, now: datetime,
) -> User | AccountProposal:  # fmt: skip
    """A local account made at once (requester, HR) or proposed for a second administrator's approval."""
    if not needs_two(None, role):
        return create_user(
            actor, username=username, display_name=display_name, role=role, password=password,
            organisation_code=organisation_code, email=email,
        )  # fmt: skip
    checked = validate_new_account(username=username, role=role, password=password, organisation_code=organisation_code)
    proposal = AccountProposal(
        kind="create", username=checked.username, display_name=display_name.strip() or checked.username,
        email=email or None, role=role, organisation_id=checked.organisation_id,
        password_hash=hash_password(password), proposed_by_id=actor.user_id, proposed_at=now,
    )  # fmt: skip
    db.session.add(proposal)
    db.session.flush()
    record(actor, "propose_account", "account_proposal", proposal.id, reason=f"{checked.username}: role {role}")
    return proposal


def change_role(
    actor: Actor, target: User, role: str, organisation_code: str | None, now: datetime
) -> User | AccountProposal:
    """The target's new role: at once for requester and HR, else proposed. Sessions end when it applies."""
    if target.id == actor.user_id:
        raise NotAllowed("You cannot change your own role.")
    if target.source != "local":
        raise InvalidInput("The directory decides the role of this account.", field="role")
    _refuse_admin_with_officer(target.role, role)
    checked = validate_new_account(
        username=target.username, role=role, password=None, organisation_code=organisation_code, existing=target
    )
    if target.role == role and target.organisation_id == checked.organisation_id:
        raise InvalidInput("The account already has this role.", field="role")
    if target.role == ADMIN and target.active and _active_admins() <= 1:
        raise NotAllowed("This is the last active administrator: make another one first.")
    if not needs_two(target.role, role):
        _apply_role(actor, target, role, checked.organisation_id)
        return target
    pending = db.session.scalar(
        select(AccountProposal.id).where(
            AccountProposal.target_user_id == target.id, AccountProposal.decided_at.is_(None)
        )
    )
    if pending is not None:
        raise InvalidInput("A change of this account waits for approval already.", field="role")
    proposal = AccountProposal(
        kind="role", target_user_id=target.id, username=target.username, display_name=target.display_name,
        email=target.email, role=role, previous_role=target.role, organisation_id=checked.organisation_id,
        proposed_by_id=actor.user_id, proposed_at=now,
    )  # fmt: skip
    db.session.add(proposal)
    db.session.flush()
    record(actor, "propose_role", "user", target.id, organisation_id=target.organisation_id,
           reason=f"proposal {proposal.id}: {target.role} -> {role}")  # fmt: skip
    return proposal


def _apply_role(actor: Actor, target: User, role: str, organisation_id: int | None) -> None:
    reason = f"{target.role} -> {role}"
    target.role, target.organisation_id = role, organisation_id
    db.session.flush()
    end_sessions(target.id)  # sessions opened under the old role end at once
    record(actor, "change_role", "user", target.id, organisation_id=organisation_id, reason=reason)


def decide(actor: Actor, proposal_id: int, approve: bool, now: datetime) -> AccountProposal:
    """The second administrator's decision; the proposal is re-checked against the accounts as they are now."""
    proposal = db.session.scalar(select(AccountProposal).where(AccountProposal.id == proposal_id).with_for_update())
    if proposal is None:
        raise NotAllowed("No such proposal.")
    if proposal.decided_at is not None:
        raise NotAllowed("This proposal has been decided already.")
    if proposal.proposed_by_id == actor.user_id:
        raise NotAllowed("Another administrator must decide on your proposal.")
    if approve:
        _carry_out(actor, proposal)
    proposal.decided_by_id, proposal.decided_at = actor.user_id, now
    proposal.outcome = "approved" if approve else "rejected"
    db.session.flush()
    record(actor, "approve_proposal" if approve else "reject_proposal", "account_proposal", proposal.id,
           reason=f"{proposal.kind} {proposal.username}: role {proposal.role}")  # fmt: skip
    return proposal


def _carry_out(actor: Actor, proposal: AccountProposal) -> None:
    if proposal.kind == "create":
        if db.session.scalar(select(User.id).where(User.username == proposal.username)) is not None:
            raise NotAllowed("This user name is taken now: reject the proposal.")
        user = User(
            username=proposal.username, display_name=proposal.display_name, email=proposal.email,
            role=proposal.role, organisation_id=proposal.organisation_id, source="local",
            password_hash=proposal.password_hash, active=True,
        )  # fmt: skip
        db.session.add(user)
        db.session.flush()
        record(actor, "create_user", "user", user.id, organisation_id=user.organisation_id,
               reason=f"role {user.role}, proposal {proposal.id}")  # fmt: skip
        return
    target = db.session.get(User, proposal.target_user_id)
    if target is None or target.role != proposal.previous_role:
        raise NotAllowed("The account changed since this proposal: reject it and propose again.")
    if target.id == actor.user_id:
        raise NotAllowed("You cannot approve a change of your own role.")
    if target.role == ADMIN and target.active and _active_admins() <= 1:
        raise NotAllowed("This is the last active administrator: make another one first.")
    _apply_role(actor, target, proposal.role, proposal.organisation_id)


def deactivate_or_activate(actor: Actor, target: User) -> None:
    """Toggle an account; never oneself, never the last active administrator."""
    if target.id == actor.user_id:
        raise NotAllowed("You cannot deactivate your own account.")
    if target.active and target.role == ADMIN and _active_admins() <= 1:
        raise NotAllowed("This is the last active administrator: it cannot be deactivated.")
    set_active(actor, target, not target.active)


def pending_proposals() -> list[AccountProposal]:
    """Pending proposals, oldest first (few at a time: each waits for one decision)."""
    return list(
        db.session.scalars(
            select(AccountProposal).where(AccountProposal.decided_at.is_(None)).order_by(AccountProposal.id).limit(200)
        )
    )
