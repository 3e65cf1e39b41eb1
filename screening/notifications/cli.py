"""``screening mail retry``: send failed messages again after an outage, all or by kind and day (audited)."""

from __future__ import annotations

from datetime import date

import click

from screening.cli_base import Context, Group, pass_context


@click.group(cls=Group)
def mail() -> None:
    """The outbox."""


@mail.command("retry")
@click.option("--kind", "template", default=None, help="Only messages of this kind (template), e.g. consent_reminder.")
@click.option("--from", "first_day", default=None, help="Only messages written on or after this day (YYYY-MM-DD).")
@click.option("--until", "last_day", default=None, help="Only messages written on or before this day (YYYY-MM-DD).")
@pass_context
def mail_retry(context: Context, template: str | None, first_day: str | None, last_day: str | None) -> None:
    """Send failed messages again at the next delivery run (without options: every failed message)."""
    from screening.actors import Actor
    from screening.clock import utcnow
    from screening.notifications.retry import RetryFilter, retry_failed_mail

    which = RetryFilter(
        template, _day(first_day, "--from"), _day(last_day, "--until"), context.config.scheduler.timezone
    )
    if which.first_day and which.last_day and which.last_day < which.first_day:
        raise click.BadParameter("the last day comes before the first", param_hint="--until")
    with context.transaction():
        count = retry_failed_mail(Actor(label="cli", role="admin"), which, utcnow())
    click.echo(f"{count} failed messages will be sent again at the next delivery run ({which.describe()})")


def _day(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a day (YYYY-MM-DD)", param_hint=option) from None
