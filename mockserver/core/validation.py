"""Checking requests and answers against an operation: parameters coerced and checked, bodies and
answers validated, each problem a `Violation` naming its field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockserver.core.specs import LazyValidator, Operation
from mockserver.core.wording import SCHEMA_KEYWORDS, describe

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError


@dataclass(frozen=True)
class Violation:
    """One way a request broke the spec: where (`body`, `query`, `path`, `header`), which field, and
    the keyword it broke with what the spec expected there; `message` says it in English."""

    location: str
    field: str
    message: str
    keyword: str = ""
    expected: Any = None
    spanish: str = ""  # for a violation the mock words itself (an unreadable body): the same in Spanish

    def words(self, language: str, *, full_path: bool = False) -> str:
        """The sentence in `language` ("en", "es"), naming the field by its last part or its path."""
        if self.spanish or (self.expected is None and self.keyword not in SCHEMA_KEYWORDS):
            return self.spanish if language == "es" and self.spanish else self.message
        return describe(self.keyword, self.expected, self.field, language, full_path=full_path)


def schema_violation(location: str, field: str, keyword: str, expected: Any) -> Violation:
    return Violation(location, field, describe(keyword, expected, field), keyword, expected)


def violations(validator: LazyValidator, instance: Any, location: str) -> list[Violation]:
    """Every way `instance` breaks the schema, in order of where; each missing field named by itself."""
    found: list[Violation] = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        found.extend(_violations(error, location))
    return found


def absent_nulls(validator: LazyValidator, instance: Any) -> None:
    """JSON null where the schema takes no null is how clients say "not given" (Python's None, PHP's
    null, JavaScript's undefined turned null): such a member is dropped, as if it were never sent. A
    field the schema requires is then reported missing, in the provider's words."""
    try:
        if not _holds_null(instance):
            return  # nothing to drop: the schema is not asked (a body without null is most bodies)
    except RecursionError:
        pass  # nested past the stack where no schema reaches: the schema's own walk decides
    for _ in range(8):  # a pass drops every null jsonschema names; nested ones may show on the next
        dropped = False
        for error in validator.iter_errors(instance):
            if not error.absolute_path:
                continue
            *parents, key = list(error.absolute_path)
            owner = _at(instance, parents)
            if error.instance is None and isinstance(owner, dict) and key in owner and owner[key] is None:
                del owner[key]
                dropped = True
        if not dropped:
            return


def _holds_null(value: Any) -> bool:
    """Whether a null is anywhere in a decoded JSON value."""
    if isinstance(value, dict):
        return any(v is None or _holds_null(v) for v in value.values())
    if isinstance(value, list):
        return any(v is None or _holds_null(v) for v in value)
    return value is None


def _at(instance: Any, path: list[Any]) -> Any:
    for step in path:
        try:
            instance = instance[step]
        except (KeyError, IndexError, TypeError):
            return None
    return instance


def _violations(error: ValidationError, location: str) -> list[Violation]:
    path = [str(p) for p in error.absolute_path]
    keyword, expected = str(error.validator), error.validator_value
    if keyword in ("oneOf", "anyOf") and error.context:
        from jsonschema.exceptions import best_match  # jsonschema is loaded already: it made `error`

        # the form the value comes closest to says what is wrong with it (the batch's callback_url,
        # not "matches no form"): a form of another type is not it
        here = list(error.absolute_path)
        closer = [c for c in error.context if not (c.validator == "type" and list(c.absolute_path) == here)]
        return _violations(best_match(closer or error.context), location)
    if keyword == "required" and isinstance(error.instance, dict) and isinstance(expected, list):
        # jsonschema reports each missing property in turn: name each one, not the first
        missing = [r for r in expected if r not in error.instance]
        named = error.message.split("'")[1] if error.message.count("'") >= 2 else None
        leaf = named if named in missing else (missing[0] if missing else None)
        return [schema_violation(location, ".".join([*path, leaf] if leaf else path), keyword, None)]
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        extra = [k for k in error.instance if k not in schema.get("properties", {})] or [""]
        return [
            schema_violation(location, ".".join(p for p in [*path, k] if p), keyword, None) for k in extra
        ]
    if keyword == "dependentRequired" and isinstance(expected, dict) and isinstance(error.instance, dict):
        needs = [d for deps in expected.values() for d in deps if d not in error.instance]
        return [schema_violation(location, ".".join(path), keyword, needs)]
    if keyword in ("required", "additionalProperties", "oneOf", "anyOf", "not", "uniqueItems"):
        expected = None
    return [schema_violation(location, ".".join(path), keyword, expected)]


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
                problems.append(schema_violation(location, param.name, "required", None))
            elif "default" in param.schema:
                values[param.name] = param.schema["default"]
            continue
        value = _coerce(source[param.name], param.schema)
        if _plainly_valid(param.schema, value):
            values[param.name] = value
            continue
        for v in violations(param.validator, value, location):
            problems.append(schema_violation(location, param.name, v.keyword, v.expected))
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
