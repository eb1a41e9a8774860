"""The French catalogue: complete, compiled (django.mo is committed: a fresh machine has no gettext tools),
placeholders kept; French is the default and English is served on request."""

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings
from rest_framework.test import APIClient

from api.models import ApiToken

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdrifgexXo%]")
BRACED = re.compile(r"{\w+}")


def read_po(path):
    """Entries of a .po file: {context, msgid, plural, msgstr: {index: text}, fuzzy}; no header/obsolete."""
    entries, entry, field = [], None, None

    def close():
        if entry is not None and entry.get("msgid"):
            entries.append(entry)

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            close()
            entry, field = None, None
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = {"context": None, "msgid": None, "plural": None, "msgstr": {}, "fuzzy": False}
        if line.startswith("#,"):
            entry["fuzzy"] = "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            field, entry["context"] = "context", ast.literal_eval(line[8:])
        elif line.startswith("msgid_plural "):
            field, entry["plural"] = "plural", ast.literal_eval(line[13:])
        elif line.startswith("msgid "):
            field, entry["msgid"] = "msgid", ast.literal_eval(line[6:])
        elif line.startswith("msgstr["):
            index, text = line[7:].split("] ", 1)
            field = ("msgstr", int(index))
            entry["msgstr"][int(index)] = ast.literal_eval(text)
        elif line.startswith("msgstr "):
            field = ("msgstr", 0)
            entry["msgstr"][0] = ast.literal_eval(line[7:])
        elif line.startswith('"'):
            text = ast.literal_eval(line)
            if isinstance(field, tuple):
                entry["msgstr"][field[1]] += text
            else:
                entry[field] += text
    close()
    return entries


def test_every_french_entry_is_translated_and_none_is_fuzzy():
    entries = read_po(LC_MESSAGES / "django.po")
    assert len(entries) > 900
    assert [e["msgid"] for e in entries if e["fuzzy"]] == []
    assert [e["msgid"] for e in entries if not all(e["msgstr"].values()) or not e["msgstr"]] == []
    assert [e["msgid"] for e in entries if e["plural"] and sorted(e["msgstr"]) != [0, 1]] == []


def test_every_translation_keeps_the_placeholders_of_its_source_text():
    wrong = []
    for entry in read_po(LC_MESSAGES / "django.po"):
        for index, text in entry["msgstr"].items():
            source = entry["plural"] if index and entry["plural"] else entry["msgid"]
            for pattern in (PLACEHOLDER, BRACED):
                if sorted(pattern.findall(source)) != sorted(pattern.findall(text)):
                    wrong.append((entry["msgid"], text))
    assert wrong == []


def test_the_committed_mo_is_compiled_from_the_current_po():
    with (LC_MESSAGES / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in read_po(LC_MESSAGES / "django.po"):
        if entry["context"]:
            pairs = [(compiled.pgettext(entry["context"], entry["msgid"]), entry["msgstr"][0])]
        elif entry["plural"]:
            pairs = [
                (compiled.ngettext(entry["msgid"], entry["plural"], n), entry["msgstr"][i])
                for i, n in ((0, 1), (1, 2))
            ]
        else:
            pairs = [(compiled.gettext(entry["msgid"]), entry["msgstr"][0])]
        if any(got != expected for got, expected in pairs):
            stale.append(entry["msgid"])
    assert stale == []


def test_an_api_error_is_in_french_by_default_and_in_english_on_request(db):
    assert not ApiToken.objects.exists()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    french = client.get("/api/v1/me/")
    english = client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert (french.status_code, french.json()["detail"]) == (401, "Jeton invalide ou révoqué.")
    assert (english.status_code, english.json()["detail"]) == (401, "Invalid or revoked token.")
    assert not ApiToken.objects.exists()
