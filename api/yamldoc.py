"""YAML parsing for content files: libyaml's C loader when PyYAML has it (10x faster), safe either way."""

from __future__ import annotations

from typing import Any, Final

import yaml

_LOADER: Final[type[yaml.SafeLoader]] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """Parse one YAML document with a safe loader (no Python object tags)."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - _LOADER is a SafeLoader (C or Python)
