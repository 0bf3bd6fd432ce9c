"""The package's folders are layers: imports run one way, interfaces -> pipeline -> answering ->
index -> the ground floor (types, config, logs, privacy), and no module imports itself back."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from conftest import PROJECT

PACKAGE = PROJECT / "assistant"
# lower number = lower floor; a module may import its own layer or the ones below it
LAYERS = {"ground": 0, "index": 1, "answering": 2, "pipeline": 3, "interfaces": 4}
GROUND_FLOOR = {"types", "config", "logs", "privacy"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    parts = module.split(".")
    if len(parts) > 2 and parts[1] in LAYERS:
        return LAYERS[parts[1]]
    name = parts[1] if len(parts) > 1 else ""
    if name in GROUND_FLOOR:
        return LAYERS["ground"]
    if name == "pipeline":
        return LAYERS["pipeline"]
    return LAYERS["interfaces"]  # the package's entry points (__main__)


def imported_modules(path: Path) -> set[str]:
    """The package's modules a file imports, resolved to their dotted names."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{alias.name}" for alias in node.names]
            found.update(name if (PROJECT / (name.replace(".", "/") + ".py")).exists() else target
                         for name in names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "assistant" and name != "assistant"}


def import_graph() -> dict[str, set[str]]:
    return {module_name(path): imported_modules(path) for path in PACKAGE.rglob("*.py")}


def test_imports_never_run_back_up_a_floor():
    upward = [f"{module} imports {target}" for module, targets in import_graph().items() for target in targets
              if layer_of(target) > layer_of(module)]
    assert not upward, upward


def test_no_module_imports_itself_back_through_others():
    graph = import_graph()
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as cycle:
        raise AssertionError(f"import circle: {' -> '.join(cycle.args[1])}") from None


def test_relative_imports_are_resolved_to_the_modules_they_name():
    floors = ["assistant.interfaces.api", "assistant.pipeline", "assistant.answering.compose", "assistant.index.store",
              "assistant.types"]
    assert [layer_of(module) for module in floors] == [4, 3, 2, 1, 0]
    store = PACKAGE / "index" / "store.py"
    assert "assistant.types" in imported_modules(store)
    assert "assistant.index.generations" in imported_modules(store)
    assert "assistant.types" in imported_modules(PACKAGE / "index" / "chunking.py"), "from .. import types"
