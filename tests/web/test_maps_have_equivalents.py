"""Every map of the interface has a non-map equivalent (RGAA 1.x, 4.x; issue 21): the map element names,
with `aria-describedby`, an element of the same template that says where the same information or
action is without the map (the table of the page, the coordinate and address fields of a form, the
coordinates in text). A new template with a map and no equivalent fails here."""

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "web" / "templates"
MAP_ELEMENT = re.compile(r"<div\b[^>]*\bdata-map\b(?!-)[^>]*>", re.S)
DESCRIBED_BY = re.compile(r'aria-describedby="([^"]+)"')


def map_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for element in MAP_ELEMENT.findall(text):
            yield path, text, element


def test_the_scan_finds_the_maps_of_the_interface():
    names = {path.relative_to(TEMPLATES).as_posix() for path, _text, _element in map_templates()}
    assert {"web/map.html", "web/requests/new.html", "web/requests/detail.html", "web/queue.html"} <= names


def test_every_map_names_its_non_map_equivalent_in_the_same_template():
    missing = []
    for path, text, element in map_templates():
        described = DESCRIBED_BY.search(element)
        ids = described.group(1).split() if described else []
        if not ids or not all(re.search(rf'\bid="{re.escape(i)}"', text) for i in ids):
            missing.append(f"{path.relative_to(TEMPLATES)}: {element[:80]}")
    assert missing == [], "maps without an aria-describedby equivalent: " + "; ".join(missing)


def test_a_map_that_picks_a_point_keeps_the_coordinate_fields_it_fills():
    for path, text, element in map_templates():
        for attribute in ("data-pick-lon", "data-pick-lat"):
            if attribute in element:
                field = re.search(rf'{attribute}="\{{\{{ form\.(\w+)\.id_for_label \}}\}}"', element)
                if field:  # a Django form's field, rendered by the template
                    assert f"field=form.{field.group(1)}" in text, (
                        f"{path.name}: form.{field.group(1)} not shown"
                    )
                    continue
                literal = re.search(rf'{attribute}="([\w-]+)"', element)
                assert literal, f"{path.name}: {attribute} must name a field of the form"
                assert re.search(rf'<input[^>]*\bid="{literal.group(1)}"', text), (
                    f"{path.name}: no input {literal.group(1)} beside the map"
                )
