"""OpenAPI documents, loaded once: operations, their server prefixes and compiled validators."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockserver.core.kit import rif, rut
from mockserver.core.services.masking import SECRET_KEYS

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
SPEC_URI = "urn:mockserver:spec"
DRAFT202012_URI = "https://json-schema.org/draft/2020-12/schema"
ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f]+")  # RFC 3986: scheme ":" rest
RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str) or not RFC3339.fullmatch(value):
        return not isinstance(value, str)
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:  # month 13, hour 25, …
        return False
    return True


# jsonschema checks `uri` and `date-time` only with optional packages installed: the mock has its own
FORMATS = FormatChecker()
FORMATS.checks("rut")(rut.is_valid)
FORMATS.checks("rif")(lambda value: not isinstance(value, str) or rif.problem(value) != "format")
FORMATS.checks("uri")(lambda value: not isinstance(value, str) or ABSOLUTE_URI.fullmatch(value) is not None)
FORMATS.checks("date-time")(_is_date_time)


@dataclass(frozen=True)
class Violation:
    """One way a request broke the spec: where (`body`, `query`, `path`, `header`), which field, why."""

    location: str
    field: str
    message: str
    keyword: str = ""


class LazyValidator:
    """Compiled on first use: start-up parses the specs but compiles only what requests touch."""

    def __init__(self, spec: Spec, schema: Mapping[str, Any]) -> None:
        self._spec = spec
        self._schema = schema

    @cached_property
    def compiled(self) -> Validator:
        return self._spec.compile(self._schema)

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
        return self.compiled.iter_errors(instance)


@dataclass
class Param:
    name: str
    location: str
    required: bool
    schema: dict[str, Any]
    validator: LazyValidator


@dataclass
class ResponseSpec:
    bodies: dict[str, LazyValidator]
    required_headers: tuple[str, ...]


@dataclass
class Operation:
    id: str
    method: str
    path: str
    prefixes: tuple[str, ...]
    secured: bool
    scopes: frozenset[str]  # every scope the operation's security requirements name
    params: list[Param]
    bodies: dict[str, LazyValidator]
    body_required: bool
    responses: dict[str, ResponseSpec]
    extensions: dict[str, Any] = field(default_factory=dict)

    @property
    def routes(self) -> Iterator[str]:
        for prefix in self.prefixes:
            yield prefix.rstrip("/") + self.path


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


def _absolute_refs(node: Any) -> Any:
    """Point local `#/...` refs at the whole document, which the registry holds."""
    if isinstance(node, dict):
        return {
            k: (
                SPEC_URI + v
                if k == "$ref" and isinstance(v, str) and v.startswith("#")
                else _absolute_refs(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_absolute_refs(v) for v in node]
    return node


def _server_prefixes(servers: list[dict[str, Any]]) -> tuple[str, ...]:
    """Each server URL's path, with `{variables}` expanded over their enums (default otherwise)."""
    prefixes: list[str] = []
    for server in servers or [{"url": "/"}]:
        path = urlsplit(server["url"]).path or "/"
        variables = server.get("variables", {})
        names = re.findall(r"{(\w+)}", path)
        choices = [variables[n].get("enum") or [variables[n]["default"]] for n in names]
        for combo in itertools.product(*choices):
            expanded = path
            for name, value in zip(names, combo, strict=True):
                expanded = expanded.replace("{" + name + "}", value)
            if expanded not in prefixes:
                prefixes.append(expanded)
    return tuple(prefixes)


def _read_document(path: Path) -> dict[str, Any]:
    """The YAML, or its JSON twin cached beside it by content hash: JSON parses ~30x faster and spares
    loading PyYAML at start. The cache is best effort (a read-only tree just parses the YAML)."""
    text = path.read_bytes()
    cache = path.parent / "__pycache__" / f"{path.stem}.{hashlib.sha256(text).hexdigest()[:16]}.json"
    try:
        document: dict[str, Any] = json.loads(cache.read_bytes())
        return document
    except (OSError, ValueError):
        pass
    import yaml

    # libyaml's loader parses a spec ~10x faster than the pure-Python one
    document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    try:
        cache.parent.mkdir(exist_ok=True)
        cache.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    except (OSError, TypeError, ValueError):  # read-only, or YAML that JSON cannot hold (dates)
        pass
    return document


class Spec:
    """One provider's OpenAPI 3.1 document with a validator per request part and response."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.document: dict[str, Any] = _read_document(path)
        self.registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, Resource.from_contents(self.document, default_specification=DRAFT202012)
        )
        self.operations: dict[str, Operation] = {}
        for op in self._read_operations():
            if op.id in self.operations:
                raise ValueError(f"{path}: operationId {op.id} is used twice")
            self.operations[op.id] = op

    @cached_property
    def as_json(self) -> bytes:
        return json.dumps(self.document, ensure_ascii=False, indent=2).encode()

    @cached_property
    def as_yaml(self) -> bytes:
        return self.path.read_bytes()

    def resolve(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        while "$ref" in schema and len(schema) == 1:
            pointer = schema["$ref"].removeprefix("#")
            node: Any = self.document
            for part in pointer.strip("/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            schema = node
        return dict(schema)

    def validator(self, schema: Mapping[str, Any]) -> LazyValidator:
        return LazyValidator(self, schema)

    def compile(self, schema: Mapping[str, Any]) -> Validator:
        """Draft from the schema's own `$schema` (Hacienda keeps draft-04), else 2020-12."""
        resolved = self.resolve(schema)
        if "$schema" not in resolved:
            resolved = {"$schema": DRAFT202012_URI, **resolved}
        cls = validator_for(resolved)
        return cls(_absolute_refs(resolved), registry=self.registry, format_checker=FORMATS)

    def _read_operations(self) -> Iterator[Operation]:
        top_servers = self.document.get("servers", [])
        top_security = self.document.get("security", [])
        for path, item in self.document.get("paths", {}).items():
            shared_params = item.get("parameters", [])
            servers = item.get("servers", top_servers)
            for method in METHODS:
                raw = item.get(method)
                if raw is None:
                    continue
                params = [self._param(self.resolve(p)) for p in [*shared_params, *raw.get("parameters", [])]]
                body = self.resolve(raw.get("requestBody", {}))
                bodies = {
                    ct: self.validator(c.get("schema", {})) for ct, c in body.get("content", {}).items()
                }
                yield Operation(
                    id=raw["operationId"],
                    method=method.upper(),
                    path=path,
                    prefixes=_server_prefixes(raw.get("servers", servers)),
                    secured=bool(raw.get("security", top_security)),
                    scopes=frozenset(
                        scope
                        for requirement in raw.get("security", top_security)
                        for scopes in requirement.values()
                        for scope in scopes
                    ),
                    params=params,
                    bodies=bodies,
                    body_required=bool(body.get("required", False)),
                    responses={code: self._response(r) for code, r in raw.get("responses", {}).items()},
                    extensions={k: v for k, v in raw.items() if k.startswith("x-")},
                )

    def _param(self, raw: dict[str, Any]) -> Param:
        schema = raw.get("schema", {})
        return Param(raw["name"], raw["in"], bool(raw.get("required")), schema, self.validator(schema))

    def _response(self, raw: dict[str, Any]) -> ResponseSpec:
        raw = self.resolve(raw)
        bodies = {
            ct: self.validator(c["schema"]) for ct, c in raw.get("content", {}).items() if "schema" in c
        }
        headers = tuple(name for name, h in raw.get("headers", {}).items() if self.resolve(h).get("required"))
        return ResponseSpec(bodies, headers)


@functools.cache
def load_spec(path: Path) -> Spec:
    """Specs never change once loaded: every runtime in the process (each test's app) shares one."""
    return Spec(path)


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
