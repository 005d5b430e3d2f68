"""A headless OpenGL context (moderngl on EGL), created once per process.

Examples
--------
>>> from kmtalk.io.render.context import gl_context
>>> ctx = gl_context()
>>> ctx.version_code >= 330
True
"""

from __future__ import annotations

import logging
import threading

from ...errors import RenderError

__all__ = ["EGL_FIX", "gl_context"]

log = logging.getLogger(__name__)

EGL_FIX = (
    "install Mesa's EGL and OpenGL drivers (Debian/Ubuntu: "
    "apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri) and make sure moderngl "
    "is installed (pip install moderngl)"
)

_lock = threading.Lock()
_ctx = None


def gl_context():
    """Return the process's shared headless moderngl context (EGL backend, OpenGL ≥ 3.3).

    Returns
    -------
    moderngl.Context

    Raises
    ------
    RenderError
        When moderngl is missing or no EGL/OpenGL context can be created; the
        message says what to install.

    Examples
    --------
    >>> from kmtalk.io.render.context import gl_context
    >>> gl_context() is gl_context()
    True
    """
    global _ctx
    with _lock:
        if _ctx is not None:
            return _ctx
        try:
            import moderngl
        except ImportError as err:  # pragma: no cover - dependency of kmtalk
            raise RenderError(f"moderngl is not importable ({err}); {EGL_FIX}") from None
        try:
            ctx = moderngl.create_context(standalone=True, backend="egl", require=330)
        except Exception as err:
            raise RenderError(
                f"cannot create a headless OpenGL context through EGL ({err}); {EGL_FIX}"
            ) from None
        log.debug("OpenGL context: %s, %s", ctx.info.get("GL_RENDERER"), ctx.info.get("GL_VERSION"))
        _ctx = ctx
        return ctx
