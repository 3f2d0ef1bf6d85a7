"""The package version, kept in one place for the metadata and ``--version``."""

__version__ = "0.1.0"
