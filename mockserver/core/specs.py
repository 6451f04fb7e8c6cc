"""OpenAPI documents, loaded once: operations, their server prefixes and compiled validators."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mockserver.core.formats import conforms, formats
from mockserver.core.quickcheck import Check, compile_check

if TYPE_CHECKING:  # jsonschema is imported on the first validation it is asked for: ~40 ms and 3 MB
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator
    from referencing import Registry

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
SPEC_URI = "urn:mockserver:spec"
DRAFT202012_URI = "https://json-schema.org/draft/2020-12/schema"


class LazyValidator:
    """Compiled on first use: start-up parses the specs but compiles only what requests touch."""

    def __init__(self, spec: Spec, schema: Mapping[str, Any]) -> None:
        self._spec = spec
        self._schema = schema

    @cached_property
    def compiled(self) -> Validator:
        return self._spec.compile(self._schema)

    @cached_property
    def quick(self) -> Check | None:
        return self._spec.quick(self._schema)

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
        """jsonschema's errors; none, without asking it, when the quick predicate vouches for the value."""
        quick = self.quick
        if quick is not None and quick(instance):
            return iter(())
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
    # the scopes of each security requirement: a token needs all of one of them (OpenAPI's "or")
    scope_sets: tuple[frozenset[str], ...] = ()
    # how each location's parameters are read, compiled on first use (`validation.read_params`)
    readers: dict[str, tuple[Any, ...]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def routes(self) -> Iterator[str]:
        for prefix in self.prefixes:
            yield prefix.rstrip("/") + self.path


@dataclass(frozen=True)
class WebhookSpec:
    """One event of the spec's `webhooks`: what a receiver is sent, and the headers it can rely on."""

    type: str
    summary: str
    headers: tuple[str, ...]
    body: LazyValidator
    schema: Mapping[str, Any]


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
        self.operations: dict[str, Operation] = {}
        for op in self._read_operations():
            if op.id in self.operations:
                raise ValueError(f"{path}: operationId {op.id} is used twice")
            self.operations[op.id] = op

    @cached_property
    def registry(self) -> Registry[Any]:
        """The document as the one resource every `$ref` points into (built on the first validation)."""
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        resource: Resource[Any] = Resource.from_contents(self.document, default_specification=DRAFT202012)
        registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        return registry

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

    @cached_property
    def webhooks(self) -> dict[str, WebhookSpec]:
        """The events the provider documents (OpenAPI's `webhooks`), by type."""
        found: dict[str, WebhookSpec] = {}
        for name, item in self.document.get("webhooks", {}).items():
            post = item["post"]
            schema = post["requestBody"]["content"]["application/json"]["schema"]
            headers = tuple(p["name"] for p in post.get("parameters", ()) if p.get("in") == "header")
            found[name] = WebhookSpec(
                name, str(post.get("summary", "")), headers, self.validator(schema), schema
            )
        return found

    def validator(self, schema: Mapping[str, Any]) -> LazyValidator:
        return LazyValidator(self, schema)

    @cached_property
    def _single_draft(self) -> bool:
        """Whether every schema in the document is 2020-12 (Hacienda keeps the authority's draft-04 ones)."""
        drafts = {m for m in re.findall(r'"\$schema": *"([^"]*)"', self.as_json.decode())}
        return drafts <= {DRAFT202012_URI}

    def quick(self, schema: Mapping[str, Any]) -> Check | None:
        """A predicate that vouches for valid values fast (see `quickcheck`), where it can be exact."""
        if not self._single_draft:
            return None
        return compile_check(self.resolve(schema), lambda ref: self.resolve({"$ref": ref}), conforms)

    def compile(self, schema: Mapping[str, Any]) -> Validator:
        """Draft from the schema's own `$schema` (Hacienda keeps draft-04), else 2020-12."""
        resolved = self.resolve(schema)
        if "$schema" not in resolved:
            resolved = {"$schema": DRAFT202012_URI, **resolved}
        from jsonschema.validators import validator_for

        cls = validator_for(resolved)
        return cls(_absolute_refs(resolved), registry=self.registry, format_checker=formats())

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
                    scope_sets=tuple(
                        frozenset(scope for scopes in requirement.values() for scope in scopes)
                        for requirement in raw.get("security", top_security)
                    ),
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
