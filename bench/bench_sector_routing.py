"""Benchmark of routing with sub-sector procedures: 200 active procedures and their zones over the
200,000 parcels and 1,000 perimeters of bench_routing.py.

The directory's `RoutingIndex` is built in memory as bench_routing.py does; the sector index
(`procedures.sectors.routing.SectorIndex`) is built in memory too, from 200 versions (a square of about
400 m each, laid on a grid over the territory, each with 3 zones and 8 split rows: categories, a
category group, zone rows, one seasonal row), and both are installed as the current indexes with the
stamps of the database given by DATABASE_URL (a throwaway SQLite file when unset). Each timed call is what
filing does: `directory.routing.resolve()` then `procedures.sectors.routing.decide()` (each with its
version query). Printed: p50/p99 of the whole (wall clock and the thread's CPU time: on a loaded machine
the wall-clock tail is time spent waiting for a core), of the sector part alone, and of the sector decision
without its version query; how many calls a sector procedure decided.

Run: `.venv/bin/python bench/bench_sector_routing.py` (`BENCH_CALLS` sets the number of calls).
"""

import datetime
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_routing as base
import shapely
from shapely.geometry import box

from directory import routing
from directory.models import LayerVersion
from procedures.sectors import routing as sector_routing
from procedures.sectors.routing import Override, Row, SectorIndex, VersionEntry

PROCEDURES = 200


def build_sectors(rng, category_ids, group_of):
    entries, shapes = [], []
    cols = 20
    for i in range(PROCEDURES):
        row, col = divmod(i, cols)
        x0 = base.LON0 + 0.01 + col * (base.LON1 - base.LON0 - 0.02) / cols
        y0 = base.LAT0 + 0.01 + row * (base.LAT1 - base.LAT0 - 0.02) / (PROCEDURES // cols)
        shape = box(x0, y0, x0 + 0.0055, y0 + 0.0036)
        zones = [
            (10_000 + i * 10 + z, box(x0 + z * 0.0018, y0, x0 + z * 0.0018 + 0.0015, y0 + 0.0015))
            for z in range(3)
        ]
        entry = VersionEntry(
            id=i + 1,
            procedure_id=i + 1,
            title=f"Procédure {i}",
            number=1,
            effective_from=datetime.date(2025, 1, 1),
            ends_on=None,
            intervention_version_id=None,
            manager_name="Bailleur",
            manager_unit_id=None,
            manager_unit_name="",
        )
        cats = rng.sample(category_ids, 5)
        rows = [
            Row(i * 100 + k, k, cat, None, None, "", "", "", 1, "Unité", "Balayage")
            for k, cat in enumerate(cats)
        ]
        rows.append(Row(i * 100 + 5, 5, None, group_of[cats[0]], None, "", "", "", 1, "Régie", "Propreté"))
        rows.append(Row(i * 100 + 6, 6, cats[1], None, zones[0][0], "Parking", "", "", 1, "CTC", "Parking"))
        rows.append(
            Row(
                i * 100 + 7,
                7,
                cats[2],
                None,
                zones[1][0],
                "Mail",
                "04-01",
                "09-30",
                1,
                "Contractant",
                "Tonte",
            )
        )
        entry.rows = rows
        entry.zones = zones
        entry.overrides = [Override(cats[0], "", 4, 16)]
        entries.append(entry)
        shapes.append(shape)
    return entries, shapes


def main():
    base.call_command("migrate", verbosity=0)
    LayerVersion.bump()
    LayerVersion.bump("sectors")
    rng = random.Random(2026)
    records = base.build_records(rng)
    index = base.RoutingIndex(**records, stamp=LayerVersion.stamp())
    routing._current["index"] = index
    category_ids = sorted(index.categories.values())
    group_of = {cid: cid % 3 + 1 for cid in category_ids}
    entries, shapes = build_sectors(rng, category_ids, group_of)
    sectors = SectorIndex(entries, shapes, group_of, stamp=sector_routing._stamp())
    sector_routing._current["index"] = sectors

    calls = base.CALLS
    # half the points inside a sector procedure, half anywhere
    points = []
    for n in range(calls):
        if n % 2:
            points.append((rng.uniform(base.LON0, base.LON1), rng.uniform(base.LAT0, base.LAT1)))
        else:
            x0, y0, x1, y1 = rng.choice(shapes).bounds
            points.append((rng.uniform(x0, x1), rng.uniform(y0, y1)))
    codes = [rng.choice(base.CATEGORIES) for _ in range(calls)]
    now = datetime.datetime(2026, 6, 15, 10, tzinfo=datetime.UTC)
    for (lon, lat), code in zip(points[:1000], codes[:1000], strict=True):
        decision = routing.resolve(lon, lat, code)
        sector_routing.decide(lon, lat, decision.category_id, now)

    whole, whole_cpu, sector_only, pure, decided = [], [], [], [], 0
    day = now.date()
    for (lon, lat), code in zip(points, codes, strict=True):
        c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        decision = routing.resolve(lon, lat, code)
        t1 = time.perf_counter_ns()
        sector = sector_routing.decide(lon, lat, decision.category_id, now)
        t2 = time.perf_counter_ns()
        whole.append((t2 - t0) / 1e6)
        whole_cpu.append((time.thread_time_ns() - c0) / 1e6)
        sector_only.append((t2 - t1) / 1e6)
        decided += bool(sector and sector.unit_id)
        t0 = time.perf_counter_ns()
        sectors.decide(lon, lat, decision.category_id, day)
        pure.append((time.perf_counter_ns() - t0) / 1e6)
    assert sector_routing.get_index() is sectors and routing.get_index() is index, "an index was rebuilt"

    def line(label, values):
        print(
            f"{label:<58} p50 {statistics.median(values):.3f} ms   p99 {base.percentile(values, 0.99):.3f} ms"
        )

    print(
        f"{PROCEDURES} active sub-sector procedures ({PROCEDURES * 3} zones), "
        f"{len(index.parcel_refs):,} parcels, {len(index.perimeters):,} perimeters, {calls:,} calls"
    )
    line("resolve() + sector decide() (what filing does)", whole)
    line("the same, CPU time of the thread (without waiting for a core)", whole_cpu)
    line("sector decide() alone (with its version query)", sector_only)
    line("SectorIndex.decide() (no query)", pure)
    print(f"decided by a sub-sector procedure: {decided:,} of {calls:,} calls; shapely {shapely.__version__}")


if __name__ == "__main__":
    main()
