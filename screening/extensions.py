"""Extension objects, created once and bound to an app in :func:`screening.app.create_app`."""

from __future__ import annotations

from flask import current_app
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from screening.config import Config
from screening.vault import IdentifierVault

babel = Babel()
bootstrap = Bootstrap5()
csrf = CSRFProtect()
login_manager = LoginManager()


def settings() -> Config:
    """The typed configuration of the running app."""
    return current_app.extensions["screening.config"]


def vault() -> IdentifierVault:
    return current_app.extensions["screening.vault"]
