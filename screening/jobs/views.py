"""Scheduled jobs for administrators: schedules in words, next runs, the last result of each, the active
scheduler, and a button that runs a job now.

"Run now" goes through the very code ``screening jobs run`` and the scheduler use (:func:`scheduler.runner.
run_job`): it takes the job's lease, so a second click, the scheduler or the command line running the same
job meanwhile makes it answer "running in another process" instead of running it twice. The run is audited.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select, text
from werkzeug.wrappers import Response

from scheduler.runner import RunResult, run_job
from screening.actors import Actor
from screening.audit.operations import record
from screening.auth.access import roles
from screening.clock import utcnow
from screening.db import db
from screening.extensions import settings
from screening.jobs import leases
from screening.jobs.catalogue import JOB_NAMES, job_table
from screening.jobs.models import CHANGED_RUNS, JobRun
from screening.jobs.words import schedule_in_words
from screening.pagination import paginate

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")

#: The runs that changed something, failed or are running (a run that changed nothing: finished without
#: error, no item handled, is hidden by default: the sealer alone runs every 5 seconds); read from the
#: partial index ``ix_job_runs_changed``, whose condition this is.
CHANGED = text(CHANGED_RUNS)


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
    show_all = request.args.get("all") == "1"
    runs = select(JobRun) if show_all else select(JobRun).where(CHANGED)
    runs = paginate(
        runs.order_by(JobRun.id.desc()), request.args.get("page", 1, type=int) or 1, settings().app.page_size
    )
    return render_template(
        "admin/jobs.html", jobs=jobs, last=last, active=active, leases=job_leases, runs=runs, show_all=show_all,
        timezone=config.timezone, in_words={job.name: schedule_in_words(job.schedule) for job in jobs},
    )  # fmt: skip


def run_now(name: str, actor: Actor, action: str = "run_job") -> RunResult:
    """Run job ``name`` now, for a button: audited first (the request's transaction is committed, so the job's
    own transactions do not wait behind it), then run under its lease as ``screening jobs run`` does."""
    record(actor, action, "job", None, reason=name)
    db.session.commit()  # the job writes in transactions of its own; this request holds no lock meanwhile
    holder = leases.new_holder(f"web:{actor.label}"[:40])
    return run_job(current_app._get_current_object(), name, holder=holder, trigger="manual")  # type: ignore[attr-defined]


def say_result(name: str, result: RunResult) -> None:
    """The run's outcome as a flash message in words."""
    if result.status == "done":
        flash(_("%(job)s ran now: %(items)d items handled.", job=name, items=result.items or 0), "success")
    elif result.status == "skipped":
        flash(_("%(job)s did not run: it is already running in another process.", job=name), "warning")
    else:
        flash(_("%(job)s failed: %(error)s", job=name, error=result.error or ""), "danger")


@bp.route("/<name>/run", methods=["POST"])
@roles("admin")
def run(name: str) -> Response:
    if name not in JOB_NAMES:
        abort(404)
    say_result(name, run_now(name, Actor.of(current_user, request.remote_addr)))
    return redirect(url_for("jobs.index"))
