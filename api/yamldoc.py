"""YAML parsing for content files: libyaml's C loader when PyYAML has it (10x faster), safe either way.

PyYAML is imported on the first parse, not at import: `whydenied explain` reads the catalogue from
its snapshot (api/catalog_snapshot.py) and never parses YAML, and importing PyYAML costs it ~10 ms.
"""

from __future__ import annotations

from typing import Any


def parse_yaml(text: str) -> Any:
    """Parse one YAML document with a safe loader (no Python object tags)."""
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader (C or Python)


def yaml_error() -> type[Exception]:
    """Return PyYAML's base error class (what `parse_yaml` raises on a malformed document)."""
    import yaml

    return yaml.YAMLError
