"""The audit trail, read-only, for auditors."""

from __future__ import annotations

import json

from flask import Blueprint, render_template, request
from sqlalchemy import select

from screening.audit.log import head_document
from screening.audit.models import AuditEntry, AuditTreeHead
from screening.auth.access import roles
from screening.db import db
from screening.extensions import settings
from screening.pagination import paginate

bp = Blueprint("audit", __name__)


@bp.route("/audit")
@roles("auditor")
def index() -> str:
    statement = select(AuditEntry).order_by(AuditEntry.id.desc())
    object_type = request.args.get("object_type") or None
    if object_type:
        statement = statement.where(AuditEntry.object_type == object_type[:40])
    object_id = request.args.get("object_id", type=int)
    if object_id:
        statement = statement.where(AuditEntry.object_id == object_id)
    page = paginate(statement, request.args.get("page", 1, type=int) or 1, settings().app.page_size)
    latest = db.session.scalars(select(AuditTreeHead).order_by(AuditTreeHead.tree_size.desc()).limit(1)).first()
    exported = db.session.scalars(
        select(AuditTreeHead).where(AuditTreeHead.exported_at.is_not(None)).order_by(AuditTreeHead.tree_size.desc())
    ).first()
    return render_template(
        "audit/index.html", page=page, object_type=object_type or "", object_id=object_id or "",
        latest=latest, exported=json.dumps(head_document(exported), indent=2) if exported else None,
    )  # fmt: skip
