"""import_geojson on malformed GeoJSON: a seeded, deterministic fuzz. Every case ends with a CommandError
whose message is one line naming the feature (or the file) and the reason, and nothing is saved."""

import json
import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.directory.test_geojson_layers import collection, database_state, feature, polygon

SEED = 73
CASES = 90
LAYERS = ["communes", "qpv", "sectors", "zones", "subsectors", "parcels"]

WRONG_TYPES = [None, 42, 1e308, True, [], ["a"], {"a": 1}, {"a": [1, {"b": 2}]}]
BAD_TEXTS = ["x\x00y", "\x00", "\ud800", "a\udfffb"]


def valid_feature(layer, n):
    if layer == "communes":
        return feature(polygon(1.0, 48.0, 1.01, 48.01), code=f"c-{n}", name="C", insee=f"7{n:04d}")
    if layer == "parcels":
        return feature(ref=f"p-{n}", domain="public")
    if layer == "subsectors":
        return feature(code=f"s-{n}", name="S", commune="78901", threshold_pct=60)
    return feature(code=f"fz-{layer}-{n}", name="N")


def key_of(layer):
    return "ref" if layer == "parcels" else "code"


def mutations():
    """Functions (rng, layer, data) -> bytes, each of which makes a valid collection invalid."""

    def nul_or_surrogate_in_a_property(rng, layer, data):
        props = rng.choice(data["features"])["properties"]
        name = rng.choice([*props, "extra"])
        bad = rng.choice(BAD_TEXTS)
        where = rng.choice(["value", "key", "nested"])
        if where == "key":
            props[f"k{bad}"] = 1
        elif where == "nested":
            props["extra"] = {"deep": [1, {"text": bad}]}
        else:
            props[name] = f"{props.get(name, '')}{bad}" if name != "threshold_pct" else bad
        return json.dumps(data).encode()

    def wrong_type_for_a_required_property(rng, layer, data):
        props = rng.choice(data["features"])["properties"]
        required = {"communes": ["code", "name", "insee"], "parcels": ["ref", "domain"]}.get(
            layer, ["code", "name"]
        )
        props[rng.choice(required)] = rng.choice([v for v in WRONG_TYPES if not isinstance(v, str)])
        return json.dumps(data).encode()

    def wrong_type_for_a_reference(rng, layer, data):
        props = rng.choice(data["features"])["properties"]
        name = {"parcels": "owner", "communes": "insee", "sectors": "unit"}.get(layer, "unit")
        props[name] = rng.choice([42, ["u"], {"a": 1}, "no-such-thing", True, 1e308])
        return json.dumps(data).encode()

    def over_the_column_limits(rng, layer, data):
        props = rng.choice(data["features"])["properties"]
        if layer == "parcels" or rng.random() < 0.5:
            props[key_of(layer)] = "k" * rng.randint(65, 500)
        else:
            props["name"] = "n" * rng.randint(201, 2000)
        return json.dumps(data).encode()

    def bad_threshold(rng, layer, data):
        props = rng.choice(data["features"])["properties"]
        if layer != "subsectors":
            props[key_of(layer)] = None
        else:
            props["threshold_pct"] = rng.choice(
                ["NaN", "Infinity", "-Infinity", "sNaN", "abc", [1], {"a": 1}, 101, -1]
            )
        return json.dumps(data).encode()

    def bad_geometry(rng, layer, data):
        target = rng.choice(data["features"])
        target["geometry"] = rng.choice(
            [
                None,
                {},
                {"type": "Point", "coordinates": [1.7, 48.9]},
                {"type": "Polygon"},
                {"type": "Polygon", "coordinates": "x"},
                {"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], ["a", "b"]]]},
                {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},  # bow-tie
                {"type": "Polygon", "coordinates": [[[0, 0], [1e300, 0], [0, 1e300], [0, 0]]]},
                {"type": "Polygon", "coordinates": [[[0, 0]]]},
                {"type": "MultiPolygon", "coordinates": [[[[[[0, 0]]]]]]},
                {"type": ["Polygon"], "coordinates": []},
                {"type": "Polygon", "coordinates": [[[200, 0], [201, 0], [201, 1], [200, 0]]]},
                [1, 2],
                "POLYGON((0 0, 1 0, 1 1, 0 0))",
            ]
        )
        return json.dumps(data).encode()

    def non_finite_and_huge_numbers(rng, layer, data):
        props = rng.choice(data["features"])["properties"]
        props["extra"] = 0
        text = json.dumps(data)
        literal = rng.choice(["NaN", "Infinity", "-Infinity", "1" * 5000])
        if rng.random() < 0.5:  # in a property
            return text.replace('"extra": 0', f'"extra": {literal}', 1).encode()
        return text.replace(
            '"coordinates": [[[', f'"coordinates": [[[{literal}, ', 1
        ).encode()  # in the coordinates

    def deep_nesting(rng, layer, data):
        depth = rng.choice([25, 500, 1000, 100_000])
        props = rng.choice(data["features"])["properties"]
        props["extra"] = 0
        nested = "[" * depth + "]" * depth
        text = json.dumps(data)
        if rng.random() < 0.5:
            return text.replace('"extra": 0', f'"extra": {nested}', 1).encode()
        return ('{"type": "FeatureCollection", "features": ' + nested + "}").encode()

    def missing_keys(rng, layer, data):
        target = rng.choice(data["features"])
        choice = rng.choice(["type", "features", "feature-type", "properties-key", "geometry"])
        if choice in ("type", "features"):
            data.pop(choice)
        elif choice == "feature-type":
            target.pop("type")
        elif choice == "properties-key":
            target["properties"].pop(key_of(layer))
        else:
            target.pop("geometry")
        return json.dumps(data).encode()

    def wrong_structure(rng, layer, data):
        return json.dumps(
            rng.choice(
                [
                    [],
                    "FeatureCollection",
                    42,
                    None,
                    {"type": "FeatureCollection", "features": {}},
                    {"type": "FeatureCollection", "features": []},
                    {"type": "FeatureCollection", "features": [1, "x", None]},
                    {**data, "crs": {"properties": []}},
                    {**data, "crs": {"properties": {"name": ["EPSG:4326"]}}},
                    {**data, "crs": {"properties": {"name": "EPSG:2154\x00"}}},
                    {**data, "crs": "EPSG:2154"},
                    {"type": "FeatureCollection", "features": [{**data["features"][0], "properties": [1]}]},
                ]
            )
        ).encode()

    def invalid_utf8(rng, layer, data):
        raw = json.dumps(data, ensure_ascii=False).encode()
        at = raw.index(b'"name"' if b'"name"' in raw else b'"domain"') + 9
        return raw[:at] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80"]) + raw[at:]

    def duplicate_codes(rng, layer, data):
        data["features"].append(json.loads(json.dumps(data["features"][0])))
        return json.dumps(data).encode()

    return [
        nul_or_surrogate_in_a_property,
        wrong_type_for_a_required_property,
        wrong_type_for_a_reference,
        over_the_column_limits,
        bad_threshold,
        bad_geometry,
        non_finite_and_huge_numbers,
        deep_nesting,
        missing_keys,
        wrong_structure,
        invalid_utf8,
        duplicate_codes,
    ]


def generated_cases():
    rng = random.Random(SEED)
    mutation_list = mutations()
    for number in range(CASES):
        layer = LAYERS[number % len(LAYERS)]
        mutate = mutation_list[number % len(mutation_list)]
        data = collection(*(valid_feature(layer, n) for n in range(rng.randint(1, 3))))
        yield mutate.__name__, layer, mutate(rng, layer, data)


def test_every_malformed_file_exits_with_one_line_and_saves_nothing(world, tmp_path):
    path = tmp_path / "fuzz.geojson"
    before = database_state()
    failures = []
    for name, layer, raw in generated_cases():
        path.write_bytes(raw)
        try:
            call_command("import_geojson", "--layer", layer, str(path), stdout=StringIO(), stderr=StringIO())
        except CommandError as error:
            message = str(error)
            if "\n" in message or "nothing was saved" not in message or len(message) > 400:
                failures.append((name, layer, raw[:150], message[:300]))
        except Exception as error:  # any other exception is what this test looks for
            failures.append((name, layer, raw[:150], f"{type(error).__name__}: {str(error)[:300]}"))
        else:
            failures.append((name, layer, raw[:150], "accepted"))
    assert not failures, failures[:5]
    assert database_state() == before


@pytest.mark.parametrize("layer", LAYERS)
def test_the_unmutated_files_import_so_the_fuzz_starts_from_valid_ones(world, tmp_path, layer):
    path = tmp_path / "ok.geojson"
    path.write_text(json.dumps(collection(valid_feature(layer, 1))), encoding="utf-8")
    call_command("import_geojson", "--layer", layer, str(path), stdout=StringIO(), stderr=StringIO())
    assert database_state()[0] or database_state()[1]
