"""A few months of fictional demonstration requests, in every state, written through the action layer.

Every request is filed and moved with the same actions the UI and the API call (``do_file_request``,
``do_transition_request``, ``do_redirect_request``, ``do_merge_duplicate``, the DVQ's urgency checks...),
so each has its real audit trail, deadlines, alerts and messages. Their history is spread over the last
``DAYS`` days: the steps run in time order under a demonstration clock (``demo_clock``) that sets the
time the actions read (``django.utils.timezone.now``), and the worker's jobs (deadline sweeper,
auto-close) run at each tick of the simulated time, so missed deadlines raise their alerts when they
were missed. Nothing is written by hand around the actions.

Deterministic (a fixed seed, times relative to the day of loading) and idempotent: when demo requests
exist, nothing is added. Every description ends with "(fictif)".
"""

import contextlib
import datetime
import heapq
import random
from zoneinfo import ZoneInfo

from django.apps import apps
from django.utils import timezone
from shapely.geometry import Point

from directory.models import Organisation, OrganisationKind, RoleAssignment, Unit, User
from directory.roles import Role
from procedures.models import Category, InterventionRequest, Urgency

FICTIONAL_MARK = "(fictif)"
SEED = 20260801
DAYS = 120
COUNT = 90
# Before those months, two years of finished requests, fewer a month, so that the annual review and its
# year-over-year comparison mean something (observation/). The worker ticks once a day there.
HISTORY_DAYS = 2 * 365 + 30
HISTORY_COUNT = 120
SWEEP_EVERY = datetime.timedelta(hours=6)  # the worker's tick, in the demo's simulated time
HISTORY_SWEEP_EVERY = datetime.timedelta(days=1)
PARIS = ZoneInfo("Europe/Paris")

DESCRIPTIONS = {
    "encombrants": ["Canapé et matelas déposés au pied de l'immeuble", "Armoire démontée sur le trottoir"],
    "depot-sauvage": ["Sacs de gravats abandonnés le long du parking", "Déchets verts déposés au stade"],
    "dechets-diffus": ["Corbeilles débordantes autour de l'arrêt de bus", "Papiers et canettes sur la place"],
    "tags": ["Tag sur la façade de l'école", "Graffitis sur l'abribus"],
    "eclairage": ["Trois candélabres éteints dans l'allée", "Lampadaire allumé en plein jour"],
    "chaussee": ["Nid-de-poule devant le passage piéton", "Trottoir soulevé par une racine"],
    "signalisation": ["Panneau stop couché sur le bas-côté", "Marquage du passage piéton effacé"],
    "assainissement": ["Avaloir bouché, flaque permanente", "Odeurs d'égout au carrefour"],
    "espaces-verts": ["Haie qui déborde sur le cheminement", "Branche cassée au-dessus du banc"],
    "aire-de-jeux": ["Toboggan fendu", "Sol souple décollé sous la balançoire"],
    "vehicule-ventouse": ["Voiture sans plaques stationnée depuis trois semaines", "Épave brûlée au parking"],
    "nuisibles": ["Rats aperçus près des conteneurs", "Nid de frelons dans un arbre de la place"],
}
ATTRIBUTES = {"encombrants": {"volume": 3}, "depot-sauvage": {"nature": ["gravats"]}}

# What happens to a request after filing: (hours after filing, step). Steps whose time is still in the
# future when the demo is loaded are not run: recent requests stay in their first states.
WORKED = [(3, "acknowledge"), (26, "qualify")]
SCENARIOS = [
    ("submitted", 6, []),
    ("acknowledged", 6, [(3, "acknowledge")]),
    ("qualified", 6, WORKED),
    ("planned", 6, [*WORKED, (50, "plan")]),
    ("in_progress", 8, [*WORKED, (98, "start_work")]),
    ("waiting", 5, [*WORKED, (74, "wait")]),
    ("done", 8, [*WORKED, (98, "start_work"), (170, "finish")]),
    ("closed", 18, [*WORKED, (98, "start_work"), (170, "finish"), (200, "confirm")]),
    ("closed_by_supervisor", 3, [*WORKED, (98, "start_work"), (170, "finish"), (190, "auto_close")]),
    ("rejected", 5, [(5, "reject")]),
    ("redirected", 5, [(4, "redirect")]),
    ("redirected_then_worked", 3, [(4, "redirect"), (28, "acknowledge"), (50, "qualify")]),
    ("duplicate", 5, [(2, "merge")]),
    ("reopened", 5, [*WORKED, (98, "start_work"), (170, "finish"), (220, "reopen")]),
    ("overdue", 4, [(3, "acknowledge")]),  # left waiting long past its deadlines: alerts
]
# The history's requests all end: closed by the commune or the supervisor, rejected, merged, or
# reopened and done again.
HISTORY_SCENARIOS = [
    ("closed", 20, [*WORKED, (98, "start_work"), (170, "finish"), (200, "confirm")]),
    ("closed_late", 6, [*WORKED, (98, "start_work"), (330, "finish"), (360, "confirm")]),
    ("closed_by_supervisor", 3, [*WORKED, (98, "start_work"), (170, "finish"), (190, "auto_close")]),
    ("closed_after_wait", 4, [*WORKED, (74, "wait"), (140, "start_work"), (190, "finish"), (220, "confirm")]),
    ("rejected", 4, [(5, "reject")]),
    ("duplicate", 3, [(2, "merge")]),
    ("reopened_closed", 3, [
        *WORKED, (98, "start_work"), (170, "finish"), (220, "reopen"), (240, "start_work"),
        (290, "finish"), (320, "confirm"),
    ]),
]  # fmt: skip
# Days since filing, where the scenario needs it (others: any day of the period).
AGES = {"submitted": (1, 20), "acknowledged": (1, 20), "overdue": (20, 60), "done": (8, 17)}
# Urgent requests: (kind, weight, with an urgency criterion, DVQ steps). Filed urgent without a
# criterion, a request opens its urgency check at once; with one, the DVQ may still raise a check.
URGENCIES = [
    ("normal", 76, False, []),
    ("justified", 7, True, []),
    ("justified_checked", 3, True, [(4, "raise_check"), (9, "justify"), (30, "dismiss")]),
    ("unjustified_open", 4, False, []),
    ("unjustified_answered", 3, False, [(6, "justify")]),
    ("unjustified_dismissed", 3, False, [(6, "justify"), (30, "dismiss")]),
    ("unjustified_upheld", 4, False, [(80, "uphold")]),
]


class DemoClock:
    """The time the actions read while the demo's history is written (see the module docstring)."""

    def __init__(self, at):
        self.at = at

    def __call__(self):
        return self.at


@contextlib.contextmanager
def demo_clock(at):
    """Set django.utils.timezone.now, and the model fields whose default is it, to a movable clock."""
    real_now = timezone.now
    clock = DemoClock(at)
    fields = [
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if getattr(field, "default", None) is real_now
    ]

    def set_default(value):
        for field in fields:
            field.default = value
            field.__dict__.pop("_get_default", None)  # Field caches its default callable

    timezone.now = clock
    set_default(clock)
    try:
        yield clock
    finally:
        timezone.now = real_now
        set_default(real_now)


def _fictional_user(username, organisation, unit, roles, first_name, last_name):
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, first_name=first_name, last_name=last_name)
        user.set_unusable_password()  # acts in the demo's history only; nobody logs in as them
        user.email = f"{username}@example.org"
        user.organisation, user.unit = organisation, unit
        user.save()
        for role in roles:
            RoleAssignment.objects.get_or_create(user=user, role=role)
    return user


class Cast:
    """Who acts: the demo accounts where they exist, else one fictional person per unit and role."""

    def __init__(self):
        self.cache = {}
        self.dvq = User.objects.get(username="demo-dvq")

    def _member(self, unit, organisation, role):
        key = (unit.pk if unit else None, organisation.pk, role)
        if key not in self.cache:
            users = User.objects.filter(organisation=organisation, unit=unit, role_assignments__role=role)
            user = users.filter(username__startswith="demo-").order_by("pk").first()
            if user is None:
                code = (unit.code if unit else organisation.code)[:100]
                label = unit.name if unit else organisation.name
                user = _fictional_user(
                    f"demo-{role}-{code}", organisation, unit, [role], "Agent", f"{label} {FICTIONAL_MARK}"
                )
            self.cache[key] = user
        return self.cache[key]

    def filer(self, commune):
        key = ("filer", commune.pk)
        if key not in self.cache:
            user = (
                User.objects.filter(organisation=commune, role_assignments__role=Role.REQUESTER)
                .filter(username__startswith="demo-")
                .order_by("pk")
                .first()
            )
            self.cache[key] = user or _fictional_user(
                f"demo-referent-{commune.code}"[:150],
                commune,
                None,
                [Role.REFERENT, Role.REQUESTER],
                "Référent",
                f"{commune.name} {FICTIONAL_MARK}",
            )
        return self.cache[key]

    def handler(self, request):
        if request.handler_unit_id:
            return self._member(request.handler_unit, request.handler_unit.organisation, Role.AGENT)
        return self._member(None, request.handler_organisation, Role.AGENT)

    def supervisor(self, request):
        unit = request.dispatcher_unit or request.handler_unit  # directly handled: its own unit
        return self._member(unit, unit.organisation, Role.SUPERVISOR)


def _points(rng, commune_shapes, communes):
    """Random points inside the demo communes (more in the two with demo accounts); one in eight on a
    landlord's land, so that landlords have requests to handle."""
    from directory.models import Parcel

    weights = {"mantes-la-jolie": 5, "les-mureaux": 3}
    codes = [code for code in commune_shapes if code in communes]
    landlord_land = [
        (Point((p.min_lon + p.max_lon) / 2, (p.min_lat + p.max_lat) / 2))
        for p in Parcel.objects.filter(owner__kind=OrganisationKind.LANDLORD).order_by("ref")
    ]
    while True:
        if landlord_land and rng.random() < 0.125:
            point = rng.choice(landlord_land)
            code = next((c for c in codes if commune_shapes[c].contains(point)), None)
            if code is not None:
                yield communes[code], round(point.x, 6), round(point.y, 6)
                continue
        code = rng.choices(codes, weights=[weights.get(c, 1) for c in codes])[0]
        shape = commune_shapes[code].buffer(-0.002)
        minx, miny, maxx, maxy = shape.bounds
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shape.contains(Point(lon, lat)):
            yield communes[code], round(lon, 6), round(lat, 6)


def _at_business_hour(rng, day):
    hour = rng.choice([8, 9, 10, 11, 14, 15, 16])
    moment = datetime.datetime.combine(day, datetime.time(hour, rng.randrange(60)), tzinfo=PARIS)
    while moment.weekday() >= 5:
        moment -= datetime.timedelta(days=1)
    return moment


class History:
    """The steps of every demo request, run in time order under the demo clock."""

    def __init__(self, clock, cast, rng, now):
        self.clock, self.cast, self.rng, self.now = clock, cast, rng, now
        self.queue, self.sequence, self.counts = [], 0, {}
        self.last_sweep = None

    def at(self, moment, step, *args):
        if moment < self.now:
            heapq.heappush(self.queue, (moment, self.sequence, step, args))
            self.sequence += 1

    def run(self):
        from engine.sweeper import sweep

        while self.queue:
            moment, _seq, step, args = heapq.heappop(self.queue)
            self._sweep_until(moment, sweep)
            self.clock.at = moment
            step(*args)
        self._sweep_until(self.now, sweep)

    def _sweep_until(self, moment, sweep):
        """What the worker does while time passes: fire due escalations (every hour) and close the
        requests left done without the commune's answer (GUP_AUTO_CLOSE_DAYS, every day)."""
        from procedures.actions import auto_close_done_requests

        if self.last_sweep is None:
            self.last_sweep = moment
        recent = self.now - datetime.timedelta(days=DAYS)
        while (
            self.last_sweep + (every := SWEEP_EVERY if self.last_sweep >= recent else HISTORY_SWEEP_EVERY)
            <= moment
        ):
            self.last_sweep += every
            self.clock.at = self.last_sweep
            sweep(now=self.last_sweep)
            if self.last_sweep.date() != (self.last_sweep - every).date():
                auto_close_done_requests(now=self.last_sweep)


def _file(history, holder, commune, lon, lat, category, urgency, criteria, description):
    from procedures.actions import do_file_request

    holder["request"] = do_file_request(
        acting_user=history.cast.filer(commune),
        category=category,
        description=description,
        lon=lon,
        lat=lat,
        address=f"{history.rng.randrange(1, 90)} rue des Tilleuls {FICTIONAL_MARK}",
        urgency=urgency,
        urgency_criteria=criteria,
        attributes=ATTRIBUTES.get(category.code, {}),
    )


def _step(history, holder, name, extra=None):
    from procedures import actions

    request = InterventionRequest.objects.select_related(
        "handler_unit__organisation", "handler_organisation", "dispatcher_unit__organisation", "commune"
    ).get(pk=holder["request"].pk)
    cast, clock = history.cast, history.clock
    handler = cast.handler(request)
    transition = actions.do_transition_request
    if name == "plan":
        day = timezone.localdate(clock.at) + datetime.timedelta(days=6)
        transition(request, "plan", acting_user=handler, fields={"planned_date": day.isoformat()})
    elif name == "wait":
        transition(
            request,
            "wait",
            acting_user=handler,
            fields={"waiting_for": "third_party"},
            reason=f"En attente du passage du concessionnaire {FICTIONAL_MARK}.",
        )
    elif name == "finish":
        note = f"Intervention réalisée, site nettoyé et sécurisé {FICTIONAL_MARK}."
        transition(request, "finish", acting_user=handler, fields={"resolution_note": note})
    elif name == "confirm":
        actions.do_confirm_request(request, acting_user=cast.filer(request.commune))
    elif name == "auto_close":
        transition(request, "auto_close", acting_user=cast.supervisor(request))
    elif name == "reopen":
        reason = f"Le problème est revenu deux jours après l'intervention {FICTIONAL_MARK}."
        actions.do_reopen_request(request, acting_user=cast.filer(request.commune), reason=reason)
    elif name == "reject":
        transition(
            request,
            "reject",
            acting_user=handler,
            fields={"turn_to": f"Le syndic de la copropriété {FICTIONAL_MARK}"},
            reason=f"Terrain privé d'une copropriété, hors du domaine public {FICTIONAL_MARK}.",
        )
    elif name == "redirect":
        target = _other_unit(request)
        actions.do_redirect_request(
            request,
            acting_user=handler,
            target=target,
            reason=f"Relève des services techniques de la commune {FICTIONAL_MARK}.",
        )
    elif name == "merge":
        actions.do_merge_duplicate(
            request, extra["request"], acting_user=handler, reason=f"Même signalement {FICTIONAL_MARK}."
        )
    elif name == "raise_check":
        actions.do_raise_urgency_alert(
            request, acting_user=cast.dvq, reason=f"Précisez le danger immédiat {FICTIONAL_MARK}."
        )
    elif name == "justify":
        answer = f"Des enfants passent à côté tous les matins {FICTIONAL_MARK}."
        actions.do_justify_urgency(request, acting_user=cast.filer(request.commune), answer=answer)
    elif name == "dismiss":
        actions.do_dismiss_urgency_alert(request, acting_user=cast.dvq, note=f"Justifiée {FICTIONAL_MARK}.")
    elif name == "uphold":
        actions.do_uphold_urgency_alert(
            request, acting_user=cast.dvq, note=f"Pas d'urgence avérée {FICTIONAL_MARK}."
        )
    else:
        transition(request, name, acting_user=handler)
    history.counts[name] = history.counts.get(name, 0) + 1


def _other_unit(request):
    """Where a redirected request goes: the commune's technical service, or else the commune's CTC."""
    current = request.handler_unit_id
    unit = Unit.objects.filter(code=f"{request.commune.code}-st").exclude(pk=current).first()
    return unit or Unit.objects.filter(kind="ctc", territory=request.commune).exclude(pk=current).first()


def demo_requests_loaded():
    return InterventionRequest.objects.filter(description__endswith=FICTIONAL_MARK).exists()


def load_requests(count=COUNT, days=DAYS, seed=SEED, history_count=HISTORY_COUNT, history_days=HISTORY_DAYS):
    """File and work ``count`` fictional requests over the last ``days`` days, and ``history_count``
    finished ones in the ``history_days`` before them (a little over two years). Returns
    {"requests": n, "steps": {step: n}}; nothing when demo requests are already there."""
    if demo_requests_loaded():
        return {"requests": 0, "steps": {}}
    from directory.demo import commune_shapes
    from procedures.demo import URGENCY_CRITERIA

    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate(now)
    communes = {c.code: c for c in Organisation.objects.filter(kind=OrganisationKind.COMMUNE)}
    categories = list(Category.objects.filter(code__in=DESCRIPTIONS).order_by("code"))
    criteria = {}
    for category_code, code, _label in URGENCY_CRITERIA:
        criteria.setdefault(category_code, []).append(code)
    points = _points(rng, commune_shapes(), communes)
    with demo_clock(now) as clock:
        history = History(clock, Cast(), rng, now)
        batches = [(SCENARIOS, count, None)]
        if history_count:
            batches.append((HISTORY_SCENARIOS, history_count, (days + 15, history_days)))
        plan = [(scenarios, ages) for scenarios, n, ages in batches for _index in range(n)]
        for scenarios, ages in plan:
            scenario, _w, steps = rng.choices(scenarios, weights=[s[1] for s in scenarios])[0]
            age = rng.randrange(*(ages or AGES.get(scenario, (1, days))))
            moment = _at_business_hour(rng, today - datetime.timedelta(days=age))
            if scenario == "submitted":
                moment = min(moment, now - datetime.timedelta(hours=2))
            commune, lon, lat = next(points)
            category = rng.choice(categories)
            urgency = rng.choices(URGENCIES, weights=[u[1] for u in URGENCIES])[0]
            urgency_kind, _w, with_criterion, checks = urgency
            if with_criterion and category.code not in criteria:
                urgency_kind, checks = "normal", []
            urgency = Urgency.NORMAL if urgency_kind == "normal" else Urgency.URGENT
            chosen = [criteria[category.code][0]] if with_criterion and urgency_kind != "normal" else []
            text = f"{rng.choice(DESCRIPTIONS[category.code])} {FICTIONAL_MARK}"
            holder = {}
            if scenario == "duplicate":  # a first report at the same place, a little earlier
                master = {}
                history.at(moment, _file, history, master, commune, lon, lat, category, "normal", [], text)
                for hours, name in WORKED:
                    history.at(moment + datetime.timedelta(hours=hours), _step, history, master, name)
                moment += datetime.timedelta(minutes=40)
                text = f"Même problème, signalé à nouveau par un habitant {FICTIONAL_MARK}"
                steps = [(hours + 2, "merge") for hours, _name in steps]
            else:
                master = None
            history.at(moment, _file, history, holder, commune, lon, lat, category, urgency, chosen, text)
            for hours, name in [*checks, *steps]:
                history.at(moment + datetime.timedelta(hours=hours), _step, history, holder, name, master)
        history.run()
    return {"requests": InterventionRequest.objects.filter(description__endswith=FICTIONAL_MARK).count(),
            "steps": history.counts}  # fmt: skip
