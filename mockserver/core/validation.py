"""Checking requests and answers against an operation: parameters coerced and checked, bodies and
answers validated, each problem a `Violation` naming its field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockserver.core.services.masking import SECRET_KEYS
from mockserver.core.specs import LazyValidator, Operation

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError


@dataclass(frozen=True)
class Violation:
    """One way a request broke the spec: where (`body`, `query`, `path`, `header`), which field, why."""

    location: str
    field: str
    message: str
    keyword: str = ""


def violations(validator: LazyValidator, instance: Any, location: str) -> list[Violation]:
    found: list[Violation] = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        found.append(_violation(error, location))
    return found


def _violation(error: ValidationError, location: str) -> Violation:
    path = ".".join(str(p) for p in error.absolute_path)
    required = error.validator_value
    if error.validator == "required" and isinstance(error.instance, dict) and isinstance(required, list):
        missing = [r for r in required if r not in error.instance]
        if missing:
            path = ".".join(p for p in (path, str(missing[0])) if p)
    message = error.message
    if path.rsplit(".", 1)[-1].lower() in SECRET_KEYS:
        # jsonschema quotes the offending value; a secret's value never goes back out
        message = f"the value does not satisfy '{error.validator}'"
    return Violation(location, path, message, str(error.validator))


def read_params(
    op: Operation, source: Mapping[str, str], location: str
) -> tuple[dict[str, Any], list[Violation]]:
    """Coerce the strings of a query or path to their schema types and check them."""
    values: dict[str, Any] = {}
    problems: list[Violation] = []
    for param in op.params:
        if param.location != location:
            continue
        if param.name not in source or (source[param.name] == "" and location == "query"):
            if param.required:
                problems.append(
                    Violation(location, param.name, f"'{param.name}' is a required property", "required")
                )
            elif "default" in param.schema:
                values[param.name] = param.schema["default"]
            continue
        value = _coerce(source[param.name], param.schema)
        if _plainly_valid(param.schema, value):
            values[param.name] = value
            continue
        for v in violations(param.validator, value, location):
            problems.append(Violation(location, param.name, v.message, v.keyword))
        values[param.name] = value
    return values, problems


def _coerce(value: str, schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


PLAIN_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
}


PLAIN_KEYS = frozenset({"type", "description", "example", "examples", "default", "title"})


def _plainly_valid(schema: Mapping[str, Any], value: Any) -> bool:
    """A schema that only names a type, and a value of that type: no validator needed (most path and
    query parameters; jsonschema costs ~15 µs a call)."""
    kind = PLAIN_TYPES.get(schema.get("type", ""))
    if kind is None or not PLAIN_KEYS.issuperset(schema):
        return False
    return isinstance(value, kind) and not (isinstance(value, bool) and schema["type"] != "boolean")


def check_response(
    op: Operation, status: int, content_type: str, body: bytes, headers: Mapping[str, str]
) -> list[str]:
    """What in a response breaks the spec; an empty list means it conforms."""
    spec = (
        op.responses.get(str(status))
        or op.responses.get(f"{str(status)[0]}XX")
        or op.responses.get("default")
    )
    if spec is None:
        return [f"{op.id}: status {status} is not documented"]
    problems = [f"{op.id} {status}: header {h} missing" for h in spec.required_headers if h not in headers]
    media = content_type.split(";")[0].strip()
    if spec.bodies:
        validator = spec.bodies.get(media)
        if validator is None:
            problems.append(f"{op.id} {status}: content type {media!r} not documented")
        elif media.endswith("json"):
            try:
                data = json.loads(body)
            except ValueError:
                return [*problems, f"{op.id} {status}: body is not JSON"]
            problems += [
                f"{op.id} {status}: {v.field or '(root)'}: {v.message}"
                for v in violations(validator, data, "response")
            ]
    elif body:
        problems.append(f"{op.id} {status}: a body was sent where the spec documents none")
    return problems
