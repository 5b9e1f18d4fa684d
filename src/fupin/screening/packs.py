"""The policy packs this installation offers, checked once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings

from fupin.engine.checker import CheckedPack, check_pack
from fupin.engine.packs import load_pack

BUILT_IN = Path(__file__).resolve().parent.parent / "policies"


def folders() -> list[Path]:
    extra = [Path(p) for p in getattr(settings, "POLICY_DIRS", [])]
    return [*extra, BUILT_IN]


def available() -> list[str]:
    names: set[str] = set()
    for folder in folders():
        names.update(p.stem for p in folder.glob("*.yaml"))
    return sorted(names)


def path_of(name_or_path: str) -> Path:
    """A pack by name (looked up in the policy folders) or by file path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return candidate
    for folder in folders():
        path = folder / f"{name_or_path}.yaml"
        if path.exists():
            return path
    raise LookupError(name_or_path)


@cache
def _checked(path: Path, mtime: float) -> CheckedPack:
    return check_pack(load_pack(path, folders()))


def checked(name_or_path: str | None = None) -> CheckedPack:
    path = path_of(name_or_path or settings.DEFAULT_POLICY_PACK)
    return _checked(path, path.stat().st_mtime)


def default_name() -> str:
    return str(settings.DEFAULT_POLICY_PACK)
