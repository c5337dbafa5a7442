"""The house rules of the package, checked on the source (issue: one model interface, a house without cycles).

* no import cycles between modules of ``solvable`` (lazy imports inside functions count);
* no module reads another module's private names (``from .x import _y`` or ``x._y``);
* layers, lowest first: errors/_validate/seeds -> kernels -> generic machinery (langevin, training,
  jarzynski, comparison) -> models and the generic model interface -> sweep -> cli/report/demos/bench;
  an import never points to a higher layer, and nothing in ``solvable`` imports ``paper_checks``
  but the top layer;
* no module over about 700 lines.
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PKG = ROOT / "solvable"
MAX_LINES = 720

GENERIC = {"langevin", "training", "jarzynski", "comparison"}
BOTTOM = {"errors", "_validate", "seeds", "provenance", "plotting", "_pool"}
TOP = {"cli", "report", "demos", "__main__", "bench"}


def _modules():
    out = {}
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _layer(name):
    head = name.split(".")[0] if name else ""
    if head in BOTTOM or name == "":
        return 0
    if head == "kernels":
        return 1
    if head in GENERIC:
        return 2
    if head == "sweep":
        return 4
    if head in TOP:
        return 5
    return 3  # models, model.py, diagnose, symbolic, testing, ...


def _resolve(mod, node):
    """Absolute dotted names (within solvable, '' = the package) imported by an ImportFrom/Import node,
    with the imported names."""
    pkg = mod.split(".")[:-1] if not (PKG / mod.replace(".", "/") / "__init__.py").exists() else mod.split(".")
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
            target = ".".join(base + ([node.module] if node.module else []))
        elif node.module and node.module.startswith("solvable"):
            target = node.module[len("solvable."):] if node.module != "solvable" else ""
        else:
            return [(None, node.module, [a.name for a in node.names])]
        return [(target, None, [a.name for a in node.names])]
    return [(a.name[len("solvable."):] if a.name.startswith("solvable.") else None, a.name, []) for a in node.names]


def _graph():
    mods = _modules()
    edges, private, upward, checks_imports = {}, [], [], []
    for mod, path in mods.items():
        tree = ast.parse(path.read_text())
        deps = set()
        aliases = {}
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target, external, names in _resolve(mod, node):
                if external and external.split(".")[0] == "paper_checks" and _layer(mod) < 5:
                    checks_imports.append(f"{mod} imports {external}")
                if target is None:
                    continue
                for n in names or [None]:
                    sub = f"{target}.{n}" if target and n else (n if n and target == "" else target)
                    if sub in mods:  # `from . import gaussian` or `from .kernels import spins`
                        deps.add(sub)
                        if isinstance(node, ast.ImportFrom):
                            aliases[next(a.asname or a.name for a in node.names if a.name == n)] = sub
                    elif target in mods:
                        deps.add(target)
                        if n and n.startswith("_") and not n.startswith("__") and target != mod:
                            private.append(f"{mod}: from {target} import {n}")
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                private.append(f"{mod}: {node.value.id}.{node.attr}")
        deps.discard(mod)
        deps.discard("")
        edges[mod] = deps
        for dep in deps:
            if _layer(dep) > _layer(mod):
                upward.append(f"{mod} (layer {_layer(mod)}) imports {dep} (layer {_layer(dep)})")
    return mods, edges, private, upward, checks_imports


def _cycles(edges):
    seen, stack, cycles = set(), [], []
    on_stack = set()

    def visit(v):
        seen.add(v)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w in on_stack:
                cycles.append(stack[stack.index(w):] + [w])
            elif w not in seen:
                visit(w)
        stack.pop()
        on_stack.discard(v)

    for v in sorted(edges):
        if v not in seen:
            visit(v)
    return cycles


def test_no_import_cycles():
    _, edges, *_ = _graph()
    cycles = _cycles(edges)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_private_names_across_modules():
    _, _, private, _, _ = _graph()
    assert not private, "private names used across modules:\n" + "\n".join(private)


def test_no_upward_imports():
    _, _, _, upward, checks = _graph()
    assert not upward and not checks, "\n".join(upward + checks)


def test_modules_are_small():
    big = {name: len(p.read_text().splitlines()) for name, p in _modules().items()}
    big = {k: v for k, v in big.items() if v > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines: {big}"


def test_the_checker_catches_a_cycle_and_a_private_import():
    """Must-fail control: the cycle finder and the layer rule flag a planted cycle / upward edge."""
    assert _cycles({"a": {"b"}, "b": {"a"}})
    assert not _cycles({"a": {"b"}, "b": set()})
    assert _layer("jarzynski") < _layer("gaussian") < _layer("sweep") < _layer("cli")


@pytest.mark.parametrize("name", ["solvable", "solvable.model", "solvable.jarzynski", "solvable.comparison"])
def test_generic_layer_imports_alone(name):
    import importlib

    assert importlib.import_module(name)
