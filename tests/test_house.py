"""The package's shape: stages import only earlier stages; modules and functions stay small."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "forecast"
# earlier stages first; a module may import its own stage or an earlier one
STAGES = ("errors", "dims", "log", "data", "votes", "seats", "government", "run", "evaluate")
TOP = ("report", "testing", "cli", "__main__")  # may import any stage
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def stage_of(module: str) -> str:
    """``forecast.votes.model`` -> ``votes``; ``forecast`` -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def rank(stage: str) -> int:
    order = (*STAGES, *TOP)
    return order.index(stage) if stage in order else len(order)


def imported(tree: ast.AST) -> set[str]:
    """Names of the ``forecast`` modules a module imports (anywhere, lazy imports included)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n == "forecast" or n.startswith("forecast.")}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def later_imports(name: str, source: str) -> list[str]:
    """The ``forecast`` modules that ``source`` (module ``name``) imports from a later stage."""
    own = stage_of(name)
    found = imported(ast.parse(source))
    return sorted(m for m in found if stage_of(m) and rank(stage_of(m)) > rank(own))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_from_a_later_stage(path):
    name = module_name(path)
    if name == "forecast":
        return  # the public API names every stage (lazily)
    later = later_imports(name, path.read_text())
    assert not later, f"{name} imports later stages: {later}"


def test_stage_folders_exist():
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert {"data", "votes", "seats", "government", "run", "evaluate", "report"} <= folders


def test_a_later_stage_import_is_caught():
    source = "def f():\n    from forecast.report.render import render_report\n"
    assert later_imports("forecast.evaluate.backtest", source) == ["forecast.report.render"]
    assert later_imports("forecast.report.render", "import forecast.evaluate.backtest\n") == []


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int]]:
    """Functions (methods and nested ones too) longer than ``limit`` lines, docstring included."""
    return [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > limit
    ]


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_and_functions_stay_small(path):
    source = path.read_text()
    lines = len(source.splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.name} has {lines} lines: split it by meaning"
    assert not long_functions(source), f"functions over {MAX_FUNCTION_LINES} lines"


def test_a_long_function_is_caught():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert long_functions(f"def f():\n{body}\n") == [("f", MAX_FUNCTION_LINES + 1)]
    assert long_functions("def g():\n    return 1\n") == []
