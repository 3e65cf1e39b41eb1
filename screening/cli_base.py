"""What every command group of ``screening`` shares: the lazy :class:`Context`, the error-handling
:class:`Group`, :func:`fail` and :func:`pass_context`.

Domain packages import their command-line pieces from here, never from :mod:`screening.cli` (the root,
which imports them to register their groups), so no command module sits in an import circle.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any, NoReturn

import click
from flask import Flask

from screening.config import Config, ConfigError, default_config_path, load_config
from screening.errors import DomainError


class Context:
    """Loads the configuration and the app lazily, so ``screening --help`` needs neither.

    ``make_app`` is the application factory (:func:`screening.app.create_app`), passed in by the root
    command so that this module needs nothing above it.
    """

    def __init__(self, config_path: str | None, make_app: Callable[[Config], Flask]) -> None:
        self.config_path = config_path
        self._make_app = make_app

    @cached_property
    def config(self) -> Config:
        path = self.config_path or default_config_path()
        if path is None:
            raise ConfigError("no configuration: pass --config FILE, set SCREENING_CONFIG, or run `screening demo`")
        return load_config(path)

    def serve_at(self, host: str, port: int) -> None:
        """Make ``app.base_url`` the address the development server listens on, so every link the app
        writes (mail, letters, QR codes, verify URLs) reaches this server; call before the app is built."""
        if "app" in self.__dict__:
            raise RuntimeError("serve_at must come before the app is built")
        self.__dict__["config"] = dataclasses.replace(
            self.config, app=dataclasses.replace(self.config.app, base_url=listening_url(host, port))
        )

    @cached_property
    def app(self) -> Flask:
        return self._make_app(self.config)

    def close(self) -> None:
        """Close the database connections the command opened."""
        if "app" in self.__dict__:
            self.app.extensions["screening.engine"].dispose()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction for one command: committed at the end, rolled back on any error."""
        from screening.db import db, writer

        with self.app.app_context(), writer():
            try:
                yield
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise


pass_context = click.make_pass_decorator(Context)


def listening_url(host: str, port: int) -> str:
    """The URL a browser on this machine uses to reach a server bound to ``host``:``port`` (a wildcard
    address is reached on the loopback, an IPv6 address in brackets)."""
    host = host.strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"http://{host}:{port}"
    if address.is_unspecified:
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    return f"http://[{address}]:{port}" if address.version == 6 else f"http://{address}:{port}"


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr and a non-zero exit: what every command does on a known error."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


class Group(click.Group):
    """Turns known errors into one clear line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            fail(str(error), 2)
        except DomainError as error:
            fail(error.message, 1)
