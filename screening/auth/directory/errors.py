"""Why a directory sign-in failed: one exception per thing the person or the operator must do differently.

Every exception carries two texts. ``user_message`` is short, in English, and safe on the sign-in page: it
never says whether a username exists (unknown user and wrong password read the same). ``str(error)`` and
:attr:`DirectoryError.log_message` are precise, for the log and the operator's ``screening ldap test``.
The view translates ``user_message`` with gettext; the strings here are the msgids, marked with ``N_``.
"""

from __future__ import annotations

import logging
from typing import ClassVar


def N_(message: str) -> str:  # the gettext_noop convention
    """Mark a msgid for ``pybabel extract -k N_`` without translating it: the view translates, here
    there is no request and no locale."""
    return message


#: :attr:`InvalidCredentials.reason` values: kept apart in the log, never on the page (STYLE.md §8).
NO_SUCH_USER = "no such user"
WRONG_PASSWORD = "wrong password"  # noqa: S105 - a reason, not a password
EMPTY_PASSWORD = "empty password"  # noqa: S105 - a reason, not a password
INVALID_USERNAME = "invalid username"
AMBIGUOUS_USERNAME = "more than one entry matches"


class DirectoryError(Exception):
    """The directory could not decide: misconfiguration or an unexpected answer. Base of all below."""

    user_message: ClassVar[str] = N_("Signing in through the directory failed. Please tell your administrator.")
    #: How loud the failure is in the log: an operator acts on ERROR, WARNING is a person's mistake.
    log_level: ClassVar[int] = logging.ERROR

    def __init__(self, detail: str, *, server: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        #: The server that gave the answer, when one did.
        self.server = server

    @property
    def log_message(self) -> str:
        where = f" [{self.server}]" if self.server else ""
        return f"{type(self).__name__}: {self.detail}{where}"


class InvalidCredentials(DirectoryError):
    """Unknown user, wrong password, empty password or a username no account can have: one message on the
    page so the form cannot be used to find out who has an account; :attr:`reason` tells them apart."""

    user_message = N_("Unknown user name or wrong password.")
    log_level = logging.WARNING

    def __init__(self, detail: str, *, reason: str, server: str | None = None) -> None:
        super().__init__(detail, server=server)
        self.reason = reason

    @property
    def log_message(self) -> str:
        return f"{super().log_message} (reason: {self.reason})"


class AccountDisabled(DirectoryError):
    """The directory knows the account but refuses it (AD ``userAccountControl`` bit 2, locked, expired)."""

    user_message = N_(
        "Your directory account is disabled, locked or its password has expired. Please contact your administrator."
    )
    log_level = logging.WARNING


class NotMapped(DirectoryError):
    """Correct credentials, but no mapped group gives the account a role (or an employer role lacks an
    organisation): the directory administrator must add the person to a screening group."""

    user_message = N_(
        "Your directory account has no access to this application. "
        "Ask your administrator to add you to a screening group."
    )
    log_level = logging.WARNING


class DirectoryUnavailable(DirectoryError):
    """No configured server answered within the timeouts: the person should try again later, and
    administrators may still sign in with a local break-glass account."""

    user_message = N_("The directory cannot be reached at the moment. Please try again in a few minutes.")


class DirectoryTLSError(DirectoryError):
    """The secure channel could not be set up: certificate not trusted, wrong host name, StartTLS refused.
    Never retried without TLS: a failure here may be someone in the middle."""

    user_message = N_("The secure connection to the directory failed. Please tell your administrator.")
