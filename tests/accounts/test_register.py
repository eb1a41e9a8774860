"""The register of personal data (docs/personal-data.md) is the one source of the personal data page."""

import html

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts import register


def test_every_cell_of_the_register_has_its_french_translation():
    rows = register.source_rows()
    assert len(rows) >= 8
    with translation.override("fr"):
        untranslated = [cell for row in rows for cell in row if gettext(cell) == cell]
    assert untranslated == []


def test_the_personal_data_page_shows_the_register_in_both_languages(client, db):
    french = html.unescape(client.get(reverse("personal-data")).content.decode())
    english = html.unescape(client.get(reverse("personal-data"), HTTP_ACCEPT_LANGUAGE="en").content.decode())
    with translation.override("fr"):
        for row in register.source_rows():
            assert all(gettext(cell) in french for cell in row)
    for row in register.source_rows():
        assert all(cell in english for cell in row)
    assert "Registre des données personnelles" in french


def test_a_row_with_a_missing_cell_is_refused(tmp_path):
    bad = tmp_path / "register.md"
    bad.write_text(
        "<!-- register -->\n| a | b | c | d |\n|---|---|---|---|\n| x | y | z |\n<!-- /register -->\n"
    )
    import pytest

    with pytest.raises(ValueError, match="needs 4 cells"):
        register._rows(str(bad))
