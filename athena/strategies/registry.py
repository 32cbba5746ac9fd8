"""Find strategies by registered name or by ``"package.module:Class"`` import path."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping

from athena.errors import UnknownStrategy
from athena.strategies.base import Strategy, suggest

__all__ = ["available", "create", "get", "register"]

_REGISTRY: dict[str, type[Strategy]] = {}


def register(
    cls: type[Strategy] | None = None, *, name: str | None = None
) -> Callable[[type[Strategy]], type[Strategy]] | type[Strategy]:
    """Register a strategy class under ``name`` (default: its ``name`` attribute).

    Use as ``register(MyStrategy)``, ``@register`` or ``@register(name="mine")``.

    Parameters
    ----------
    cls : type[Strategy], optional
        The class to register.
    name : str, optional
        The registry name.

    Returns
    -------
    type[Strategy] or callable
        The class itself, or a decorator when ``cls`` is omitted.

    Raises
    ------
    TypeError
        When ``cls`` is not a ``Strategy`` subclass.
    """

    def add(target: type[Strategy]) -> type[Strategy]:
        if not (inspect.isclass(target) and issubclass(target, Strategy)):
            raise TypeError(f"only Strategy subclasses can be registered, got {target!r}")
        _REGISTRY[name or target.name] = target
        return target

    return add if cls is None else add(cls)


def available() -> Mapping[str, type[Strategy]]:
    """Return the registered strategies by name."""
    return dict(sorted(_REGISTRY.items()))


def get(spec: str | type[Strategy]) -> type[Strategy]:
    """Return the strategy class for a registered name or a ``"module:Class"`` path.

    Parameters
    ----------
    spec : str or type[Strategy]
        ``"sma_cross"``, ``"my_pkg.strats:Trend"``, or a class (returned as is).

    Returns
    -------
    type[Strategy]
        The class.

    Raises
    ------
    UnknownStrategy
        When nothing matches; the message suggests close names.
    """
    if inspect.isclass(spec) and issubclass(spec, Strategy):
        return spec
    if not isinstance(spec, str):
        raise UnknownStrategy(f"a strategy is a name, a 'module:Class' path or a class, got {spec!r}")
    if ":" not in spec:
        if spec in _REGISTRY:
            return _REGISTRY[spec]
        raise UnknownStrategy(
            f"unknown strategy {spec!r}{suggest(spec, _REGISTRY)} "
            f"(registered: {', '.join(sorted(_REGISTRY))}; or use 'module:Class')"
        )
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UnknownStrategy(f"cannot import module {module_name!r} for strategy {spec!r}: {exc}") from None
    found = getattr(module, attr, None)
    if inspect.isclass(found) and issubclass(found, Strategy):
        return found
    classes = [
        n
        for n, v in vars(module).items()
        if not n.startswith("_") and inspect.isclass(v) and issubclass(v, Strategy) and v is not Strategy
    ]
    what = "is not a Strategy subclass" if found is not None else "not found"
    raise UnknownStrategy(
        f"strategy class {attr!r} {what} in module {module_name!r}{suggest(attr, classes)}"
        + (f" (strategies there: {', '.join(classes)})" if classes else "")
    )


def create(spec: str | type[Strategy], params: Mapping[str, object] | None = None) -> Strategy:
    """Return an instance of the strategy ``spec`` with ``params``.

    Parameters
    ----------
    spec : str or type[Strategy]
        As for :func:`get`.
    params : Mapping[str, object], optional
        Parameter values; strings are converted to the declared types.

    Returns
    -------
    Strategy
        The configured strategy.

    Raises
    ------
    UnknownStrategy
        When the strategy is unknown.
    InvalidParameter
        When a parameter is unknown or invalid.
    """
    return get(spec)(**dict(params or {}))
