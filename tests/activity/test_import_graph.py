"""The activity app records events and knows no consumer of them: workflows, webhooks and the
change feed read from the outbox; nothing in `dossier.activity` imports them."""

import ast
from pathlib import Path

ACTIVITY = Path(__file__).resolve().parents[2] / "dossier" / "activity"
CONSUMERS = ("dossier.workflows", "dossier.webhooks", "dossier.forms", "dossier.imports", "dossier.jobs")


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_no_module_of_activity_imports_a_consumer():
    offending = {
        str(path.relative_to(ACTIVITY)): sorted(m for m in imported_modules(path) if m.startswith(CONSUMERS))
        for path in ACTIVITY.rglob("*.py") if "migrations" not in path.parts
    }
    assert {name: modules for name, modules in offending.items() if modules} == {}
