"""A small structural check of a JSON document against a definition in Amazon's swagger models.

``jsonschema`` is not a dependency, and Amazon's models use only a small subset of JSON Schema:
``$ref``, ``type`` (object/array/string/integer/number/boolean), ``properties``, ``required``,
``items``, ``enum``, ``pattern`` and ``maxLength``. This walks exactly that subset and reports
every violation with its JSON path, which is enough to catch the mistakes that matter here: a
property the target model does not define (Amazon answers "Invalid content was found starting
with element …"), a missing required property, an integer sent as a string.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def load_definitions(models_dir: Path, model_file: str) -> dict[str, Any]:
    return json.loads((models_dir / model_file).read_text())["definitions"]


def violations(definitions: dict[str, Any], definition: str, document: Any) -> list[str]:
    """Every way ``document`` breaks ``definitions[definition]`` (empty list: it conforms)."""
    problems: list[str] = []
    _check(definitions, {"$ref": f"#/definitions/{definition}"}, document, definition, problems)
    return problems


def _check(
    definitions: dict[str, Any], schema: dict[str, Any], value: Any, path: str, out: list[str]
) -> None:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        _check(definitions, definitions[name], value, path, out)
        return
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    if kind is not None:
        expected = _TYPES[kind]
        if isinstance(value, bool) and kind != "boolean" or not isinstance(value, expected):
            out.append(f"{path}: expected {kind}, got {type(value).__name__} {value!r}")
            return
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{path}: {value!r} does not match {schema['pattern']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            out.append(f"{path}: longer than {schema['maxLength']}")
    if kind == "object":
        properties: dict[str, Any] = schema.get("properties", {})
        for key in value:
            if key not in properties:
                out.append(f"{path}.{key}: not defined by the model (allowed: {sorted(properties)})")
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{path}.{key}: required by the model but missing")
        for key, item in value.items():
            if key in properties:
                _check(definitions, properties[key], item, f"{path}.{key}", out)
    elif kind == "array" and "items" in schema:
        for index, item in enumerate(value):
            _check(definitions, schema["items"], item, f"{path}[{index}]", out)
