"""Benchmark of open land data and dated ownership on PostgreSQL, with 200,000 parcels.

    .venv/bin/python bench/bench_land.py [--parcels 200000]

It creates a throwaway database ``gup_h16_bench`` on the PostgreSQL server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/postgres), migrates it and drops it at the end (also on failure).
Each measured step runs in a fresh Python process, so that its peak memory is its own.

1. Generation (not timed as the import): four member communes (real INSEE codes), a grid of parcels
   (~40 m x 30 m) written as Etalab per-commune files, gzipped, one feature per line as published, and
   one DGFiP owners CSV (30 % of the parcels owned by legal entities: 3 landlords mapped by SIREN, 2
   SIRENs left unmapped), 100 sub-sectors, a CTC per commune and a landlord competence.
2. Import: `directory.actions.do_import_cadastre` of the four communes' files with the owners in one
   run (streamed, all or nothing): wall time, CPU time and the process's peak RSS (VmHWM).
3. Re-import dated tomorrow with 10 % of the owners changed: periods closed and opened (time, peak).
4. Index file: the worker job `directory.routing.write_index_file` in a fresh process writes the
   parcels' part of the routing index (time, size, peak RSS).
5. Web worker: a fresh process builds the routing index (`warm_up`, as the WSGI application does at
   start), mapping the parcels' file: time, RSS after it and the peak; the first request's latency; then
   20,000 `resolve()` calls at random points, at dates before and after tomorrow's changes (p50/p99,
   wall clock and thread CPU time); then one owner change through the action with the index rebuilt in
   the background (the worker job, started beside, writes the new file that the web worker then maps):
   the slowest of the calls made while the rebuild runs, how long it takes, and the peaks.
"""

import argparse
import datetime as dt
import gzip
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gup.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["ROUTING_INDEX_WARM_UP"] = "false"

DB_NAME = "gup_h16_bench"
WORK = Path(os.environ.get("BENCH_DIR", "/tmp/gup_h16_bench"))
os.environ["ROUTING_INDEX_DIR"] = str(WORK / "routing-index")
COMMUNES = [("78361", "Mantes-la-Jolie"), ("78440", "Les Mureaux"), ("78498", "Poissy"), ("78335", "Limay")]
LON0, LAT0, DLON, DLAT = 1.60, 48.90, 0.00055, 0.00027  # cell size: about 40 m x 30 m
LANDLORDS = [("782855696", "Bailleur A"), ("552081317", "Bailleur B"), ("383474814", "Bailleur C")]
UNMAPPED = [("410409460", "FONCIERE X"), ("542107651", "SCI DU PARC")]
HEADER = (
    "Département;Nom de la commune;Code Commune;Préfixe;Section;N° plan;N° voirie;Indice de répétition;"
    "Nature voie;Nom voie;SUF;Nature culture;Contenance;Code droit - par;N° Majic - par;N° SIREN - par;"
    "Groupe personne - par;Forme juridique - par;Forme juridique abrégée - par;Dénomination - par"
)


def server_url():
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench_land needs PostgreSQL: set DATABASE_URL=postgres://user@host:port/db")
    return parts


def bench_url():
    parts = server_url()
    return urlunsplit((parts.scheme, parts.netloc, f"/{DB_NAME}", "", ""))


def admin_connection():
    import psycopg

    parts = server_url()
    return psycopg.connect(urlunsplit(("postgresql", parts.netloc, "/postgres", "", "")), autocommit=True)


def setup_django():
    os.environ["DATABASE_URL"] = bench_url()
    import django

    django.setup()


def vm(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # MiB
    return 0.0


def grid(parcels):
    columns = int(parcels**0.5 * 1.25)
    rows = -(-parcels // columns)
    return columns, rows


def parcel_box(i, columns):
    col, row = i % columns, i // columns
    lon, lat = LON0 + col * DLON, LAT0 + row * DLAT
    return lon, lat, lon + DLON, lat + DLAT


def commune_of(i, parcels):
    return COMMUNES[min(len(COMMUNES) - 1, i * len(COMMUNES) // parcels)]


def ref_of(insee, k):
    section = chr(65 + (k // 9999) // 26) + chr(65 + (k // 9999) % 26)
    return f"{insee}000{section}{k % 9999 + 1:04d}", section, str(k % 9999 + 1)


# --- steps (each in its own process) ---------------------------------------------------------------


def step_generate(parcels):
    setup_django()
    from django.core.management import call_command
    from shapely.geometry import box

    from directory import geo
    from directory.models import (
        Competence,
        Layer,
        Organisation,
        OrganisationKind,
        Perimeter,
        SirenMapping,
        Unit,
        UnitKind,
    )
    from procedures.models import Category, CategoryGroup

    call_command("migrate", verbosity=0)
    WORK.mkdir(parents=True, exist_ok=True)
    columns, rows = grid(parcels)
    rng = random.Random(2026)
    cu = Organisation.objects.create(code="cu", name="CU", kind=OrganisationKind.CU)
    group = CategoryGroup.objects.create(code="g", name="G")
    category = Category.objects.create(code="espaces-verts", name="Espaces verts", group=group)
    per_commune = -(-parcels // len(COMMUNES))
    for n, (insee, name) in enumerate(COMMUNES):
        commune = Organisation.objects.create(
            code=f"c{insee}", name=name, kind=OrganisationKind.COMMUNE, insee=insee
        )
        first, last = n * per_commune, min(parcels, (n + 1) * per_commune) - 1
        outline = box(
            LON0, LAT0 + (first // columns) * DLAT, LON0 + columns * DLON, LAT0 + (last // columns + 1) * DLAT
        )
        perimeter = Perimeter(layer=Layer.COMMUNES, code=f"c{insee}", name=name, commune=commune)
        perimeter.set_geometry(geo.geojson_from_shape(outline))
        perimeter.save()
        ctc = Unit.objects.create(organisation=cu, code=f"ctc-{insee}", name=f"CTC {name}", kind=UnitKind.CTC)
        ctc.territory.set([commune])
        Competence.objects.create(unit=ctc, category=category)
    for siren, name in LANDLORDS:
        org = Organisation.objects.create(code=f"l{siren}", name=name, kind=OrganisationKind.LANDLORD)
        agency = Unit.objects.create(
            organisation=org, code=f"a{siren}", name=f"{name} agence", kind=UnitKind.AGENCY
        )
        Competence.objects.create(unit=agency, category=category)
        SirenMapping.objects.create(siren=siren, organisation=org)
    for k in range(100):
        col, row = rng.randrange(columns - 20), rng.randrange(rows - 20)
        lon, lat = LON0 + col * DLON, LAT0 + row * DLAT
        subsector = Perimeter(layer=Layer.SUBSECTORS, code=f"ss-{k:03d}", name=f"SS {k}")
        subsector.set_geometry(geo.geojson_from_shape(box(lon, lat, lon + 12 * DLON, lat + 12 * DLAT)))
        subsector.save()
    owners = {}
    files = {insee: gzip.open(WORK / f"cadastre-{insee}-parcelles.json.gz", "wt") for insee, _n in COMMUNES}  # noqa: SIM115
    counters = dict.fromkeys(files, 0)
    for handle in files.values():
        handle.write('{"type":"FeatureCollection","features":[\n')
    for i in range(parcels):
        insee, _name = commune_of(i, parcels)
        k = counters[insee]
        counters[insee] += 1
        ref, section, numero = ref_of(insee, k)
        x0, y0, x1, y1 = parcel_box(i, columns)
        feature = {
            "type": "Feature",
            "id": ref,
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
            },
            "properties": {
                "id": ref, "commune": insee, "prefixe": "000", "section": section, "numero": numero,
                "contenance": 1200, "arpente": False, "created": "2005-01-01", "updated": "2024-06-01",
            },
        }  # fmt: skip
        handle = files[insee]
        handle.write(("" if k == 0 else ",\n") + json.dumps(feature, separators=(",", ":")))
        if rng.random() < 0.3:
            owners[ref] = rng.choice(LANDLORDS + UNMAPPED)
    for handle in files.values():
        handle.write("\n]}\n")
        handle.close()
    for suffix, changed in (("", 0.0), ("-tomorrow", 0.1)):
        with open(WORK / f"PM_25_NB_780{suffix}.csv", "w", encoding="utf-8") as csv_file:
            csv_file.write(HEADER + "\n")
            for ref, (siren, name) in owners.items():
                if changed and rng.random() < changed:
                    siren, name = rng.choice(LANDLORDS + UNMAPPED)
                insee, section, numero = ref[:5], ref[8:10], ref[10:].lstrip("0")
                address = f"{insee[2:]};;{section};{numero};1;;RUE;DE LA GARE;;S;1200"
                csv_file.write(f"78;X;{address};P;PXXXXX;{siren};5;SA;SA;{name}\n")
    print(
        json.dumps(
            {"parcels": parcels, "owned": len(owners), "bytes": sum(f.stat().st_size for f in WORK.iterdir())}
        )
    )


def step_import(suffix, day):
    setup_django()
    from directory import actions, opendata

    started = time.perf_counter()
    # One run for the four communes' files, as `import_opendata cadastre f1 f2 f3 f4 --owners x` does:
    # one transaction, the owners file read once, one recompute of the sub-sectors.
    files = [open(WORK / f"cadastre-{insee}-parcelles.json.gz", "rb") for insee, _name in COMMUNES]  # noqa: SIM115
    with open(WORK / f"PM_25_NB_780{suffix}.csv", "rb") as owners:
        if day:
            report = opendata.import_cadastre(files, owners_file=owners, today=dt.date.fromisoformat(day))
        else:
            report = actions.do_import_cadastre(files, owners_file=owners, acting_user=None)
    for handle in files:
        handle.close()
    totals = {**report.counts(), "unmapped_sirens": len(report.unmapped)}
    elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu_seconds(), "peak_mib": vm("VmHWM"), **totals}))


def step_index():
    """The worker job `directory.routing.write_index_file`, in a fresh process: the parcels' file."""
    setup_django()
    from directory import routing

    started = time.perf_counter()
    path = routing.write_index_file()
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "peak_mib": vm("VmHWM"),
                "file_mib": path.stat().st_size / 2**20 if path else 0,
            }
        )
    )


def step_worker(calls):
    rss_start = vm("VmRSS")
    setup_django()
    rss_django = vm("VmRSS")
    from django.conf import settings

    from directory import actions, routing
    from directory.models import Parcel

    started = time.perf_counter()
    routing.warm_up()
    warm_seconds = time.perf_counter() - started
    rss_index, hwm_index = vm("VmRSS"), vm("VmHWM")
    index = routing.get_index()
    t0 = time.perf_counter()
    routing.resolve(LON0 + 0.01, LAT0 + 0.01, "espaces-verts")
    first_ms = (time.perf_counter() - t0) * 1000
    rng = random.Random(7)
    max_lon = index.parcel_grid.bounds[:, 2].max()
    max_lat = index.parcel_grid.bounds[:, 3].max()
    today = dt.datetime.now(dt.UTC)
    dates = [today, today + dt.timedelta(days=2)]
    wall, cpu, rules = [], [], {}
    for _ in range(calls):
        lon, lat = rng.uniform(LON0, max_lon), rng.uniform(LAT0, max_lat)
        at = rng.choice(dates)
        c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        decision = routing.resolve(lon, lat, "espaces-verts", at=at)
        wall.append((time.perf_counter_ns() - t0) / 1e6)
        cpu.append((time.thread_time_ns() - c0) / 1e6)
        rules[decision.decided_by] = rules.get(decision.decided_by, 0) + 1
    wall.sort()
    cpu.sort()
    dated = len(index.parcel_periods)
    # One edit, the index rebuilt in the background while the old one serves.
    settings.ROUTING_INDEX_REBUILD = "background"
    parcel = Parcel.objects.order_by("pk").first()
    actions.do_change_parcel_owner(parcel, None, acting_user=None)
    # The worker process's job writes the new version's parcels' file meanwhile (as its tick would).
    job = subprocess.Popen(
        [sys.executable, __file__, "--step", "index"], stdout=subprocess.PIPE, text=True, env=os.environ
    )
    t0 = time.perf_counter()
    during = []
    while routing.get_index() is index and time.perf_counter() - t0 < 300:
        c = time.perf_counter()
        routing.resolve(rng.uniform(LON0, max_lon), rng.uniform(LAT0, max_lat), "espaces-verts")
        during.append((time.perf_counter() - c) * 1000)
    rebuild_seconds = time.perf_counter() - t0
    job_result = json.loads(job.communicate()[0].strip().splitlines()[-1])
    during.sort()
    result = {
        "rss_start_mib": rss_start,
        "rss_django_mib": rss_django,
        "warm_up_seconds": warm_seconds,
        "rss_after_index_mib": rss_index,
        "hwm_after_index_mib": hwm_index,
        "first_request_ms": first_ms,
        "calls": calls,
        "p50_ms": wall[len(wall) // 2],
        "p99_ms": wall[int(len(wall) * 0.99)],
        "cpu_p50_ms": cpu[len(cpu) // 2],
        "cpu_p99_ms": cpu[int(len(cpu) * 0.99)],
        "parcels_with_dated_ownership": dated,
        "rules": {str(k): v for k, v in sorted(rules.items())},
        "rebuild_seconds": rebuild_seconds,
        "calls_during_rebuild": len(during),
        "max_ms_during_rebuild": during[-1] if during else None,
        "p99_ms_during_rebuild": during[int(len(during) * 0.99)] if during else None,
        "hwm_end_mib": vm("VmHWM"),
        "rss_end_mib": vm("VmRSS"),
        "job_seconds": job_result["seconds"],
        "job_peak_mib": job_result["peak_mib"],
    }
    print(json.dumps(result))


def run_step(*args):
    env = {**os.environ, "DATABASE_URL": bench_url()}
    out = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"step {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(load, generated, first, second, index, w):
    lines = [
        f"land benchmark on PostgreSQL ({DB_NAME}), load average {load[0]:.1f} at start, "
        f"{os.getloadavg()[0]:.1f} at end, on {os.cpu_count()} CPUs",
        f"  generated: {generated['parcels']} parcels in {len(COMMUNES)} communes, "
        f"{generated['owned']} owned by legal entities, {generated['bytes'] / 2**20:.1f} MiB of files",
        f"  import (4 gzipped GeoJSON + owners CSV, one do_import_cadastre run): "
        f"{first['seconds']:.1f} s wall, "
        f"{first.get('cpu_seconds', 0):.1f} s CPU of the process, peak RSS {first['peak_mib']:.0f} MiB; "
        f"added {first['added']}, unmapped SIRENs {first['unmapped_sirens']}, "
        f"sub-sectors changed {first['subsectors_changed']}",
        f"  re-import dated tomorrow, 10 % of owners changed: {second['seconds']:.1f} s wall, "
        f"{second.get('cpu_seconds', 0):.1f} s CPU, peak RSS {second['peak_mib']:.0f} MiB; "
        f"owners changed {second['owner_changed']}, sub-sectors changed {second['subsectors_changed']}",
        f"  parcels' index file written by the worker job in a fresh process: {index['seconds']:.1f} s, "
        f"{index['file_mib']:.1f} MiB, peak RSS {index['peak_mib']:.0f} MiB",
        f"  fresh web worker: RSS {w['rss_django_mib']:.0f} MiB after django.setup(), index mapped in "
        f"{w['warm_up_seconds']:.1f} s, RSS {w['rss_after_index_mib']:.0f} MiB after it "
        f"(peak {w['hwm_after_index_mib']:.0f} MiB); first request {w['first_request_ms']:.2f} ms",
        f"  resolve() x {w['calls']} at dates before and after the changes "
        f"({w['parcels_with_dated_ownership']} parcels with dated ownership): p50 {w['p50_ms']:.3f} ms, "
        f"p99 {w['p99_ms']:.3f} ms wall; CPU p50 {w['cpu_p50_ms']:.3f} ms, p99 {w['cpu_p99_ms']:.3f} ms; "
        f"decided by rule {w['rules']}",
        f"  one owner change, background rebuild: new index after {w['rebuild_seconds']:.1f} s; "
        f"{w['calls_during_rebuild']} calls served meanwhile, p99 {w['p99_ms_during_rebuild'] or 0:.2f} ms, "
        f"max {w['max_ms_during_rebuild'] or 0:.2f} ms; the worker job wrote the new file in "
        f"{w['job_seconds']:.1f} s (its peak RSS {w['job_peak_mib']:.0f} MiB); web worker RSS at the end "
        f"{w['rss_end_mib']:.0f} MiB, its peak {w['hwm_end_mib']:.0f} MiB",
    ]
    print("\n".join(lines))


def cpu_seconds():
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--parcels", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--step", nargs="*")
    args = parser.parse_args()
    if args.step:
        name, *rest = args.step
        if name == "generate":
            step_generate(args.parcels)
        elif name == "import":
            step_import("-tomorrow" if rest else "", rest[1] if len(rest) > 1 else "")
        elif name == "index":
            step_index()
        elif name == "worker":
            step_worker(args.calls)
        return
    with admin_connection() as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        connection.execute(f"CREATE DATABASE {DB_NAME}")
    try:
        load = os.getloadavg()
        generated = run_step("--parcels", str(args.parcels), "--step", "generate")
        first = run_step("--step", "import")
        tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
        second = run_step("--step", "import", "tomorrow", tomorrow)
        index = run_step("--step", "index")
        worker = run_step("--calls", str(args.calls), "--step", "worker")
        report(load, generated, first, second, index, worker)
    finally:
        with admin_connection() as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


if __name__ == "__main__":
    main()
