"""WSGI entry point for production: ``gunicorn 'screening.wsgi:app'`` with SCREENING_CONFIG set."""

from screening.app import create_app
from screening.config import ConfigError, default_config_path, load_config

_path = default_config_path()
if _path is None:
    raise ConfigError("set SCREENING_CONFIG to the TOML configuration file")
app = create_app(load_config(_path))
