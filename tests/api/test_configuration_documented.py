"""Every API, webhook, Open311, throttle and idempotency setting read from the environment is documented."""

import re
from pathlib import Path

BASE = Path(__file__).resolve().parents[2]
PREFIXES = ("API_", "WEBHOOK_", "OPEN311_", "THROTTLE", "IDEMPOTENCY", "LOGIN_")


def test_the_readme_configuration_table_lists_every_api_setting_read_from_the_environment():
    settings_source = (BASE / "gup" / "settings.py").read_text()
    names = set(re.findall(r'env_(?:str|int|bool|list)\("([A-Z0-9_]+)"', settings_source))
    api_names = {name for name in names if name.startswith(PREFIXES)}
    assert {
        "API_WRITE_THROTTLE_RATE",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS",
        "OPEN311_GET_REQUIRES_KEY",
        "LOGIN_MAX_FAILURES",
        "LOGIN_MAX_FAILURES_PER_ADDRESS",
        "LOGIN_FAILURE_WINDOW_SECONDS",
    } <= api_names
    readme = (BASE / "README.md").read_text()
    table = readme[readme.index("## Configuration") :]
    table = table[: table.index("\n\n", table.index("| variable |"))]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    documented = {name for row in rows for name in re.findall(r"`([A-Z0-9_]+)`", row.split(" | ")[0])}
    assert sorted(api_names - documented) == []
