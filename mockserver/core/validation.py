"""Checking requests and answers against an operation: parameters coerced and checked, bodies and
answers validated, each problem a `Violation` naming its field."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockserver.core.specs import LazyValidator, Operation, Param
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


NO_DEFAULT = object()  # a parameter whose schema gives no default


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
    """Whether a null is anywhere in a decoded JSON value (a loop, not any(genexpr): every body with a
    schema is walked, and a generator per object is an allocation the cycle collector counts)."""
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list):
        return value is None
    for v in value:  # noqa: SIM110 (see above)
        if v is None or (isinstance(v, dict | list) and _holds_null(v)):
            return True
    return False


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


@dataclass(frozen=True, slots=True)
class Reader:
    """How one parameter is read, decided once per operation: what makes its string a value, and the
    type that alone proves the value valid (None: its validator decides)."""

    name: str
    required: bool
    default: Any  # NO_DEFAULT for none
    coerce: Callable[[str], Any]
    plain: type | tuple[type, ...] | None
    boolean: bool  # its schema's type is boolean (a bool passes for an int in Python, not in JSON Schema)
    validator: LazyValidator

    def plainly_valid(self, value: Any) -> bool:
        """A schema that only names a type, and a value of that type: no validator needed."""
        plain = self.plain
        return (
            plain is not None and isinstance(value, plain) and (self.boolean or not isinstance(value, bool))
        )


def read_params(
    op: Operation, source: Mapping[str, str], location: str
) -> tuple[dict[str, Any], list[Violation]]:
    """Coerce the strings of a query or path to their schema types and check them."""
    readers = op.readers.get(location)
    if readers is None:
        readers = op.readers[location] = tuple(_reader(p) for p in op.params if p.location == location)
    values: dict[str, Any] = {}
    problems: list[Violation] = []
    for reader in readers:
        name = reader.name
        if name not in source or (location == "query" and source[name] == ""):
            if reader.required:
                problems.append(schema_violation(location, name, "required", None))
            elif reader.default is not NO_DEFAULT:
                values[name] = reader.default
            continue
        value = values[name] = reader.coerce(source[name])
        if reader.plainly_valid(value):
            continue
        for v in violations(reader.validator, value, location):
            problems.append(schema_violation(location, name, v.keyword, v.expected))
    return values, problems


def _reader(param: Param) -> Reader:
    schema = param.schema
    kind = schema.get("type")
    plain = PLAIN_TYPES.get(kind) if isinstance(kind, str) and PLAIN_KEYS.issuperset(schema) else None
    return Reader(
        param.name,
        param.required,
        schema.get("default", NO_DEFAULT),
        COERCE.get(kind, _as_text) if isinstance(kind, str) else _as_text,
        plain,
        kind == "boolean",
        param.validator,
    )


def _as_text(value: str) -> str:
    return value


def _as_number(kind: type[int] | type[float]) -> Callable[[str], Any]:
    def coerce(value: str) -> Any:
        try:
            return kind(value)
        except ValueError:
            return value  # its validator words what is wrong with it

    return coerce


def _as_boolean(value: str) -> Any:
    lowered = value.lower()
    return lowered == "true" if lowered in ("true", "false") else value


COERCE: dict[str, Callable[[str], Any]] = {
    "integer": _as_number(int),
    "number": _as_number(float),
    "boolean": _as_boolean,
}
# a query or path parameter's schema that holds only these keys is checked by its value's type alone
# (most of them; jsonschema costs ~15 µs a call)
PLAIN_KEYS = frozenset({"type", "description", "example", "examples", "default", "title"})
PLAIN_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
}


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
