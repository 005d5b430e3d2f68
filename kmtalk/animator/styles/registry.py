"""Named styles: in-code registration, the ``kmtalk.styles`` entry-point group, and style specs.

A *spec* names a style and its parameters: ``"head"``,
``"emotion:happy=0.5"``, ``"articulation:jaw=1.2,lip=0.8"``. Several specs
form a list (or one string joined with ``;``); they apply in order.

Examples
--------
>>> from kmtalk.animator.styles import parse_styles
>>> [s.spec() for s in parse_styles(["articulation:lip=1.3", "emotion:happy=0.5", "head"])]
['articulation:lip=1.3', 'emotion:happy=0.5', 'head']
>>> [s.spec() for s in parse_styles({"jaw": 1.2})]       # the JALI-axes dict
['articulation:jaw=1.2']
"""

from __future__ import annotations

import difflib
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from typing import Any

from ...errors import KmtalkError
from .base import AXIS_RANGE, Style

__all__ = [
    "ENTRY_POINT_GROUP",
    "StyleSpec",
    "available_styles",
    "get_style",
    "parse_spec",
    "parse_styles",
    "register_style",
]

log = logging.getLogger(__name__)

#: Entry-point group that packages use to provide styles (``name = "module:factory"``).
ENTRY_POINT_GROUP = "kmtalk.styles"

#: What ``style=`` accepts: a spec string, a Style, a mapping, a list of them, or None.
StyleSpec = str | Mapping[str, Any] | Style | Sequence[Any] | None

_REGISTRY: dict[str, Callable[..., Style]] = {}
_JALI = ("jaw", "lip")


def register_style(name: str, factory: Callable[..., Style], *, replace: bool = False) -> None:
    """Register a style factory (usually its class) under ``name``.

    Parameters
    ----------
    name : str
        Lower-case name used in specs (letters, digits, ``_`` and ``-``).
    factory : callable
        Called with the spec's parameters as keyword arguments; returns a :class:`Style`.
    replace : bool, default False
        Allow replacing an existing registration.

    Examples
    --------
    >>> from kmtalk.animator.styles import BaseStyle, register_style, get_style
    >>> class Calm(BaseStyle):
    ...     name = "calm"
    >>> register_style("calm", Calm, replace=True)
    >>> get_style("calm").name
    'calm'
    """
    key = str(name).strip().lower()
    if not key or not all(c.isalnum() or c in "_-" for c in key):
        raise KmtalkError(f"style name {name!r} must be letters, digits, '_' or '-'")
    if key in _REGISTRY and not replace:
        raise KmtalkError(f"a style named {key!r} is already registered (pass replace=True)")
    if not callable(factory):
        raise KmtalkError(f"the factory of style {key!r} must be callable, got {type(factory).__name__}")
    _REGISTRY[key] = factory


def _entry_points() -> dict[str, metadata.EntryPoint]:
    try:
        eps = metadata.entry_points(group=ENTRY_POINT_GROUP)
    except Exception as exc:  # noqa: BLE001 - a broken installed package must not break kmtalk
        log.warning("cannot read the %r entry points: %s", ENTRY_POINT_GROUP, exc)
        return {}
    return {ep.name.strip().lower(): ep for ep in eps}


def available_styles() -> list[str]:
    """Names of the registered styles and of those installed packages provide (entry points).

    Examples
    --------
    >>> {"articulation", "emotion", "head", "reference"} <= set(available_styles())
    True
    """
    return sorted(set(_REGISTRY) | set(_entry_points()))


def _factory(key: str) -> Callable[..., Style]:
    if key in _REGISTRY:
        return _REGISTRY[key]
    ep = _entry_points().get(key)
    if ep is None:
        names = available_styles()
        close = difflib.get_close_matches(key, names, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KmtalkError(f"unknown style {key!r}{hint} (available: {', '.join(names)}; packages add "
                          f"styles through the {ENTRY_POINT_GROUP!r} entry-point group)")
    try:
        factory = ep.load()
    except Exception as exc:
        raise KmtalkError(f"style {key!r} from entry point {ep.value!r} cannot be loaded: {exc}") from exc
    register_style(key, factory, replace=True)
    return factory


def get_style(name: str, **params: Any) -> Style:
    """Build the style ``name`` with ``params``.

    Raises
    ------
    KmtalkError
        Unknown style (with close matches), parameters it does not take, or
        values out of range (the style's own message).

    Examples
    --------
    >>> get_style("emotion", happy=0.5).spec()
    'emotion:happy=0.5'
    """
    key = str(name).strip().lower()
    factory = _factory(key)
    try:
        style = factory(**params)
    except KmtalkError:
        raise
    except TypeError as exc:
        raise KmtalkError(f"style {key!r}: {exc}; check its parameters") from exc
    except ValueError as exc:
        raise KmtalkError(f"style {key!r}: {exc}") from exc
    if not isinstance(getattr(style, "name", None), str) or not any(
            callable(getattr(style, h, None)) for h in ("prior_params", "apply", "head_pose")):
        raise KmtalkError(f"style {key!r} built {style!r}, which has no name or no hook "
                          "(prior_params, apply, head_pose); see docs/styles.md")
    return style


def _value(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    try:
        v = float(text)
    except ValueError:
        return text.strip()
    return v


def parse_spec(spec: str) -> Style:
    """Build one style from a spec string ``name[:key=value[,key=value...]]``.

    A key without ``=value`` means ``True`` (``"emotion:happy"``); values
    are numbers, ``true``/``false`` or text.

    Examples
    --------
    >>> parse_spec("articulation: jaw=1.2, lip=0.8").spec()
    'articulation:jaw=1.2,lip=0.8'
    """
    name, _, rest = str(spec).partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not key:
            raise KmtalkError(f"style spec {spec!r}: empty parameter name in {item!r}")
        params[key] = _value(value) if eq else True
    if not name.strip():
        raise KmtalkError(f"style spec {spec!r} has no style name (e.g. 'emotion:happy=0.5')")
    return get_style(name, **params)


def _axes(mapping: Mapping[str, Any]) -> Style:
    """The JALI-axes mapping ``{"jaw": .., "lip": ..}`` as an articulation style."""
    lo, hi = AXIS_RANGE
    for name, value in mapping.items():
        if name not in _JALI:
            raise KmtalkError(f"unknown style axis {name!r}; known: {', '.join(_JALI)} (other styles "
                              "are given as specs, e.g. style=['emotion:happy=0.5', 'head'])")
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise KmtalkError(f"style axis {name!r} = {value!r} must be a number in [{lo:g}, {hi:g}]") from None
        if not (math.isfinite(v) and lo <= v <= hi):
            raise KmtalkError(f"style axis {name!r} = {value!r} must be in [{lo:g}, {hi:g}]")
    return get_style("articulation", **{k: float(v) for k, v in mapping.items()})


def parse_styles(style: Any) -> list[Style]:
    """Turn any accepted ``style=`` value into a list of styles, in order.

    Accepted: ``None``; a :class:`Style`; a spec string (several joined by
    ``;``); the JALI mapping ``{"jaw": 1.2, "lip": 0.8}``; a mapping with a
    ``"name"`` and parameters (``{"name": "emotion", "sad": 0.4}``); or a
    list of any of these.

    Raises
    ------
    KmtalkError
        Anything else, unknown styles or parameters (the message says which).

    Examples
    --------
    >>> [s.name for s in parse_styles("emotion:sad=0.3; head")]
    ['emotion', 'head']
    """
    if style is None:
        return []
    if isinstance(style, str):
        return [parse_spec(part) for part in style.split(";") if part.strip()]
    if isinstance(style, Mapping):
        if "name" in style:
            params = {k: v for k, v in style.items() if k != "name"}
            return [get_style(str(style["name"]), **params)]
        return [_axes(style)]
    if isinstance(style, Style) or (hasattr(style, "name") and not isinstance(style, (Sequence, set))):
        return [style]
    if isinstance(style, (Sequence, set)) and not isinstance(style, (bytes, bytearray)):
        out: list[Style] = []
        for item in style:
            if isinstance(item, (list, tuple)):
                raise KmtalkError("style lists cannot be nested; give one flat list of specs")
            out += parse_styles(item)
        return out
    raise KmtalkError(f"style must be a spec string, a Style, a mapping or a list of them, got "
                      f"{type(style).__name__} (see docs/styles.md)")
