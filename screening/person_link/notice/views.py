"""The person's notice as a PDF, downloaded through the person's own file link (never the consent link),
always in the person's language (not the browser's, nor the officer's): the advice, the grounds that may be
disclosed, and for a negative advice the appeal deadline, the appeal body's address and the form an appeal
takes (``[appeal]`` settings).

Kept apart from the link's other pages (:mod:`screening.person_link.views`), which it only borrows the
link check from.
"""

from __future__ import annotations

from flask import Blueprint, abort
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from screening.applications.models import Application
from screening.applications.notice_pdf import NoticeDocument, Section, render_notice
from screening.applications.notices import advice_told
from screening.auth.access import public
from screening.clock import local_date, today
from screening.config import AppealConfig
from screening.extensions import settings
from screening.notifications.operations import language_for, mail_date
from screening.person_link.tokens import LinkError
from screening.person_link.views import _own, _used, record_grounds_read

bp = Blueprint("person_notice", __name__, url_prefix="/my")

#: The states in which the file has an advice the person can be notified of.
NOTICE_STATES = frozenset({"positive", "negative", "appealed", "final_negative"})


def appeal_lines(appeal: AppealConfig, language: str, reference: str) -> tuple[str, ...]:
    """Where and how to appeal, in the current (the person's) language; also on the person's page."""
    contact = [appeal.name_in(language), *appeal.address_lines(language)]
    reach = []
    if appeal.email:
        reach.append(_("E-mail: %(address)s", address=appeal.email))
    if appeal.website:
        reach.append(_("Website: %(url)s", url=appeal.website))
    return (
        _("Send your appeal by registered letter to:"),
        "\n".join(contact),
        *((" · ".join(reach),) if reach else ()),
        _(
            "The form to use: an appeal deed (beroepsakte / acte de recours) that you sign, stating your names, "
            "place and date of birth and address; the advice you appeal against (reference %(reference)s); the "
            "facts and your reasons; with any document you find useful and a list of the documents. Add two "
            'copies, each signed and marked "certified true copy".',
            reference=reference,
        ),
        _("The appeal is free of charge. A lawyer may assist you, but you must attend yourself."),
    )


def _outcome(application: Application, language: str) -> tuple[str, list[Section]]:
    """The notice's title and the sections that depend on where the file stands."""
    told = advice_told(application)
    grounds = Section(
        _("Grounds that may be disclosed to you"),
        (
            told.disclosed_grounds
            or _("The law does not allow the authority to disclose the grounds of this advice to you."),
        ),
    )
    state = application.state
    if state == "positive":
        lines = [
            _(
                "The National Security Authority has given a positive security advice about you for this critical "
                "port function."
            )
        ]
        if told.valid_until:
            lines.append(_("It is valid until %(date)s.", date=mail_date(told.valid_until, language)))
        sections = [Section(_("The advice"), tuple(lines))]
        if told.disclosed_grounds:
            sections.append(grounds)
        return _("Positive security advice"), sections
    negative = Section(
        _("The advice"),
        (
            _(
                "The National Security Authority has given a negative security advice about you for this critical "
                "port function. Your employer is told the outcome only, never the reasons."
            ),
        ),
    )
    appeal = settings().appeal
    if state == "negative":
        deadline = mail_date(told.appeal_deadline, language) if told.appeal_deadline else ""
        how = (_("You may appeal until %(date)s inclusive. Until then the advice is not final.", date=deadline),)
        how += appeal_lines(appeal, language, application.reference)
        return _("Negative security advice"), [negative, grounds, Section(_("How to appeal"), how)]
    if state == "appealed":
        lodged = mail_date(local_date(application.appealed_at), language) if application.appealed_at else ""
        lines = (
            _(
                "Your appeal was recorded on %(date)s. The appeal body will rule on it; you will be told its decision.",
                date=lodged,
            ),
            "\n".join([appeal.name_in(language), *appeal.address_lines(language)]),
        )
        return _("Negative security advice, under appeal"), [negative, grounds, Section(_("Your appeal"), lines)]
    final = (
        _("The appeal body has ruled: the negative security advice is final.")
        if application.appealed_at
        else _("No appeal was lodged in time: the negative security advice is final.")
    )
    return _("Final negative security advice"), [Section(_("The advice"), (final,)), grounds]


def notice_document(application: Application) -> NoticeDocument:
    """The notice's texts in the person's language (call inside ``force_locale`` of that language)."""
    language = language_for(application.declared_locale)
    title, sections = _outcome(application, language)
    decided = mail_date(local_date(application.decided_at), language) if application.decided_at else ""
    return NoticeDocument(
        language=language,
        title=title,
        issuer=_("National Security Authority · port security screening"),
        facts=(
            (_("To"), application.declared_name),  # as this file's employer declared them
            (_("Reference"), application.reference),
            (_("Critical function"), application.function.name(language)),
            (_("Employer"), application.organisation.name),
            (_("Date of the decision"), decided),
        ),
        sections=tuple(sections),
        footer=_(
            "Produced on %(date)s from your file. Keep this notice: it is the authority's notice of its advice.",
            date=mail_date(today(), language),
        ),
    )


@bp.app_context_processor
def _helpers() -> dict[str, object]:
    """For the person's page (:mod:`screening.person_link.views`): the appeal lines in the page's language."""

    def page_appeal_lines(reference: str) -> tuple[str, ...]:
        return appeal_lines(settings().appeal, str(get_locale() or "en"), reference)

    return {"appeal_lines": page_appeal_lines, "NOTICE_STATES": NOTICE_STATES}


@bp.route("/<token>/notice.pdf")
@public
def notice(token: str) -> Response | tuple[str, int]:
    try:
        application = _own(token)
    except LinkError as error:
        return _used(error)
    if application.state not in NOTICE_STATES or application.erased_at is not None:
        abort(404)
    record_grounds_read(application, "download_notice")
    language = language_for(application.declared_locale)
    with force_locale(language):
        document = notice_document(application)
    response = Response(render_notice(document), mimetype="application/pdf")
    name = f"notice-{application.reference}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
