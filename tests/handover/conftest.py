"""The hand-over tests use the scheduler suite's real SMTP server (aiosmtpd) and its world of users."""

from tests.scheduler.conftest import config_file, mail_app, smtp, smtp_port, smtp_server, world

__all__ = ["config_file", "mail_app", "smtp", "smtp_port", "smtp_server", "world"]
