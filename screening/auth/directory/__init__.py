"""Sign-in through the employers' directory (LDAP / Active Directory), without Flask.

Build a :class:`Directory` once per process from ``config.ldap`` (the checked ``[ldap]`` section);
call :meth:`Directory.authenticate` from the sign-in view and :meth:`Directory.inspect` from the operator
tools. Every failure is a :class:`DirectoryError` with a ``user_message`` safe to show.
"""

import warnings

with warnings.catch_warnings():
    # ldap3 2.9.1 imports names that pyasn1 >= 0.6 deprecates: harmless, and not ours to fix. Importing
    # it here, first, keeps the warning out of every module below (tests turn warnings into errors).
    warnings.simplefilter("ignore", DeprecationWarning)
    import ldap3  # noqa: F401

from screening.auth.directory.client import Directory
from screening.auth.directory.errors import (
    AccountDisabled,
    DirectoryError,
    DirectoryTLSError,
    DirectoryUnavailable,
    InvalidCredentials,
    NotMapped,
)
from screening.auth.directory.mapping import DirectoryAccount, DirectoryInspection
from screening.config.ldap import (
    AttributeNames,
    LdapConfig,
    OrganisationMapping,
    RoleMapping,
)

__all__ = [
    "AccountDisabled",
    "AttributeNames",
    "Directory",
    "DirectoryAccount",
    "DirectoryError",
    "DirectoryInspection",
    "DirectoryTLSError",
    "DirectoryUnavailable",
    "InvalidCredentials",
    "LdapConfig",
    "NotMapped",
    "OrganisationMapping",
    "RoleMapping",
]
