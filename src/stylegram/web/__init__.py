"""The browser front end: ``stylegram web`` serves a style transfer page (Gradio).

Importing this package loads only :class:`WebSettings` (standard library);
:mod:`stylegram.web.app`, which imports gradio (the ``web`` extra), is loaded by
``stylegram web`` when it starts the server.
"""

from .settings import WebSettings

__all__ = ["WebSettings"]
