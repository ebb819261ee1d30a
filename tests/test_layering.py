"""The layering stays as drawn: the import graph of ``mcu`` (top-level and function-level imports, read with
``ast``) has no cycle, and an import inside a function is one the app-factory pattern needs, with its reason."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mcu"
# Functions that may import mcu modules inside their body: the app factory (the composition root), an area's
# init_app (views load when the app is made, never when a domain module of the area is imported) and the
# jobs' lazily created app (a job must not create the app at import time).
FACTORY_FUNCTIONS = {"create_app", "init_app", "app"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports_of(path: Path):
    """(imported mcu module, line, enclosing function or None) for every import statement in the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(), str(path))
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, function) for alias in child.names
                             if alias.name.split(".")[0] == "mcu")
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[:len(base) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target.split(".")[0] != "mcu":
                    continue
                for alias in child.names:
                    sub = f"{target}.{alias.name}"
                    found.append((sub if is_module(sub) else target, child.lineno, function))
            visit(child, inner)

    visit(tree, None)
    return found


def graph() -> dict:
    edges = {}
    for path in PACKAGE.rglob("*.py"):
        source = module_name(path)
        edges.setdefault(source, set())
        for target, _line, _function in imports_of(path):
            if target != source:
                edges[source].add(target)
    return edges


def cycles(edges: dict) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, result, counter = {}, {}, [], set(), [], [0]

    def connect(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return result


def test_the_import_graph_of_mcu_has_no_cycle():
    found = cycles(graph())
    assert found == [], "import cycles between modules: " + "; ".join(" ↔ ".join(c) for c in found)


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function():
    edges = {"mcu.a": {"mcu.b"}, "mcu.b": {"mcu.c"}, "mcu.c": {"mcu.a"}, "mcu.d": {"mcu.a"}}
    assert cycles(edges) == [["mcu.a", "mcu.b", "mcu.c"]]
    assert cycles({"mcu.a": {"mcu.b"}, "mcu.b": set()}) == []


def test_the_graph_reads_imports_inside_functions():
    area = PACKAGE / "auth" / "__init__.py"
    targets = {(target, function) for target, _line, function in imports_of(area)}
    assert ("mcu.auth.views", "init_app") in targets  # `from . import views` inside init_app()


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: module_name(p))
def test_an_import_inside_a_function_is_the_app_factorys_with_its_reason(path):
    lines = path.read_text().splitlines()
    for target, line, function in imports_of(path):
        if function is None:
            continue
        assert function in FACTORY_FUNCTIONS, f"{module_name(path)}:{line} imports {target} inside {function}()"
        said = lines[line - 1] + lines[line - 2]
        assert "#" in said, f"{module_name(path)}:{line}: say in a comment why this import is inside {function}()"
