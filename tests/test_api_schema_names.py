"""Every API schema has one name: two classes sharing a name make the documented schema wrong for one."""

from __future__ import annotations

import inspect

from ninja import Schema

import fupin.api as api_package


def test_no_two_api_schemas_share_a_name() -> None:
    import importlib
    import pkgutil

    seen: dict[str, str] = {}
    clashes: list[str] = []
    for module_info in pkgutil.iter_modules(api_package.__path__):
        module = importlib.import_module(f"fupin.api.{module_info.name}")
        for name, value in vars(module).items():
            if (
                not (inspect.isclass(value) and issubclass(value, Schema))
                or value.__module__ != module.__name__
            ):
                continue
            if name in seen and seen[name] != module.__name__:
                clashes.append(f"{name}: {seen[name]} and {module.__name__}")
            seen[name] = module.__name__
    assert not clashes, "schemas sharing a name in the OpenAPI document: " + "; ".join(clashes)
