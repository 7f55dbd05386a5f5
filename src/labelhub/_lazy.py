"""Package attributes imported on first use (PEP 562), so importing a package does not load its heavy parts.

``labelhub.assist`` re-exports names from modules that load PyTorch and scikit-learn. The server and the CLI
import small pieces of it (the predictor registry, its dataclasses) and should not pay for the rest: while every
re-export was eager, ``import labelhub.cli`` took 2.4 s and each server process held ~280 MB more. A name that
is also a submodule's name cannot be lazy (importing the submodule sets the package attribute to the module),
so a package that has such names, like ``labelhub.tracking``, stays eager. Hand-written: a dozen lines the
standard library leaves to each package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, names: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return a module ``__getattr__`` and ``__dir__`` for ``package`` that import ``names[attr]`` (a
    submodule, relative to the package) when ``attr`` is first asked for, and cache the value on the package."""

    def module_getattr(name: str) -> Any:
        try:
            module = names[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(importlib.import_module(package), name, value)
        return value

    def module_dir() -> list[str]:
        return sorted(set(names) | set(vars(importlib.import_module(package))))

    return module_getattr, module_dir
