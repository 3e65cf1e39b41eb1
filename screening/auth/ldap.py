"""The directory inside the application: one :class:`Directory` per process, built on first use.

``[ldap]`` is checked when the configuration is loaded (a mistake stops the start, naming the key), but nothing
touches the network until the first sign-in, lookup or ``screening ldap test``. The same object then
serves every request of the process, so the service account's connection is reused between sign-ins;
:class:`Directory` serialises its own use of that connection, and the lock here only makes sure two
threads of a gunicorn worker racing to the first sign-in build one object, not two.
"""

from __future__ import annotations

import threading

from flask import Flask, current_app

from screening.auth.directory import Directory, LdapConfig
from screening.config import Config

_CONFIG = "screening.ldap_config"
_HOLDER = "screening.directory"


class DirectoryHolder:
    """The process's directory, built lazily and at most once, and closed with the app."""

    def __init__(self, config: LdapConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._directory: Directory | None = None

    def get(self) -> Directory:
        directory = self._directory
        if directory is None:
            with self._lock:
                if self._directory is None:
                    self._directory = Directory(self.config)
                directory = self._directory
        return directory

    def close(self) -> None:
        """Unbind the service account (tests, and the CLI when a command ends)."""
        with self._lock:
            if self._directory is not None:
                self._directory.close()


def init_directory(app: Flask, config: Config) -> None:
    """Keep the ``[ldap]`` section (checked by the loader), when there is one, and its lazy directory."""
    if config.ldap is None:
        return
    app.extensions[_CONFIG] = config.ldap
    app.extensions[_HOLDER] = DirectoryHolder(config.ldap)


def directory_config(app: Flask | None = None) -> LdapConfig | None:
    """The checked ``[ldap]`` table, or None when sign-in is local only."""
    return (app or current_app).extensions.get(_CONFIG)


def directory(app: Flask | None = None) -> Directory | None:
    """The process's directory, or None when none is configured."""
    holder: DirectoryHolder | None = (app or current_app).extensions.get(_HOLDER)
    return holder.get() if holder is not None else None


def close_directory(app: Flask) -> None:
    holder: DirectoryHolder | None = app.extensions.get(_HOLDER)
    if holder is not None:
        holder.close()
