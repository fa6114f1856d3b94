"""Pantau core: settings, shared domain schemas, identity rules and the CLI."""

__version__ = "0.1.0"
