"""Scheduled jobs for administrators: schedules, next runs, the last result of each, the active scheduler.

The page only reads: jobs run in the scheduler process or from the command line, never in a web process.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from screening.auth.access import roles
from screening.clock import utcnow
from screening.db import db
from screening.extensions import settings
from screening.jobs import leases
from screening.jobs.catalogue import job_table
from screening.jobs.models import JobRun
from screening.pagination import paginate

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")


@bp.route("")
@roles("admin")
def index() -> str:
    config = settings().scheduler
    now = utcnow()
    jobs = job_table(config, now)
    latest = select(func.max(JobRun.id)).group_by(JobRun.job)
    last = {run.job: run for run in db.session.scalars(select(JobRun).where(JobRun.id.in_(latest)))}
    held = {name: lease for name, lease in leases.everyone(db.engine).items() if lease.held(now)}
    scheduler = held.get(leases.SCHEDULER)
    active = (scheduler.holder, scheduler.expires_at) if scheduler is not None else None
    job_leases = {job.name: held.get(leases.job_lease(job.name)) for job in jobs}
    runs = paginate(
        select(JobRun).order_by(JobRun.id.desc()), request.args.get("page", 1, type=int) or 1, settings().app.page_size
    )
    return render_template(
        "admin/jobs.html", jobs=jobs, last=last, active=active, leases=job_leases, runs=runs,
        zone=ZoneInfo(config.timezone), timezone=config.timezone,
    )  # fmt: skip
