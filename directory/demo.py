"""Demonstration territory of the community.

Real: the communes' names and INSEE codes, the community's name. Approximate: commune boundaries
(Voronoi cells around each town centre, clipped to a disc) and QPV outlines (drawn around the real
neighbourhoods' approximate location). Fictional, and marked so (`is_fictional`, "(fictif)" in the
name, example.org addresses): landlords, contractors, units' contacts, parcels and their owners.
Everything is keyed by code, so loading twice changes nothing.
"""

import random
from dataclasses import dataclass

from django.utils.text import slugify
from shapely.geometry import MultiPoint, Point, Polygon, box
from shapely.ops import unary_union, voronoi_diagram

from directory import geo
from directory.delegation import recompute_delegations
from directory.models import (
    Competence,
    Domain,
    Layer,
    Organisation,
    OrganisationKind,
    Parcel,
    Perimeter,
    Referent,
    RoleAssignment,
    SplitRule,
    Unit,
    UnitKind,
    User,
)
from directory.opendata import member_communes
from directory.roles import Role
from directory.signals import one_bump

M_PER_DEG_LAT = 111_200.0
M_PER_DEG_LON = 73_000.0  # at about 49° N

# (INSEE, name, code, lon, lat of the town centre): real names, codes and approximate centres.
COMMUNES = [
    ("78361", "Mantes-la-Jolie", "mantes-la-jolie", 1.7175, 48.9908),
    ("78362", "Mantes-la-Ville", "mantes-la-ville", 1.7100, 48.9720),
    ("78335", "Limay", "limay", 1.7420, 49.0020),
    ("78440", "Les Mureaux", "les-mureaux", 1.9170, 48.9875),
    ("78138", "Chanteloup-les-Vignes", "chanteloup-les-vignes", 2.0319, 48.9786),
    ("78123", "Carrières-sous-Poissy", "carrieres-sous-poissy", 2.0400, 48.9460),
    ("78498", "Poissy", "poissy", 2.0460, 48.9290),
    ("78172", "Conflans-Sainte-Honorine", "conflans-sainte-honorine", 2.0970, 48.9990),
]

# (code, name, commune code, lon, lat, radius in metres): real neighbourhood names, approximate outlines.
QPVS = [
    ("qpv-val-fourre", "Le Val Fourré", "mantes-la-jolie", 1.6990, 48.9960, 650),
    ("qpv-domaine-vallee", "Le Domaine de la Vallée", "mantes-la-ville", 1.7060, 48.9700, 380),
    ("qpv-cinq-quartiers", "Les Cinq Quartiers", "les-mureaux", 1.9080, 48.9850, 520),
    ("qpv-la-noe", "La Noé", "chanteloup-les-vignes", 2.0290, 48.9800, 400),
    ("qpv-beauregard", "Beauregard", "poissy", 2.0330, 48.9340, 420),
]

# Street names for the embedded address search of the filing map (web.views_geocode), used when no
# GEOCODER_URL is set: (commune code, street, lon, lat). Common French street names placed at FICTIONAL
# points near each town centre (not where such a street may really be): the search marks them so.
DEMO_STREETS = [
    ("mantes-la-jolie", "Rue Nationale", 1.7190, 48.9905),
    ("mantes-la-jolie", "Avenue de la République", 1.7150, 48.9890),
    ("mantes-la-jolie", "Boulevard du Maréchal Juin", 1.7030, 48.9950),
    ("mantes-la-jolie", "Rue de la Gare", 1.7220, 48.9870),
    ("mantes-la-jolie", "Place du Marché", 1.7175, 48.9915),
    ("mantes-la-ville", "Rue de la Mairie", 1.7110, 48.9725),
    ("mantes-la-ville", "Avenue Jean Jaurès", 1.7080, 48.9705),
    ("mantes-la-ville", "Rue du Domaine", 1.7060, 48.9700),
    ("limay", "Rue de la Mairie", 1.7430, 49.0025),
    ("limay", "Quai de la Seine", 1.7400, 49.0005),
    ("les-mureaux", "Rue Paul Doumer", 1.9180, 48.9880),
    ("les-mureaux", "Avenue de la République", 1.9150, 48.9865),
    ("les-mureaux", "Rue des Écoles", 1.9090, 48.9850),
    ("chanteloup-les-vignes", "Rue de la Noé", 2.0295, 48.9800),
    ("chanteloup-les-vignes", "Rue de la Mairie", 2.0325, 48.9790),
    ("carrieres-sous-poissy", "Rue de la Mairie", 2.0405, 48.9465),
    ("carrieres-sous-poissy", "Avenue de la Seine", 2.0420, 48.9470),
    ("poissy", "Rue du Général de Gaulle", 2.0470, 48.9295),
    ("poissy", "Avenue de Beauregard", 2.0400, 48.9310),
    ("poissy", "Boulevard de la Paix", 2.0450, 48.9280),
    ("conflans-sainte-honorine", "Rue Maurice Berteaux", 2.0975, 48.9995),
    ("conflans-sainte-honorine", "Quai de la République", 2.0960, 48.9985),
]

CU_CODE = "gpso"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    organisation: str
    unit: str | None
    roles: tuple
    superuser: bool = False


DEMO_PASSWORD = "demo"
DEMO_USERS = [
    DemoUser(
        "demo-commune", "Camille", "Martin (fictif)", "mantes-la-jolie", None, (Role.REFERENT, Role.REQUESTER)
    ),
    DemoUser(
        "demo-commune-2", "Sami", "Benali (fictif)", "les-mureaux", None, (Role.REFERENT, Role.REQUESTER)
    ),
    DemoUser("demo-ctc", "Julien", "Petit (fictif)", CU_CODE, "ctc-mantois", (Role.AGENT,)),
    DemoUser(
        "demo-ctc-lead", "Nadia", "Roux (fictif)", CU_CODE, "ctc-mantois", (Role.AGENT, Role.SUPERVISOR)
    ),
    DemoUser("demo-dvq", "Claire", "Lefèvre (fictif)", CU_CODE, "dvq", (Role.DVQ_OFFICER,)),
    DemoUser("demo-waste", "Karim", "Diallo (fictif)", CU_CODE, "dir-dechets", (Role.AGENT,)),
    DemoUser(
        "demo-landlord",
        "Élise",
        "Moreau (fictif)",
        "residences-mantois",
        "residences-mantois-agence",
        (Role.AGENT,),
    ),
    DemoUser("demo-admin", "Alex", "Durand (fictif)", CU_CODE, None, (Role.ADMINISTRATOR,), superuser=True),
]


def _disc(lon, lat, radius_m, quad_segs=8):
    """A polygon approximating a circle of radius_m metres around (lon, lat)."""
    circle = Point(0, 0).buffer(1, quad_segs=quad_segs)
    return Polygon(
        [
            (lon + x * radius_m / M_PER_DEG_LON, lat + y * radius_m / M_PER_DEG_LAT)
            for x, y in circle.exterior.coords
        ]
    )


def commune_shapes():
    centres = MultiPoint([(lon, lat) for _i, _n, _c, lon, lat in COMMUNES])
    envelope = box(1.55, 48.85, 2.25, 49.10)
    cells = voronoi_diagram(centres, envelope=envelope)
    shapes = {}
    for insee, _name, code, lon, lat in COMMUNES:
        centre = Point(lon, lat)
        cell = next(poly for poly in cells.geoms if poly.contains(centre))
        shapes[code] = cell.intersection(_disc(lon, lat, 3200)).intersection(envelope)
        assert shapes[code].is_valid and not shapes[code].is_empty, insee
    return shapes


def _upsert(model, lookup, **values):
    """Create or update by lookup, writing only when something differs (so a second load writes nothing)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values)
    changed = [field for field, value in values.items() if getattr(obj, field) != value]
    if changed:
        for field in changed:
            setattr(obj, field, values[field])
        obj.save(update_fields=changed)
    return obj


def _save_shape(obj, shape, **values):
    """Set a perimeter's or parcel's geometry, area and fields; save only if one of them changed."""
    before = (obj.geometry if obj.pk else None, *(getattr(obj, field) for field in values))
    if obj.pk is None or before[0] != geo.geojson_from_shape(shape):
        obj.set_geometry(geo.geojson_from_shape(shape))
        obj.area_m2 = geo.area_m2(shape)
    for field, value in values.items():
        setattr(obj, field, value)
    if obj.pk is None or before != (obj.geometry, *(getattr(obj, field) for field in values)):
        obj.save()
    return obj


def _upsert_perimeter(layer, code, name, shape, **extra):
    perimeter = Perimeter.objects.filter(layer=layer, code=code).first() or Perimeter(layer=layer, code=code)
    return _save_shape(perimeter, shape, name=name, **extra)


def load_member_communes():
    """All 73 member communes, real names and INSEE codes (directory/data/gpseo-communes.json). Only those of
    COMMUNES get an (approximate) outline in the demo; the others have none until their outline is
    imported (`import_opendata communes`), so a point there is outside the demo territory."""
    outlined = {insee for insee, *_rest in COMMUNES}
    existing = set(Organisation.objects.filter(kind=OrganisationKind.COMMUNE).values_list("insee", flat=True))
    created = 0
    for member in member_communes():
        if member["insee"] in outlined or member["insee"] in existing:
            continue
        _upsert(
            Organisation,
            {"code": slugify(member["name"])},
            name=member["name"],
            kind=OrganisationKind.COMMUNE,
            insee=member["insee"],
        )
        created += 1
    return created


def load_organisations():
    cu = _upsert(
        Organisation,
        {"code": CU_CODE},
        name="Grand Paris Seine & Oise",
        kind=OrganisationKind.CU,
        website="https://gpseo.fr",
    )
    communes = {}
    for insee, name, code, _lon, _lat in COMMUNES:
        communes[code] = _upsert(
            Organisation, {"code": code}, name=name, kind=OrganisationKind.COMMUNE, insee=insee
        )
    load_member_communes()
    _upsert(
        Organisation, {"code": "prefecture-78"}, name="Préfecture des Yvelines", kind=OrganisationKind.STATE
    )
    landlords = {
        "habitat-seine-aval": _upsert(
            Organisation,
            {"code": "habitat-seine-aval"},
            name="Habitat Seine-Aval (fictif)",
            kind=OrganisationKind.LANDLORD,
            email="contact@habitat-seine-aval.example.org",
            is_fictional=True,
        ),
        "residences-mantois": _upsert(
            Organisation,
            {"code": "residences-mantois"},
            name="Résidences du Mantois (fictif)",
            kind=OrganisationKind.LANDLORD,
            email="gestion@residences-mantois.example.org",
            is_fictional=True,
        ),
    }
    contractors = {
        "proprete-vallee": _upsert(
            Organisation,
            {"code": "proprete-vallee"},
            name="Propreté de la Vallée (fictif)",
            kind=OrganisationKind.CONTRACTOR,
            email="exploitation@proprete-vallee.example.org",
            is_fictional=True,
        ),
        "regie-quartier-val": _upsert(
            Organisation,
            {"code": "regie-quartier-val"},
            name="Régie de quartier du Val (fictive)",
            kind=OrganisationKind.CONTRACTOR,
            is_inclusion_enterprise=True,
            email="contact@regie-quartier-val.example.org",
            is_fictional=True,
        ),
    }
    return cu, communes, landlords, contractors


def load_units(cu, communes, landlords, contractors):
    def unit(code, name, kind, organisation, parent=None, territory=(), **extra):
        obj = _upsert(
            Unit,
            {"code": code},
            name=name,
            kind=kind,
            organisation=organisation,
            parent=parent,
            email=f"{code}@example.org",
            **extra,
        )
        obj.territory.set([communes[c] for c in territory])
        return obj

    hours = "lun.–ven. 8h30–12h, 13h30–17h (fictif)"
    proximity = unit("dir-proximite", "Direction de la proximité (fictif)", UnitKind.DIRECTION, cu)
    ctcs = {
        "ctc-mantois": unit(
            "ctc-mantois",
            "CTC du Mantois (fictif)",
            UnitKind.CTC,
            cu,
            proximity,
            ["mantes-la-jolie", "mantes-la-ville", "limay"],
            opening_hours=hours,
        ),
        "ctc-seine-aval": unit(
            "ctc-seine-aval",
            "CTC Seine-Aval (fictif)",
            UnitKind.CTC,
            cu,
            proximity,
            ["les-mureaux", "chanteloup-les-vignes", "carrieres-sous-poissy"],
            opening_hours=hours,
        ),
        "ctc-boucle": unit(
            "ctc-boucle",
            "CTC de la Boucle (fictif)",
            UnitKind.CTC,
            cu,
            proximity,
            ["poissy", "conflans-sainte-honorine"],
            opening_hours=hours,
        ),
    }
    all_communes = [code for _i, _n, code, _x, _y in COMMUNES]
    units = {
        "dir-proximite": proximity,
        **ctcs,
        "dir-dechets": unit(
            "dir-dechets", "Direction des déchets (fictif)", UnitKind.WASTE, cu, None, all_communes
        ),
        "dvq": unit(
            "dvq",
            "Direction de la ville et des quartiers – DVQ (fictif)",
            UnitKind.DVQ,
            cu,
            None,
            all_communes,
        ),
    }
    for code, org in {**landlords, **contractors}.items():
        units[f"{code}-agence"] = unit(f"{code}-agence", f"{org.name} – agence", UnitKind.AGENCY, org)
    for code, org in communes.items():
        units[f"{code}-st"] = unit(f"{code}-st", f"Services techniques – {org.name}", UnitKind.SERVICE, org)
    return units


def load_perimeters(communes, units):
    shapes = commune_shapes()
    for _insee, name, code, _lon, _lat in COMMUNES:
        _upsert_perimeter(Layer.COMMUNES, code, name, shapes[code], commune=communes[code])
    for ctc_code in ("ctc-mantois", "ctc-seine-aval", "ctc-boucle"):
        ctc = units[ctc_code]
        sector = unary_union([shapes[c.code] for c in ctc.territory.all()])
        _upsert_perimeter(Layer.SECTORS, f"secteur-{ctc_code}", f"Secteur {ctc.name}", sector, unit=ctc)
    qpvs = {}
    for code, name, commune_code, lon, lat, radius in QPVS:
        shape = _disc(lon, lat, radius).intersection(shapes[commune_code])
        qpvs[code] = (_upsert_perimeter(Layer.QPV, code, name, shape, commune=communes[commune_code]), shape)
    return qpvs


def _owner_for(rng, weights):
    codes = [code for code, _w in weights]
    return rng.choices(codes, weights=[w for _c, w in weights])[0]


# For each QPV, who owns the land around it: (organisation code or None for private, weight).
LAND_OWNERSHIP = {
    "qpv-val-fourre": [("residences-mantois", 55), ("gpso", 20), ("mantes-la-jolie", 15), (None, 10)],
    "qpv-domaine-vallee": [("habitat-seine-aval", 45), ("mantes-la-ville", 35), (None, 20)],
    "qpv-cinq-quartiers": [("habitat-seine-aval", 50), ("gpso", 25), ("les-mureaux", 15), (None, 10)],
    "qpv-la-noe": [("residences-mantois", 40), ("habitat-seine-aval", 30), ("gpso", 30)],
    "qpv-beauregard": [("habitat-seine-aval", 35), ("poissy", 45), (None, 20)],
}
PARCEL_SIZE_M = 90.0


def load_parcels(qpvs):
    """A grid of parcels over each QPV, owners drawn with a fixed seed (fictional)."""
    organisations = {org.code: org for org in Organisation.objects.all()}
    public_kinds = {OrganisationKind.CU, OrganisationKind.COMMUNE}
    count = 0
    for qpv_code, (_perimeter, shape) in qpvs.items():
        rng = random.Random(qpv_code)
        minx, miny, maxx, maxy = shape.bounds
        dx, dy = PARCEL_SIZE_M / M_PER_DEG_LON, PARCEL_SIZE_M / M_PER_DEG_LAT
        row = 0
        y = miny
        while y < maxy:
            col, x = 0, minx
            while x < maxx:
                cell = box(x, y, x + dx, y + dy)
                if cell.intersects(shape):
                    owner_code = _owner_for(rng, LAND_OWNERSHIP[qpv_code])
                    owner = organisations.get(owner_code) if owner_code else None
                    ref = f"{qpv_code.removeprefix('qpv-').upper()}-{row:02d}{col:02d}"
                    parcel = Parcel.objects.filter(ref=ref).first() or Parcel(ref=ref)
                    domain = Domain.PUBLIC if owner and owner.kind in public_kinds else Domain.PRIVATE
                    _save_shape(parcel, cell, owner=owner, domain=domain)
                    count += 1
                col, x = col + 1, x + dx
            row, y = row + 1, y + dy
    return count


def load_users():
    organisations = {org.code: org for org in Organisation.objects.all()}
    units = {unit.code: unit for unit in Unit.objects.all()}
    created = []
    for spec in DEMO_USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User(username=spec.username)
            user.set_password(DEMO_PASSWORD)
            created.append(spec.username)
        user.first_name, user.last_name = spec.first_name, spec.last_name
        user.email = f"{spec.username}@example.org"
        user.organisation = organisations[spec.organisation]
        user.unit = units[spec.unit] if spec.unit else None
        user.is_staff = user.is_superuser = spec.superuser
        user.save()
        for role in spec.roles:
            RoleAssignment.objects.get_or_create(user=user, role=role)
        user.role_assignments.exclude(role__in=spec.roles).delete()
    return created


# Stable referents (fictional people): (organisation code, unit code or None, first, last, function, title).
GUP, HEAD, CTC = Referent.Function.GUP_REFERENT, Referent.Function.MANAGER, Referent.Function.CTC_CONTACT
AGENCY = Referent.Function.AGENCY_CONTACT
REFERENTS = [
    ("mantes-la-jolie", None, "Camille", "Martin (fictif)", GUP, "Référente GUP"),
    ("mantes-la-ville", None, "Hugo", "Bernard (fictif)", GUP, "Référent GUP"),
    ("limay", None, "Inès", "Garcia (fictif)", GUP, "Référente GUP"),
    ("les-mureaux", None, "Sami", "Benali (fictif)", GUP, "Référent GUP"),
    ("chanteloup-les-vignes", None, "Léa", "Fontaine (fictif)", GUP, "Référente GUP"),
    ("carrieres-sous-poissy", None, "Yanis", "Roche (fictif)", GUP, "Référent GUP"),
    ("poissy", None, "Manon", "Girard (fictif)", GUP, "Référente GUP"),
    ("conflans-sainte-honorine", None, "Louis", "Blanc (fictif)", GUP, "Référent GUP"),
    (CU_CODE, "dir-proximite", "Sophie", "Laurent (fictif)", HEAD, "Directrice de la proximité"),
    (CU_CODE, "ctc-mantois", "Nadia", "Roux (fictif)", HEAD, "Responsable du CTC"),
    (CU_CODE, "ctc-mantois", "Julien", "Petit (fictif)", CTC, "Agent de maîtrise"),
    (CU_CODE, "ctc-seine-aval", "Thomas", "Mercier (fictif)", CTC, "Agent de maîtrise"),
    (CU_CODE, "ctc-boucle", "Aïcha", "Fabre (fictif)", CTC, "Agente de maîtrise"),
    (CU_CODE, "dir-dechets", "Karim", "Diallo (fictif)", HEAD, "Chef du service collecte"),
    (CU_CODE, "dvq", "Claire", "Lefèvre (fictif)", GUP, "Chargée de mission GUP"),
    ("residences-mantois", "residences-mantois-agence", "Élise", "Moreau (fictif)",
     AGENCY, "Responsable d'agence"),
    ("habitat-seine-aval", "habitat-seine-aval-agence", "Marc", "Dupuis (fictif)",
     AGENCY, "Gestionnaire de secteur"),
    ("regie-quartier-val", "regie-quartier-val-agence", "Fatou", "Sy (fictif)",
     AGENCY, "Encadrante technique"),
    ("proprete-vallee", "proprete-vallee-agence", "Paul", "Leroy (fictif)",
     AGENCY, "Chef d'exploitation"),
]  # fmt: skip

WASTE_CATEGORIES = ("encombrants", "depot-sauvage", "dechets-diffus")
# "vehicule-ventouse" (abandoned vehicles) has no competence on purpose: the resolver's last rule sends
# it to the CTC of the territory, flagged "to qualify".
CTC_CATEGORIES = (
    "tags", "eclairage", "chaussee", "signalisation", "assainissement", "espaces-verts", "aire-de-jeux",
    "nuisibles",
)  # fmt: skip
# What landlords and communes handle on their own land (rule 3 of the routing).
LANDLORD_CATEGORIES = ("espaces-verts", "aire-de-jeux", "tags", "dechets-diffus")
COMMUNE_CATEGORIES = ("espaces-verts", "aire-de-jeux")
# A seasonal competence: mowing by a contractor in the Mantois, April to mid-October.
SEASONAL = (
    "proprete-vallee-agence",
    "espaces-verts",
    "04-01",
    "10-15",
    ["mantes-la-jolie", "mantes-la-ville"],
)


def load_referents():
    organisations = {org.code: org for org in Organisation.objects.all()}
    units = {unit.code: unit for unit in Unit.objects.all()}
    for position, (org_code, unit_code, first, last, function, title) in enumerate(REFERENTS):
        slug = f"{first}.{last.split(' ')[0]}".lower().encode("ascii", "ignore").decode()
        _upsert(
            Referent,
            {"organisation": organisations[org_code], "first_name": first, "last_name": last},
            unit=units[unit_code] if unit_code else None,
            function=function,
            title=title,
            email=f"{slug}@example.org",
            phone=f"01 30 00 {position // 10:02d} {position % 100:02d}",
            position=position,
            is_fictional=True,
        )
    return len(REFERENTS)


def _competence(unit, category, *, communes=(), season=("", ""), direct=False, note=""):
    obj = _upsert(
        Competence,
        {"unit": unit, "category": category, "season_start": season[0]},
        season_end=season[1],
        direct_handling=direct,
        note=note,
    )
    obj.communes.set(communes)
    return obj


def load_competences(units, communes):
    from procedures.models import Category

    categories = {category.code: category for category in Category.objects.all()}
    count = 0
    for code in WASTE_CATEGORIES:
        _competence(units["dir-dechets"], categories[code], direct=True, note="Traitement direct des déchets")
        count += 1
    for ctc_code in ("ctc-mantois", "ctc-seine-aval", "ctc-boucle"):
        for code in CTC_CATEGORIES:
            _competence(units[ctc_code], categories[code])  # the CTC's own territory
            count += 1
    for landlord in ("residences-mantois", "habitat-seine-aval"):
        for code in LANDLORD_CATEGORIES:
            _competence(units[f"{landlord}-agence"], categories[code], note="Sur le patrimoine du bailleur")
            count += 1
    for commune in communes:
        for code in COMMUNE_CATEGORIES:
            _competence(units[f"{commune}-st"], categories[code], note="Sur le domaine communal")
            count += 1
    unit_code, category, start, end, where = SEASONAL
    _competence(
        units[unit_code],
        categories[category],
        communes=[communes[c] for c in where],
        season=(start, end),
        note="Tonte en saison (fictif)",
    )
    return count + 1


SUBSECTOR_CELLS = 4  # a sub-sector is a block of 4 x 4 demo parcels


def _best_block(qpv_code, owner_code):
    """The 4 x 4 block of the QPV's parcel grid where owner_code holds the most cells (deterministic)."""
    prefix = qpv_code.removeprefix("qpv-").upper() + "-"
    cells = {}
    for parcel in Parcel.objects.filter(ref__startswith=prefix).select_related("owner"):
        row, col = int(parcel.ref[-4:-2]), int(parcel.ref[-2:])
        cells[row, col] = parcel
    best = None
    for row, col in sorted(cells):
        block = [
            cells.get((row + i, col + j)) for i in range(SUBSECTOR_CELLS) for j in range(SUBSECTOR_CELLS)
        ]
        if None in block:
            continue
        owned = sum(1 for parcel in block if parcel.owner and parcel.owner.code == owner_code)
        if best is None or owned > best[0]:
            best = (owned, block)
    shape = unary_union([parcel.shape() for parcel in best[1]]).envelope
    return shape


def load_subsectors(communes, units):
    """Two sub-sectors: one managed by a landlord owning > 60 % of it, one with an explicit split."""
    from procedures.models import Category

    categories = {category.code: category for category in Category.objects.all()}
    delegated = _upsert_perimeter(
        Layer.SUBSECTORS,
        "ss-val-fourre-peintres",
        "Résidence des Peintres – Val Fourré (fictif)",
        _best_block("qpv-val-fourre", "residences-mantois"),
        commune=communes["mantes-la-jolie"],
    )
    split = _upsert_perimeter(
        Layer.SUBSECTORS,
        "ss-cinq-quartiers-molieres",
        "Secteur des Molières – Les Cinq Quartiers (fictif)",
        _best_block("qpv-cinq-quartiers", "habitat-seine-aval"),
        commune=communes["les-mureaux"],
        delegation_threshold_pct=100,  # an explicit split instead of delegated management
    )
    splits = [
        ("dechets-diffus", "regie-quartier-val-agence", "Ramassage des papiers et vidage des corbeilles"),
        ("espaces-verts", "proprete-vallee-agence", "Tonte et taille des espaces partagés"),
        ("tags", "habitat-seine-aval-agence", "Effacement des tags sur le patrimoine"),
        ("encombrants", "dir-dechets", "Enlèvement des encombrants"),
    ]
    for category, unit, note in splits:
        _upsert(
            SplitRule, {"perimeter": split, "category": categories[category]}, unit=units[unit], note=note
        )
    return [delegated, split]


def load_territory():
    from procedures.demo import load_categories

    with one_bump():
        cu, communes, landlords, contractors = load_organisations()
        units = load_units(cu, communes, landlords, contractors)
        qpvs = load_perimeters(communes, units)
        parcels = load_parcels(qpvs)
        load_categories()  # idempotent; competences and splits refer to the categories
        referents = load_referents()
        competences = load_competences(units, communes)
        subsectors = load_subsectors(communes, units)
        recompute_delegations(Perimeter.objects.filter(pk__in=[s.pk for s in subsectors]))
        created = load_users()
    return {
        "communes": len(communes),
        "qpv": len(qpvs),
        "parcels": parcels,
        "referents": referents,
        "competences": competences,
        "users_created": created,
    }
