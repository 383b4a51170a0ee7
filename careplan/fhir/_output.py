"""How a resource leaves the package: a validated model as a dict, a dict as JSON text.

Why one place: the golden files compare bytes, so every resource is dumped the same way
(``exclude_none``, the key order it was built in).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from careplan.fhir._codes import JsonDict


def dump(resource: BaseModel) -> JsonDict:
    """A validated fhir.resources model back to JSON-ready data, absent fields left out."""
    return resource.model_dump(mode="json", exclude_none=True)


def to_json(resource: Mapping[str, Any]) -> str:
    """A resource as UTF-8 JSON text with the key order it was built in."""
    return json.dumps(resource, ensure_ascii=False, indent=2) + "\n"
