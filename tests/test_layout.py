"""The package's shape: no import cycles between its modules, and no module over 400 lines.

The import graph is read from the source (the AST of every module under interviewer/), not from what
happens to be imported at run time, so a cycle is found even when nothing has tripped over it yet.

What counts as an import of module B by module A:
- `import interviewer.b`, `from interviewer.b import x`, `from .b import x`, `from ..b import x`;
- `from . import b` / `from .pkg import b` when `b` is a module (else the package itself);
- wherever the statement is: at the top, inside a function (a "lazy" import) or under `if TYPE_CHECKING:`.
  A lazy import only hides a cycle until the function runs, so it counts like any other.
Importing `interviewer.pkg.b` also runs `interviewer/pkg/__init__.py` first; that implied edge is not
counted (a package's own modules import each other through it all the time, which is not a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import REPO

PACKAGE = REPO / "interviewer"
MAX_LINES = 400
# Modules allowed over MAX_LINES. detectors.py is the grader issue's to split; the others are being split
# in this round's other branches or have no owner yet, and leave this list when they are split.
OVERSIZE_ALLOWED = {
    "interviewer/grading/detectors.py",  # the grader issue owns it
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def import_graph(root: Path, package: str = "interviewer") -> dict[str, set[str]]:
    """module -> the package modules it imports (see the module docstring for what counts)."""
    files = {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        here = name.split(".") if is_package else name.split(".")[:-1]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                deps.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here[: len(here) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    submodule = f"{target}.{alias.name}"
                    deps.add(submodule if submodule in files else target)
        graph[name] = {d for d in deps if d in files and d != name}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle once, as the path that closes it (a -> b -> a), from a depth-first search."""
    cycles: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                key = frozenset(cycle)
                if key not in seen_sets:
                    seen_sets.add(key)
                    cycles.append(cycle)
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_no_import_cycles_in_the_package():
    cycles = find_cycles(import_graph(REPO))
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_cycle_check_sees_lazy_and_relative_imports(tmp_path):
    """The check itself: a cycle closed by an import inside a function, through `from . import x`, is found;
    a package importing its own modules is not a cycle."""
    pkg = tmp_path / "interviewer"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from .engine import plan\nfrom .loop import run\n")
    (pkg / "sub" / "engine.py").write_text("def plan():\n    from .loop import Planned\n    return Planned\n")
    (pkg / "sub" / "loop.py").write_text("from . import engine\nclass Planned: ...\ndef run(): ...\n")
    (pkg / "models.py").write_text("from .sub import engine\n")
    graph = import_graph(tmp_path)
    assert graph["interviewer.sub.loop"] == {"interviewer.sub.engine"}
    assert graph["interviewer.models"] == {"interviewer.sub.engine"}
    assert find_cycles(graph) == [["interviewer.sub.engine", "interviewer.sub.loop", "interviewer.sub.engine"]]
    (pkg / "sub" / "engine.py").write_text("def plan():\n    return None\n")
    assert find_cycles(import_graph(tmp_path)) == []


def module_lengths() -> dict[str, int]:
    return {p.relative_to(REPO).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
            for p in sorted(PACKAGE.rglob("*.py"))}


def test_no_module_over_400_lines_outside_the_allow_list():
    lengths = module_lengths()
    too_long = {path: n for path, n in lengths.items() if n > MAX_LINES and path not in OVERSIZE_ALLOWED}
    assert not too_long, f"modules over {MAX_LINES} lines (split them): {too_long}"


@pytest.mark.parametrize("path", sorted(OVERSIZE_ALLOWED))
def test_the_allow_list_names_only_real_oversize_modules(path):
    """An allowed module that was split (or removed) must leave the list, so the list cannot go stale."""
    lengths = module_lengths()
    assert path in lengths, f"{path} is on the allow-list but does not exist: remove it from OVERSIZE_ALLOWED"
    assert lengths[path] > MAX_LINES, f"{path} has {lengths[path]} lines now: remove it from OVERSIZE_ALLOWED"
