"""Imports of the open land data from small files written in exactly the published formats: the Etalab
cadastre (GeoJSON, gzipped or not), the DGFiP legal-entity owners (CSV), the ANCT 2024 QPV geography and the
geo API communes. Nothing is downloaded."""

import datetime as dt
import gzip
import io
import json

import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import box

from directory import actions, delegation, geo
from directory.layers import ImportFailed
from directory.models import (
    DirectoryAuditEntry,
    Layer,
    Parcel,
    ParcelOwnership,
    Perimeter,
    SirenMapping,
)
from directory.opendata import unmapped_sirens
from tests.factories import make_perimeter

DGFIP_HEADER = (
    "Département;Nom de la commune;Code Commune;Préfixe;Section;N° plan;N° voirie;Indice de répétition;"
    "Nature voie;Nom voie;SUF;Nature culture;Contenance;Code droit - par;N° Majic - par;N° SIREN - par;"
    "Groupe personne - par;Forme juridique - par;Forme juridique abrégée - par;Dénomination - par"
)
LANDLORD_SIREN, OTHER_SIREN = "782855696", "552081317"
# Three parcels of commune 1 (INSEE 78901) side by side in the south of the commune (lat 48.980-48.984).
CELLS = {"1": (1.700, 1.704), "2": (1.704, 1.708), "3": (1.708, 1.712)}


def parcel_feature(numero, section="AB", lons=None, geometry=None, **overrides):
    west, east = lons or CELLS[numero]
    props = {
        "id": f"78901000{section.zfill(2)}{numero.zfill(4)}",
        "commune": "78901",
        "prefixe": "000",
        "section": section,
        "numero": numero,
        "contenance": 12000,
        "arpente": False,
        "created": "2010-03-04",
        "updated": "2024-01-10",
        **overrides,
    }
    if geometry is None:
        geometry = geo.geojson_from_shape(box(west, 48.980, east, 48.984))
    return {"type": "Feature", "id": props["id"], "geometry": geometry, "properties": props}


def cadastre_file(features, gz=True):
    text = json.dumps({"type": "FeatureCollection", "features": features})
    data = text.encode()
    return io.BytesIO(gzip.compress(data) if gz else data)


def owners_file(rows, encoding="utf-8"):
    lines = [DGFIP_HEADER]
    for numero, siren, name in rows:
        lines.append(
            f"78;COMMUNE UNE;901;;AB;{numero};12;;RUE;DES LILAS;;S;12000;P;PBCDEF;{siren};5;SA;SA HLM;{name}"
        )
    return io.BytesIO(("\n".join(lines) + "\n").encode(encoding))


@pytest.fixture
def mapped(world):
    return SirenMapping.objects.create(siren=LANDLORD_SIREN, organisation=world.landlord)


@pytest.fixture
def today(time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)


def run(features, owners=(), gz=True, dry_run=False, acting_user=None):
    return actions.do_import_cadastre(
        cadastre_file(features, gz=gz),
        owners_file=owners_file(owners) if owners is not None else None,
        dry_run=dry_run,
        stream=io.StringIO(),
        acting_user=acting_user,
    )


def state():
    return (
        Parcel.objects.count(),
        ParcelOwnership.objects.count(),
        DirectoryAuditEntry.objects.count(),
        list(Parcel.objects.order_by("ref").values_list("ref", "owner_id", "valid_until", "min_lon")),
    )


def test_parcels_are_imported_with_their_owners_joined_on_the_parcel_id(world, mapped, today):
    report = run(
        [parcel_feature("1"), parcel_feature("2"), parcel_feature("3")],
        owners=[("1", LANDLORD_SIREN, "BAILLEUR SA HLM"), ("2", OTHER_SIREN, "FONCIERE DU VAL")],
    )
    assert report.counts() == {
        "added": 3,
        "geometry_changed": 0,
        "owner_changed": 0,
        "removed": 0,
        "subsectors_changed": 0,
    }
    assert report.communes == ["78901"]
    owners = dict(Parcel.objects.filter(ref__startswith="78901").values_list("ref", "owner__code"))
    assert owners == {"78901000AB0001": "landlord", "78901000AB0002": None, "78901000AB0003": None}
    unmapped = ParcelOwnership.objects.get(parcel__ref="78901000AB0002")
    assert (unmapped.siren, unmapped.owner_name, unmapped.valid_from) == (
        OTHER_SIREN,
        "FONCIERE DU VAL",
        dt.date(2026, 3, 2),
    )
    # The parcel absent from the owners' file is private: no period, no owner.
    assert not ParcelOwnership.objects.filter(parcel__ref="78901000AB0003").exists()
    assert report.unmapped == {OTHER_SIREN: {"name": "FONCIERE DU VAL", "parcels": 1}}
    assert unmapped_sirens() == [(OTHER_SIREN, "FONCIERE DU VAL", 1)]
    parcel = Parcel.objects.get(ref="78901000AB0001")
    assert parcel.properties["section"] == "AB" and parcel.properties["contenance"] == 12000
    assert parcel.area_m2 == pytest.approx(geo.area_m2(box(1.700, 48.980, 1.704, 48.984)))
    entry = DirectoryAuditEntry.objects.get(event="cadastre_imported")
    assert entry.data["added"] == 3 and entry.data["unmapped_sirens"] == 1


def test_a_plain_geojson_file_is_read_like_a_gzipped_one(world, today):
    report = run([parcel_feature("1")], owners=None, gz=False)
    assert report.added == ["78901000AB0001"]


def test_a_second_import_reports_changes_closes_owner_periods_and_retires_absent_parcels(
    world, mapped, today, time_machine
):
    subsector = make_perimeter(
        Layer.SUBSECTORS, box(1.700, 48.980, 1.708, 48.984), code="ss-south", commune=world.commune
    )
    run([parcel_feature("1"), parcel_feature("2"), parcel_feature("3")], owners=[("1", LANDLORD_SIREN, "B")])
    delegation.recompute_delegation(subsector)
    subsector.refresh_from_db()
    assert subsector.delegated_manager is None  # the landlord holds 50 %
    time_machine.move_to(dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC), tick=False)
    report = run(
        [parcel_feature("1"), parcel_feature("2", lons=(1.704, 1.709))],
        owners=[("1", LANDLORD_SIREN, "B"), ("2", LANDLORD_SIREN, "B")],
    )
    assert report.added == [] and report.geometry_changed == ["78901000AB0002"]
    assert report.owner_changed == ["78901000AB0002"] and report.removed == ["78901000AB0003"]
    assert report.subsectors_changed == [
        {"code": "ss-south", "manager_before": None, "manager_after": "landlord"}
    ]
    assert Parcel.objects.get(ref="78901000AB0003").valid_until == dt.date(2026, 4, 1)
    periods = ParcelOwnership.objects.filter(parcel__ref="78901000AB0002")
    assert [(p.owner_id, p.valid_from, p.valid_until) for p in periods] == [
        (None, None, dt.date(2026, 4, 1)),
        (world.landlord.pk, dt.date(2026, 4, 1), None),
    ]
    line = "  sub-sector ss-south: land shares changed, delegated manager - -> landlord"
    assert line in list(report.lines())


def test_a_dry_run_prints_the_report_and_writes_nothing(world, mapped, today):
    before = state()
    report = run(
        [parcel_feature("1"), parcel_feature("2")], owners=[("1", LANDLORD_SIREN, "B")], dry_run=True
    )
    assert report.dry_run and len(report.added) == 2
    assert next(report.lines()).startswith("Dry run: nothing written. 2 parcels read for 78901")
    assert state() == before


def bowtie():
    return {
        "type": "Polygon",
        "coordinates": [[[1.70, 48.98], [1.71, 48.99], [1.71, 48.98], [1.70, 48.99], [1.70, 48.98]]],
    }


P1 = "feature 2 (parcel 78901000AB0002)"
BAD_FEATURES = {
    "no geometry": (
        [parcel_feature("1"), parcel_feature("2") | {"geometry": None}],
        f"{P1}: geometry is missing",
    ),
    "invalid geometry": (
        [parcel_feature("1"), parcel_feature("2", geometry=bowtie())],
        f"{P1}: invalid geometry",
    ),
    "id not matching": (
        [parcel_feature("1"), parcel_feature("2", id="78901000AB0099")],
        "feature 2 (parcel 78901000AB0099): the id does not match",
    ),
    "foreign commune": ([parcel_feature("1", commune="75056", id="75056000AB0001")], "commune 75056 is not"),
    "twice": (
        [parcel_feature("1"), parcel_feature("1")],
        "feature 2 (parcel 78901000AB0001): the parcel appears",
    ),
}


@pytest.mark.parametrize("bad", BAD_FEATURES)
def test_a_bad_feature_stops_the_import_with_its_number_and_writes_nothing(world, today, bad):
    features, expected = BAD_FEATURES[bad]
    before = state()
    with pytest.raises(ImportFailed) as failure:
        run(features, owners=[])
    assert expected in failure.value.errors[0]
    assert state() == before


def test_a_file_of_another_format_is_refused(world, today):
    before = state()
    with pytest.raises(ImportFailed) as failure:
        actions.do_import_cadastre(owners_file([]), acting_user=None)
    assert failure.value.errors == ["file: is not a GeoJSON FeatureCollection"]
    assert state() == before


def test_an_owner_file_with_a_missing_column_or_another_encoding_is_refused(world, today):
    before = state()
    broken = io.BytesIO(DGFIP_HEADER.replace("N° SIREN - par;", "").encode() + b"\n")
    with pytest.raises(ImportFailed) as failure:
        actions.do_import_cadastre(cadastre_file([parcel_feature("1")]), owners_file=broken, acting_user=None)
    assert failure.value.errors == [
        "owners line 1: missing column 'N° SIREN' (unknown layout of the DGFiP file)"
    ]
    latin1 = owners_file([("1", LANDLORD_SIREN, "SOCIÉTÉ D'HLM")], encoding="latin-1")
    with pytest.raises(ImportFailed) as failure:
        actions.do_import_cadastre(cadastre_file([parcel_feature("1")]), owners_file=latin1, acting_user=None)
    assert "is not UTF-8" in failure.value.errors[0]
    assert state() == before


def test_an_older_vintage_header_is_mapped_by_its_stem(world, mapped, today):
    header = DGFIP_HEADER.replace(" - par", " (Propriétaire(s) parcelle)")
    row = f"78;COMMUNE UNE;901;;AB;1;12;;RUE;DES LILAS;;S;12000;P;PBCDEF;{LANDLORD_SIREN};5;SA;SA HLM;B"
    report = actions.do_import_cadastre(
        cadastre_file([parcel_feature("1")]),
        owners_file=io.BytesIO(f"{header}\n{row}\n".encode()),
        acting_user=None,
    )
    assert report.added == ["78901000AB0001"]
    assert Parcel.objects.get(ref="78901000AB0001").owner == world.landlord


def test_an_import_overlapping_an_owner_change_recorded_ahead_is_refused(world, mapped, today):
    run([parcel_feature("1")], owners=[])
    parcel = Parcel.objects.get(ref="78901000AB0001")
    actions.do_change_parcel_owner(parcel, world.cu, on=dt.date(2026, 6, 1), acting_user=None)
    before = state()
    with pytest.raises(ImportFailed) as failure:
        run([parcel_feature("1")], owners=[("1", LANDLORD_SIREN, "B")])
    assert failure.value.errors == [
        "feature 1 (parcel 78901000AB0001): an owner is already recorded from 2026-06-01: the new owner "
        "would overlap that period"
    ]
    assert state() == before


def test_the_command_prints_the_report_and_a_bad_file_exits_with_one_line(world, today, tmp_path):
    path = tmp_path / "cadastre-78901-parcelles.json.gz"
    path.write_bytes(cadastre_file([parcel_feature("1")]).getvalue())
    out, err = io.StringIO(), io.StringIO()
    call_command("import_opendata", "cadastre", str(path), "--dry-run", stdout=out, stderr=err)
    assert out.getvalue().startswith("Dry run: nothing written. 1 parcels read for 78901: 1 added")
    assert not Parcel.objects.filter(ref="78901000AB0001").exists()
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}}]}')
    with pytest.raises(CommandError) as failure:
        call_command("import_opendata", "cadastre", str(bad), stdout=out, stderr=err)
    assert (
        str(failure.value) == f"{bad}: nothing was saved: feature 1: property 'id' (the parcel id) is missing"
    )


def test_the_2024_qpv_geography_is_imported_for_the_community_communes(world, tmp_path):
    def qpv(code, insee, lons):
        return {
            "type": "Feature",
            "geometry": geo.geojson_from_shape(box(lons[0], 48.985, lons[1], 48.995)),
            "properties": {
                "code_qp": code, "lib_qp": "Quartier test", "insee_reg": "11", "lib_reg": "Île-de-France",
                "insee_dep": "78", "lib_dep": "Yvelines", "insee_com": insee, "lib_com": "Commune",
                "siren_epci": "200059889", "lib_epci": "CU Grand Paris Seine et Oise",
            },
        }  # fmt: skip

    collection = {
        "type": "FeatureCollection",
        "features": [
            qpv("QN07801M", "78901", (1.71, 1.72)),
            qpv("QN07801M", "78902", (1.72, 1.73)),
            qpv("QN07899M", "13055", (5.3, 5.4)),
        ],
    }
    path = tmp_path / "QP2024_France_hexagonale_WGS84.geojson"
    path.write_text(json.dumps(collection))
    out = io.StringIO()
    call_command("import_opendata", "qpv", str(path), stdout=out, stderr=io.StringIO())
    assert "1 feature(s) outside the community left out" in out.getvalue()
    codes = dict(Perimeter.objects.filter(layer=Layer.QPV).values_list("code", "commune__insee"))
    assert codes == {"QN07801M-78901": "78901", "QN07801M-78902": "78902"}
    assert (
        Perimeter.objects.get(code="QN07801M-78901").properties["lib_epci"] == "CU Grand Paris Seine et Oise"
    )


def test_commune_outlines_from_the_geo_api_update_the_communes_layer(world, tmp_path):
    feature = {
        "type": "Feature",
        "geometry": geo.geojson_from_shape(box(1.70, 48.97, 1.72, 49.00)),
        "properties": {
            "code": "78901", "nom": "Commune Une", "codeDepartement": "78", "siren": "217803618",
            "codeEpci": "200059889", "codeRegion": "11", "codesPostaux": ["78200"], "population": 42000,
        },
    }  # fmt: skip
    path = tmp_path / "communes.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    call_command(
        "import_opendata", "communes", str(path), "--dry-run", stdout=io.StringIO(), stderr=io.StringIO()
    )
    assert Perimeter.objects.get(layer=Layer.COMMUNES, code="commune-1").min_lat == pytest.approx(48.98)
    call_command("import_opendata", "communes", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    perimeter = Perimeter.objects.get(layer=Layer.COMMUNES, code="commune-1")
    assert perimeter.min_lat == pytest.approx(48.97) and perimeter.properties["population"] == 42000


def test_a_parcel_retired_by_a_land_operation_is_not_silently_brought_back(world, today):
    run([parcel_feature("1"), parcel_feature("2")], owners=[])
    actions.do_record_land_operation(
        kind="remembrement",
        name="Îlot",
        effective_date=dt.date(2026, 3, 2),
        retire=["78901000AB0002"],
        create=[
            {"ref": "78901000AB0009", "geometry": geo.geojson_from_shape(box(1.704, 48.98, 1.708, 48.984))}
        ],
        acting_user=None,
    )
    before = state()
    with pytest.raises(ImportFailed) as failure:
        run([parcel_feature("1"), parcel_feature("2")], owners=[])
    assert failure.value.errors == [
        "feature 2 (parcel 78901000AB0002): the parcel no longer exists since 2026-03-02 in our records "
        "(a land operation or an earlier import): check it"
    ]
    assert state() == before


def test_several_communes_files_are_imported_in_one_run(world, today, tmp_path):
    first, second = tmp_path / "cadastre-78901-parcelles.json.gz", tmp_path / "cadastre-78902-parcelles.json"
    first.write_bytes(cadastre_file([parcel_feature("1")]).getvalue())
    other = parcel_feature("1", lons=(1.73, 1.731), commune="78902", id="78902000AB0001")
    second.write_bytes(cadastre_file([other, other], gz=False).getvalue())
    with pytest.raises(CommandError) as failure:
        call_command(
            "import_opendata", "cadastre", str(first), str(second), stdout=io.StringIO(), stderr=io.StringIO()
        )
    assert "file 2, feature 2 (parcel 78902000AB0001): the parcel appears twice" in str(failure.value)
    assert not Parcel.objects.filter(ref__in=["78901000AB0001", "78902000AB0001"]).exists()
    second.write_bytes(cadastre_file([other], gz=False).getvalue())
    out = io.StringIO()
    call_command("import_opendata", "cadastre", str(first), str(second), stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith("2 parcels read for 78901, 78902: 2 added")
