"""The layering rule, checked on the source (AST): the API (api/) and the web (web/) translate input and
output and call the procedures' action layer (procedures.actions); they never call the engine's write
functions (``engine.actions.do_*``) nor its permission helpers (``check_may_*``, ``may_*``, private
``_*`` names, engine.access) themselves, and never decide an object permission (``has_perm``)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("api", "web")
FORBIDDEN_MODULES = ("engine.actions", "engine.access")
FORBIDDEN_CALLS = ("has_perm",)


def _forbidden_module(name):
    return any(name == module or name.startswith(module + ".") for module in FORBIDDEN_MODULES)


def violations(source, filename="<source>"):
    """The lines of ``source`` that break the rule, as "file:line: what"."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [
                f"{filename}:{node.lineno}: imports {alias.name}"
                for alias in node.names
                if _forbidden_module(alias.name)
            ]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if _forbidden_module(node.module) or _forbidden_module(full):
                    found.append(f"{filename}:{node.lineno}: imports {full}")
                elif alias.name.startswith("_") and node.module.split(".")[0] in ("engine", "procedures"):
                    found.append(f"{filename}:{node.lineno}: imports the private {full}")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_CALLS:
            found.append(f"{filename}:{node.lineno}: decides a permission itself ({node.attr})")
    return found


# api/actions/ is the action layer of the API's own nouns (tokens, webhook subscriptions): the place where
# their permissions are decided, like procedures/actions/.
ACTION_PACKAGES = (ROOT / "api" / "actions",)


def layer_files():
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            if not any(package in path.parents for package in ACTION_PACKAGES):
                yield path


@pytest.mark.parametrize(
    "source",
    [
        "from engine.actions import do_comment",
        "from engine import actions as engine_actions",
        "import engine.actions",
        "from engine.actions.shares import check_may_see_shares",
        "from engine.access import principal_keys",
        "from procedures.actions import _lock",
        "def f(user, procedure):\n    return user.has_perm('engine.change_procedure', procedure)",
        "def f():\n    from engine.actions import do_attach\n",
    ],
)
def test_the_check_finds_each_kind_of_violation(source):
    assert len(violations(source)) == 1


def test_the_check_accepts_the_procedures_action_layer():
    assert (
        violations("from procedures import actions\nactions.do_comment_request(r, acting_user=u, body='x')")
        == []
    )
    assert violations("from procedures.actions import do_share_request, may_share_request") == []


def test_api_and_web_call_the_action_layer_and_decide_no_permission_themselves():
    files = list(layer_files())
    assert len(files) > 10  # the layers were found
    found = [line for path in files for line in violations(path.read_text(), str(path.relative_to(ROOT)))]
    assert found == []
