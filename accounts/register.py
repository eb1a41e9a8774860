"""The register of personal data (docs/personal-data.md), read for the « Données personnelles » page.

The table between ``<!-- register -->`` and ``<!-- /register -->`` is the one source; each cell is an
English text translated through the catalogue when shown."""

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext

COLUMNS = ("data", "whose", "why", "how_long")


def register_path():
    return Path(settings.BASE_DIR) / "docs" / "personal-data.md"


@lru_cache(maxsize=4)
def _rows(path):
    text = Path(path).read_text(encoding="utf-8")
    table = text.split("<!-- register -->", 1)[1].split("<!-- /register -->", 1)[0]
    rows = []
    for line in table.strip().splitlines()[2:]:  # after the header and its rule
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != len(COLUMNS):
            raise ValueError(f"{path}: a register row needs {len(COLUMNS)} cells: {line!r}")
        rows.append(tuple(cells))
    return tuple(rows)


def source_rows():
    """The rows as written (English)."""
    return _rows(str(register_path()))


def rows():
    """The rows in the active language."""
    return [dict(zip(COLUMNS, (gettext(cell) for cell in row), strict=True)) for row in source_rows()]
