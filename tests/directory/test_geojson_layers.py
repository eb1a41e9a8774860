"""import_geojson / export_geojson: every refusal names the feature and leaves the database unchanged."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import box, mapping

from directory.models import Layer, LayerVersion, Organisation, Parcel, Perimeter


def polygon(x0, y0, x1, y1):
    return json.loads(json.dumps(mapping(box(x0, y0, x1, y1))))


def collection(*features, **extra):
    return {"type": "FeatureCollection", "features": list(features), **extra}


def feature(geometry=None, **props):
    return {"type": "Feature", "properties": props, "geometry": geometry or polygon(1.70, 48.98, 1.71, 48.99)}


def write(tmp_path, data, name="layer.geojson"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def run_import(layer, path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_geojson", "--layer", layer, path, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing_import(layer, path, *args):
    err = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_geojson", "--layer", layer, path, *args, stdout=StringIO(), stderr=err)
    return str(failure.value), err.getvalue()


def database_state():
    return (
        sorted(Perimeter.objects.values_list("layer", "code", "name")),
        sorted(Parcel.objects.values_list("ref", "owner__code", "domain")),
        Organisation.objects.count(),
        LayerVersion.current(),
    )


def test_it_imports_sub_sectors_with_a_progress_bar_and_bumps_the_layer_version(world, tmp_path):
    before = LayerVersion.current()
    path = write(
        tmp_path,
        collection(
            feature(
                polygon(1.706, 48.986, 1.708, 48.988),
                code="ss-a",
                name="A",
                commune="78901",
                threshold_pct=55,
            ),
            feature(polygon(1.730, 48.986, 1.732, 48.988), code="ss-b", name="B", unit="ctc-2", colour="red"),
        ),
    )
    out, err = run_import("subsectors", path)
    assert out.strip() == (
        "Layer subsectors: 2 created, 0 updated, 0 deleted. Delegated management changed in 2 sub-sector(s)."
    )
    assert "Checking subsectors [" in err and "Writing subsectors [" in err and "2/2" in err
    a = Perimeter.objects.get(layer=Layer.SUBSECTORS, code="ss-a")
    b = Perimeter.objects.get(layer=Layer.SUBSECTORS, code="ss-b")
    assert a.commune == world.commune and a.delegation_threshold_pct == 55 and a.area_m2 > 0
    assert a.delegated_manager == world.landlord  # inside the landlord's parcel: 100 %
    assert b.unit == world.ctc_2 and b.properties == {"colour": "red"} and b.delegated_manager is None
    assert (a.min_lon, a.max_lat) == (1.706, 48.988)
    assert LayerVersion.current() > before


def test_import_then_export_gives_back_the_same_features(world, tmp_path):
    layers = {
        "communes": [
            feature(polygon(1.60, 48.90, 1.62, 48.92), code="nouvelle", name="Nouvelle", insee="78999"),
        ],
        "qpv": [feature(code="qpv-x", name="QPV X", commune="78901", population=1234)],
        "sectors": [feature(code="sec-x", name="Secteur", unit="ctc-1")],
        "zones": [feature(code="z-1", name="Zone 1", commune="78902", unit="waste", kind={"nested": [1, 2]})],
        "subsectors": [
            feature(polygon(1.706, 48.986, 1.708, 48.988), code="ss-1", name="S 1", threshold_pct=72.5),
            {
                "type": "Feature",
                "properties": {"code": "ss-2", "name": "S 2"},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [
                        polygon(1.731, 48.981, 1.732, 48.982)["coordinates"],
                        polygon(1.733, 48.981, 1.734, 48.982)["coordinates"],
                    ],
                },
            },
        ],
        "parcels": [
            feature(polygon(1.731, 48.981, 1.7313, 48.9813), ref="AB-12", owner="landlord", domain="private"),
            feature(
                polygon(1.7313, 48.981, 1.7316, 48.9813), ref="AB-13", owner=None, domain="private", note="x"
            ),
            feature(polygon(1.7316, 48.981, 1.7319, 48.9813), ref="AB-14", owner="cu", domain="public"),
        ],
    }
    for layer, features in layers.items():
        path = write(tmp_path, collection(*features), f"{layer}.geojson")
        run_import(layer, path, "--replace")
        out_path = tmp_path / f"{layer}-out.geojson"
        call_command("export_geojson", "--layer", layer, str(out_path), stdout=StringIO(), stderr=StringIO())
        exported = json.loads(out_path.read_text(encoding="utf-8"))["features"]
        if layer == "parcels":
            exported = [f for f in exported if f["properties"]["ref"].startswith("AB-")]
        if layer == "communes":
            exported = [f for f in exported if f["properties"]["code"] == "nouvelle"]
        if layer == "qpv":
            exported = [f for f in exported if f["properties"]["code"] == "qpv-x"]
        assert exported == features, layer
    assert Organisation.objects.get(insee="78999").kind == "commune"


def test_replace_deletes_what_the_file_no_longer_has_and_updates_the_rest(world, tmp_path):
    run_import(
        "zones", write(tmp_path, collection(feature(code="z-1", name="One"), feature(code="z-2", name="Two")))
    )
    first = Perimeter.objects.get(layer=Layer.ZONES, code="z-1")
    out, _err = run_import("zones", write(tmp_path, collection(feature(code="z-1", name="Uno"))), "--replace")
    assert out.strip() == "Layer zones: 0 created, 1 updated, 1 deleted."
    assert list(Perimeter.objects.filter(layer=Layer.ZONES).values_list("pk", "name")) == [(first.pk, "Uno")]


def test_exporting_to_stdout_writes_the_collection(world):
    out = StringIO()
    call_command("export_geojson", "--layer", "qpv", "-", stdout=out)
    data = json.loads(out.getvalue())
    assert data["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in data["features"]] == ["qpv-1"]
    assert data["features"][0]["properties"]["commune"] == "78901"


BAD = polygon(1.70, 48.98, 1.71, 48.99)
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[1.70, 48.98], [1.71, 48.99], [1.71, 48.98], [1.70, 48.99], [1.70, 48.98]]],
}
LAMBERT = {
    "type": "Polygon",
    "coordinates": [[[600000, 6860000], [601000, 6860000], [601000, 6861000], [600000, 6860000]]],
}


@pytest.mark.parametrize(
    ("layer", "features", "expected"),
    [
        (
            "qpv",
            [feature(BOWTIE, code="q1", name="Q")],
            "feature 0 (code q1): invalid geometry: Self-intersection",
        ),
        (
            "qpv",
            [feature({"type": "Polygon", "coordinates": []}, code="q1", name="Q")],
            "feature 0 (code q1): geometry is empty",
        ),
        (
            "qpv",
            [{"type": "Feature", "properties": {"code": "q1", "name": "Q"}, "geometry": None}],
            "feature 0 (code q1): geometry is missing",
        ),
        (
            "qpv",
            [feature({"type": "Point", "coordinates": [1.7, 48.9]}, code="q1", name="Q")],
            "feature 0 (code q1): geometry type Point is not allowed",
        ),
        ("qpv", [feature(LAMBERT, code="q1", name="Q")], "feature 0 (code q1): coordinates are not WGS84"),
        (
            "parcels",
            [feature(ref="P1", owner="nobody", domain="private")],
            "feature 0 (code P1): unknown owner 'nobody'",
        ),
        (
            "parcels",
            [feature(ref="P1", owner="cu", domain="communal")],
            "feature 0 (code P1): domain 'communal' is not one of public, private",
        ),
        (
            "qpv",
            [feature(code="q1", name="Q"), feature(code="q1", name="Q bis")],
            "feature 1 (code q1): duplicate code (also feature 0)",
        ),
        (
            "qpv",
            [feature(code="qpv-1", name="Q")],
            "feature 0 (code qpv-1): duplicate code (already in the layer; use --replace",
        ),
        ("qpv", [feature(name="Q")], "feature 0: property 'code' is missing"),
        ("qpv", [feature(code="q1")], "feature 0 (code q1): property 'name' is missing"),
        (
            "qpv",
            [feature(code="q1", name="Q", commune="12345")],
            "feature 0 (code q1): unknown commune INSEE code '12345'",
        ),
        ("sectors", [feature(code="s1", name="S", unit="nope")], "feature 0 (code s1): unknown unit 'nope'"),
        (
            "communes",
            [feature(code="c9", name="C")],
            "feature 0 (code c9): property 'insee' must be a 5-character INSEE code",
        ),
        (
            "subsectors",
            [feature(code="ss", name="S", threshold_pct=120)],
            "feature 0 (code ss): threshold_pct 120 is not between 0 and 100",
        ),
    ],
)
def test_it_refuses_a_bad_feature_naming_it_and_saves_nothing(world, tmp_path, layer, features, expected):
    good = feature(
        polygon(1.731, 48.981, 1.732, 48.982),
        code="ok",
        name="OK",
        ref="OK-1",
        owner="cu",
        domain="public",
        insee="78950",
    )
    before = database_state()
    message, err = failing_import(layer, write(tmp_path, collection(*features, good)))
    assert expected in err
    assert "nothing was saved" in message and expected in message
    assert database_state() == before


def test_it_lists_every_error_of_the_file_not_only_the_first(world, tmp_path):
    before = database_state()
    path = write(
        tmp_path,
        collection(
            feature(ref="P1", owner="nobody", domain="private"),
            feature(ref="P2", owner="cu", domain="public"),
            feature(BOWTIE, ref="P3", owner="cu", domain="public"),
            feature(ref="P2", owner="cu", domain="public"),
        ),
    )
    message, err = failing_import("parcels", path)
    assert message.startswith("3 errors in ")
    lines = [line for line in err.splitlines() if line.startswith("feature")]
    assert [line.split(":")[0] for line in lines] == [
        "feature 0 (code P1)",
        "feature 2 (code P3)",
        "feature 3 (code P2)",
    ]
    assert database_state() == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "the file is not valid JSON"),
        (json.dumps({"type": "Feature"}), "the file is not a GeoJSON FeatureCollection"),
        (json.dumps(collection()), "the FeatureCollection is empty"),
        (
            json.dumps(
                collection(
                    feature(code="q", name="Q"),
                    crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
                )
            ),
            "CRS urn:ogc:def:crs:EPSG::2154 is not WGS84",
        ),
    ],
)
def test_it_refuses_a_file_that_is_not_a_wgs84_feature_collection(world, tmp_path, content, expected):
    before = database_state()
    message, _err = failing_import("qpv", write(tmp_path, content))
    assert expected in message
    assert database_state() == before


def test_an_explicit_wgs84_crs_is_accepted(world, tmp_path):
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    run_import("qpv", write(tmp_path, collection(feature(code="q2", name="Q"), crs=crs)))
    assert Perimeter.objects.filter(layer=Layer.QPV, code="q2").exists()


def test_a_missing_file_is_refused_with_one_line(world):
    with pytest.raises(CommandError, match=r"cannot read /nonexistent\.geojson"):
        call_command(
            "import_geojson", "--layer", "qpv", "/nonexistent.geojson", stdout=StringIO(), stderr=StringIO()
        )
