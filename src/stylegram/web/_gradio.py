"""Gradio, imported with its calls home (usage analytics, version check) turned off.

The variable must be set before gradio is first imported, so the web room imports
gradio from here only. A value the server owner has set is kept.
"""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio  # noqa: E402

__all__ = ["gradio"]
