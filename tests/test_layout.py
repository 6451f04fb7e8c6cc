"""The package's shape: no import cycles (imports inside functions included), no module past 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mockserver"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_only(tree: ast.AST) -> set[int]:
    """Nodes under `if TYPE_CHECKING:`: annotations only, never run, so they cannot order imports."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            hidden.update(id(n) for n in ast.walk(node))
    return hidden


def import_graph() -> dict[str, set[str]]:
    """Module → the project modules it imports when it runs, at the top or inside a function."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in paths}
    for name, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        hidden = _type_only(tree)
        for node in ast.walk(tree):
            if id(node) in hidden:
                continue
            if isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names if a.name in paths}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    source = node.module or ""
                for alias in node.names:
                    target = f"{source}.{alias.name}"
                    if target in paths:  # `from package import module`
                        graph[name].add(target)
                    elif source in paths:
                        graph[name].add(source)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), and self-imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_sees_a_cycle_through_a_function_level_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    # and the real graph does hold the imports made inside functions (cli imports the app on start)
    assert "mockserver.app" in import_graph()["mockserver.cli"]


def test_no_module_is_past_400_lines() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}


# who may import whom (ARCHITECTURE.md): a module imports its own layer or the ones below it
LAYERS = (
    (
        "paths",
        (
            "mockserver",
            "mockserver.paths",
            "mockserver.settings",
            "mockserver.client",
            "mockserver.sandbox",
            "mockserver.logs",
        ),
    ),
    ("kit", ("mockserver.core.kit",)),
    ("services", ("mockserver.core.services",)),
    ("platform", ("mockserver.core",)),
    ("pipeline", ("mockserver.core.pipeline",)),
    ("routing", ("mockserver.core.routing", "mockserver.core.dispatch")),
    ("providers", ("mockserver.providers",)),
    ("admin", ("mockserver.admin",)),
    (
        "entry",
        (
            "mockserver.app",
            "mockserver.cli",
            "mockserver.options",
            "mockserver.arguments",
            "mockserver.inprocess",
            "mockserver.pytest_plugin",
            "mockserver.forward",
            "mockserver.agent",
            "mockserver.cluster",
            "mockserver.__main__",
        ),
    ),
)


def layer_of(module: str) -> int:
    """The layer of the longest prefix naming the module (`mockserver.core.kit.rut` is a kit, not
    platform; the package root `mockserver` itself only holds the version)."""
    best = max(
        (len(p), rank)
        for rank, (_, prefixes) in enumerate(LAYERS)
        for p in prefixes
        if module == p or (p != "mockserver" and module.startswith(p + "."))
    )
    return best[1]


def test_every_import_goes_to_its_own_layer_or_one_below() -> None:
    upward = sorted(
        f"{module} → {target}"
        for module, targets in import_graph().items()
        for target in targets
        if layer_of(target) > layer_of(module)
    )
    assert upward == []


def test_a_provider_never_imports_another_provider() -> None:
    crossing = sorted(
        f"{module} → {target}"
        for module, targets in import_graph().items()
        if module.startswith("mockserver.providers.")
        for target in targets
        if target.startswith("mockserver.providers.") and target.split(".")[2] != module.split(".")[2]
    )
    assert crossing == []
