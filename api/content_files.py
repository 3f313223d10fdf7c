"""Where things are in the content tree: the names the loader, the role table and the CLI's snapshot share.

Its own module, free of pydantic: the snapshot (api/catalog_snapshot.py) hashes these files without
loading the models that validate them.
"""

from __future__ import annotations

from typing import Final

ENTRY_FOLDERS: Final = ("http", "aws", "gcp", "azure", "kubernetes", "guides", "playbooks")
TAXONOMY_FILE: Final = "taxonomy.yaml"
ROLES_FILE: Final = "data/gcp_permission_roles.json"  # JSON: 1,600 rows parse in ~2 ms, YAML in ~110
