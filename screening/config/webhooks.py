"""The ``[webhooks]`` section: how signed event deliveries to employers' HR systems are sent and retried."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from pathlib import Path

from screening.config.errors import ConfigError


@dataclass(frozen=True)
class WebhooksConfig:
    #: Endpoints resolving to private, loopback, link-local (the cloud metadata address) or other non-public
    #: addresses are refused, at subscription and again at every send; true only for the demo and tests.
    allow_private_addresses: bool = False
    #: Plain ``http://`` endpoints (no TLS); true only for the demo and tests.
    allow_http: bool = False
    #: Seconds to open the connection, and for each read and write (the answer's body: from the attempt's start).
    connect_timeout_seconds: int = 3
    timeout_seconds: int = 10
    #: First wait after a failed attempt; it doubles (with jitter) after each further failure, up to the maximum.
    retry_base_seconds: int = 30
    retry_max_seconds: int = 3600
    #: A delivery is retried until it is this old, then failed (a redelivery from the page starts again).
    give_up_hours: int = 72
    #: An endpoint whose deliveries failed without a success for this long is disabled and its
    #: organisation's screening managers are mailed.
    disable_after_hours: int = 72
    #: Deliveries claimed at once by one sender, and sent concurrently by this many threads.
    batch_size: int = 100
    concurrency: int = 20
    #: A claimed batch is another sender's after this long (a sender killed mid-batch); must outlast a batch.
    lease_seconds: int = 120
    #: Characters of the receiver's answer kept in the delivery log.
    response_chars: int = 500
    #: After a secret's rotation the old secret also signs for this long (both signatures are sent).
    rotation_grace_hours: int = 24
    #: Endpoints one organisation may subscribe.
    max_endpoints: int = 10
    #: A PEM file of further certificate authorities trusted for endpoints (an employers' private PKI), on top
    #: of the system's; empty: the system's only.
    ca_file: str = ""

    def __post_init__(self) -> None:
        for name in ("connect_timeout_seconds", "timeout_seconds", "retry_base_seconds", "batch_size", "concurrency"):
            if getattr(self, name) < 1:
                raise ConfigError(f"webhooks.{name}: must be at least 1")
        if self.retry_max_seconds < self.retry_base_seconds:
            raise ConfigError("webhooks.retry_max_seconds: must not be below retry_base_seconds")
        if self.connect_timeout_seconds > self.timeout_seconds:
            raise ConfigError("webhooks.connect_timeout_seconds: must not exceed timeout_seconds")
        if self.ca_file and not Path(self.ca_file).is_file():
            raise ConfigError(f"webhooks.ca_file: no such file: {self.ca_file}")
        needed = ceil(self.batch_size / self.concurrency) * self.timeout_seconds
        if self.lease_seconds <= needed:
            raise ConfigError(
                f"webhooks.lease_seconds: must exceed the longest batch, {needed} s "
                "(batch_size / concurrency x timeout_seconds)"
            )
