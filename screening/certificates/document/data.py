"""What one certificate holds, and the one function that signs it: the page prints nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from screening.certificates.signing import (
    CertificateClaims,
    CertificateKeys,
    holder_initials,
    verification_code,
    verify_url,
)

AdviceType = Literal["positive", "positive_with_warning"]
#: Only positive advice gets a certificate. "With warning" prints as plain positive: the warning says
#: something about the grounds, which employers and gatekeepers must never learn from the certificate.
ADVICE_TYPES: frozenset[str] = frozenset({"positive", "positive_with_warning"})
DEFAULT_AUTHORITY = "Nationale Veiligheidsoverheid / Autorité nationale de Sécurité"


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on one certificate; nothing about grounds, ever."""

    holder_name: str
    date_of_birth: date
    masked_national_number: str | None
    advice_type: AdviceType
    valid_from: date
    valid_until: date
    clearance_reference: str
    issuing_authority: str
    issue_date: date
    verification_code: str
    verify_url: str
    token: str
    function_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.advice_type not in ADVICE_TYPES:
            # A certificate for a negative advice would be a forgery we made ourselves.
            raise ValueError(f"no certificate for advice type {self.advice_type!r}")
        if self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")


def issue_certificate_data(
    keys: CertificateKeys,
    *,
    base_url: str,
    holder_name: str,
    date_of_birth: date,
    masked_national_number: str | None,
    advice_type: AdviceType,
    valid_from: date,
    valid_until: date,
    clearance_reference: str,
    issue_date: date,
    function_names: Sequence[str] = (),
    issuing_authority: str = DEFAULT_AUTHORITY,
    initials: str | None = None,
) -> CertificateData:
    """Sign the claims and return the data to render: the one place that ties the token to the page.

    ``initials`` defaults to the initials of ``holder_name`` (the same rule as ``Person.initials``), which
    the public verification page also shows.
    """
    claims = CertificateClaims(
        reference=clearance_reference,
        holder_initials=initials if initials is not None else holder_initials(holder_name),
        valid_from=valid_from,
        valid_until=valid_until,
        issue_date=issue_date,
    )
    token = keys.sign(claims)
    return CertificateData(
        holder_name=holder_name,
        date_of_birth=date_of_birth,
        masked_national_number=masked_national_number,
        advice_type=advice_type,
        valid_from=valid_from,
        valid_until=valid_until,
        clearance_reference=clearance_reference,
        issuing_authority=issuing_authority,
        issue_date=issue_date,
        verification_code=verification_code(token),
        verify_url=verify_url(base_url, token),
        token=token,
        function_names=tuple(function_names),
    )
