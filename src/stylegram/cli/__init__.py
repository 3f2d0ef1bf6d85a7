"""The command-line front end (click)."""

from .main import main

__all__ = ["main"]
