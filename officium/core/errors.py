"""Exceptions that stop the site from starting, each carrying a message that names the fix."""


class StartupError(Exception):
    """The site cannot start; ``str(error)`` says which plugin or setting is wrong and how to fix it."""


class ConfigError(StartupError):
    """officium.toml is missing, unreadable or holds a bad value."""


class MigrationPending(StartupError):
    """The database schema is older than the enabled plugins expect."""
