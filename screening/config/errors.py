"""The one exception of the configuration, in a leaf module so every section's parser can raise it."""


class ConfigError(ValueError):
    """A configuration problem, named by its dotted key."""
