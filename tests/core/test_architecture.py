"""The layout's rules, read from the source (docs/architecture.md): no import circles, SQL
only in storage, button data only through the codec, the layers' directions, file sizes."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "knowledge", "handlers")


def _parse(path: Path) -> ast.Module:
    """The module's syntax tree. CPython 3.11 before 3.11.8 keeps the AST recursion depth in
    one global (gh-106905): a tree built in another thread at the same moment (Jinja2
    compiling a template) can make ast.parse fail with a SystemError; a second try works."""
    source = path.read_text(encoding="utf-8")
    for _ in range(4):
        try:
            return ast.parse(source)
        except SystemError:
            continue
    return ast.parse(source)


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every project module this one imports, anywhere in it (also inside functions and
    under TYPE_CHECKING: a circle is a circle)."""
    tree = _parse(path)
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # the project imports absolutely
                continue
            base = node.module or ""
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


GRAPH = {name: set(_imports(name, path)) for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
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
                found.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_no_import_circles() -> None:
    assert _cycles() == []


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [
        ("knowledge", ("bot", "handlers", "telegram", "sqlalchemy")),
        ("bot.services", ("handlers", "telegram", "bot.app")),
        ("bot.storage", ("bot.services", "handlers", "telegram")),
    ],
)
def test_layers_point_one_way(importer: str, forbidden: tuple[str, ...]) -> None:
    for name, path in MODULES.items():
        if name != importer and not name.startswith(importer + "."):
            continue
        tree = _parse(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
            else:
                continue
            for mod in mods:
                assert not any(mod == f or mod.startswith(f + ".") for f in forbidden), (
                    f"{name} imports {mod}"
                )


@pytest.mark.parametrize(
    ("concrete", "allowed"),
    [
        # the composition root picks the persistence and the transport to Telegram
        ("bot.persistence", {"bot.app"}),
        ("bot.transport", {"bot.app"}),
        # the fake Bot API: the offline bot of the console and the tests only
        ("bot.fakeapi", {"bot.offline", "bot.simulator"}),
    ],
)
def test_only_the_composition_root_knows_the_concrete_classes(
    concrete: str, allowed: set[str]
) -> None:
    importers = {name for name, targets in GRAPH.items() if concrete in targets}
    assert importers <= allowed


def test_handlers_leave_transactions_to_services() -> None:
    """A handler translates between Telegram and a service; the service decides what is
    written and commits."""
    found = [
        f"{name}:{line}"
        for name, path in MODULES.items()
        if name.startswith("handlers")
        for call, line in _calls(path)
        if call.endswith(".commit")
    ]
    assert found == []


def _calls(path: Path) -> Iterator[tuple[str, int]]:
    for node in ast.walk(_parse(path)):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                yield func.id, node.lineno
            elif isinstance(func, ast.Attribute):
                owner = func.value.id if isinstance(func.value, ast.Name) else ""
                yield f"{owner}.{func.attr}", node.lineno


def test_sql_only_in_storage() -> None:
    """No query is built or run outside bot/storage (services, handlers, the persistence, the
    console, the CLI): repositories do that."""
    sql = {"select", "update", "insert", "delete", "session.execute", "session.scalar"}
    found = [
        f"{name}:{line} {call}"
        for name, path in MODULES.items()
        if not name.startswith("bot.storage")
        for call, line in _calls(path)
        if call in sql
    ]
    assert found == []


def test_button_data_is_split_only_by_the_codec() -> None:
    found = []
    for name, path in MODULES.items():
        if not (name.startswith(("bot.services", "handlers")) or name == "bot.callbacks"):
            continue
        if name == "bot.callbacks":
            continue
        for node in ast.walk(_parse(path)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("split", "rsplit", "partition")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value == ":"
            ):
                found.append(f"{name}:{node.lineno}")
    assert found == []


def test_no_module_under_bot_is_over_600_lines() -> None:
    long = {
        name: n
        for name, path in MODULES.items()
        if name.startswith("bot")
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > 600
    }
    assert long == {}


def _text_keys_used() -> Iterator[tuple[str, str]]:
    """(module:line, key) of every texts.yaml key the code names literally: `….text("key")`,
    `InputError.say("key")` and the modules' `_text("key")` helpers."""
    for name, path in MODULES.items():
        for node in ast.walk(_parse(path)):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func, first = node.func, node.args[0]
            method = isinstance(func, ast.Attribute) and func.attr in ("text", "say")
            helper = isinstance(func, ast.Name) and func.id == "_text"
            key = first.value if isinstance(first, ast.Constant) else None
            if (method or helper) and isinstance(key, str):
                yield f"{name}:{node.lineno}", key


def test_every_text_the_code_names_is_in_texts_yaml() -> None:
    """A missing key is a KeyError in front of a user; keys built from a value are checked for
    every value the value can have."""
    from bot.domain import AnnouncementStatus, Role
    from bot.render import Renderer
    from bot.services.shared.dates import DateProblem

    texts = Renderer.shared()._texts
    used = list(_text_keys_used())
    assert len(used) > 100  # the scan finds the calls
    missing = [f"{where} {key}" for where, key in used if key not in texts]
    built = [f"role_{r}" for r in Role]
    built += [f"ann_status_{s.name.lower()}" for s in AnnouncementStatus]
    built += [f"{prefix}_{kind}" for prefix in ("date", "when") for kind in DateProblem]
    missing += [key for key in built if key not in texts and key != "date_no_such_time"]
    assert missing == []


def test_test_modules_share_helpers_only_through_support() -> None:
    """A test module imports tests.support (and conftest gives fixtures), never another test
    module: moving or deleting one test never breaks another."""
    found = []
    for path in (ROOT / "tests").rglob("*.py"):
        for node in ast.walk(_parse(path)):
            if isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
            elif isinstance(node, ast.Import):
                mods = [alias.name for alias in node.names]
            else:
                continue
            for mod in mods:
                if mod.startswith("tests") and not mod.startswith("tests.support"):
                    found.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert found == []
