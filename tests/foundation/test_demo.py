from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from shapely.geometry import shape

from directory import demo
from directory.models import Layer, Organisation, OrganisationKind, Parcel, Perimeter, Unit, UnitKind, User
from procedures.models import Category

PROJECT_APPS = ("directory", "procedures", "engine")


def snapshot():
    rows = {}
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS or model._meta.label == "auth.Group":
            rows[model._meta.label] = sorted(map(repr, model.objects.order_by("pk").values()))
    return rows


def test_load_demo_twice_leaves_the_same_rows(db):
    call_command("load_demo", stdout=StringIO())
    first = snapshot()
    call_command("load_demo", stdout=StringIO())
    assert snapshot() == first


def test_the_demo_territory_has_what_the_product_needs(db):
    call_command("load_demo", "--without-requests", stdout=StringIO())
    communes = Organisation.objects.filter(kind=OrganisationKind.COMMUNE)
    # All 73 member communes of the community by their real name and INSEE code (@etalab's package).
    assert communes.count() == 73
    assert all(len(c.insee) == 5 and c.insee.startswith("78") for c in communes)
    assert communes.get(insee="78361").name == "Mantes-la-Jolie"
    commune_shapes = {p.commune_id: shape(p.geometry) for p in Perimeter.objects.filter(layer=Layer.COMMUNES)}
    outlined = {insee for insee, *_rest in demo.COMMUNES}
    assert set(commune_shapes) == set(communes.filter(insee__in=outlined).values_list("pk", flat=True))
    qpvs = Perimeter.objects.filter(layer=Layer.QPV)
    assert qpvs.count() >= 4
    for qpv in qpvs:
        assert commune_shapes[qpv.commune_id].buffer(1e-9).contains(shape(qpv.geometry))
    ctcs = Unit.objects.filter(kind=UnitKind.CTC)
    assert ctcs.count() >= 2 and all(ctc.territory.exists() for ctc in ctcs)
    assert (
        Unit.objects.filter(kind=UnitKind.WASTE).exists() and Unit.objects.filter(kind=UnitKind.DVQ).exists()
    )
    assert Organisation.objects.filter(kind=OrganisationKind.LANDLORD).count() >= 2
    contractors = Organisation.objects.filter(kind=OrganisationKind.CONTRACTOR)
    assert contractors.count() >= 2 and contractors.filter(is_inclusion_enterprise=True).exists()
    assert Parcel.objects.count() >= 200
    assert {p.owner.kind for p in Parcel.objects.exclude(owner=None)} >= {"cu", "commune", "landlord"}
    assert Category.objects.count() >= 12
    assert Category.objects.values("group").distinct().count() >= 3
    assert not Organisation.objects.filter(kind=OrganisationKind.LANDLORD, is_fictional=False).exists()


def test_the_demo_users_work_where_the_readme_says(db):
    call_command("load_demo", "--without-requests", stdout=StringIO())
    users = {u.username: u for u in User.objects.select_related("organisation", "unit")}
    for name in ("demo-commune", "demo-commune-2", "demo-ctc", "demo-ctc-lead", "demo-dvq", "demo-waste",
                 "demo-landlord", "demo-admin"):  # fmt: skip
        assert users[name].check_password("demo"), name
    commune = users["demo-commune"].organisation
    assert users["demo-commune-2"].organisation != commune
    assert users["demo-ctc"].unit == users["demo-ctc-lead"].unit
    assert users["demo-ctc"].unit.territory.filter(pk=commune.pk).exists()
    assert users["demo-ctc-lead"].has_role("supervisor") and not users["demo-ctc"].has_role("supervisor")
    assert users["demo-dvq"].unit.kind == UnitKind.DVQ and users["demo-dvq"].has_role("dvq_officer")
    assert users["demo-waste"].unit.kind == UnitKind.WASTE
    landlord = users["demo-landlord"].organisation
    assert landlord.kind == OrganisationKind.LANDLORD
    qpv_shapes = [shape(q.geometry) for q in Perimeter.objects.filter(layer=Layer.QPV, commune=commune)]
    assert any(shape(p.geometry).intersects(q) for p in landlord.parcels.all() for q in qpv_shapes)
    assert users["demo-admin"].is_superuser and users["demo-admin"].is_staff


def test_load_demo_refuses_to_run_in_production_and_creates_nothing(db, settings):
    from directory.models import User

    settings.PRODUCTION = True
    with pytest.raises(CommandError) as refused:
        call_command("load_demo", stdout=StringIO())
    assert str(refused.value) == (
        "load_demo refuses to run with DJANGO_ENV=production: its accounts share the password 'demo'."
    )
    assert not User.objects.filter(username="demo-admin").exists()


def test_load_demo_files_months_of_fictional_requests_in_every_state_for_every_role(db):
    import datetime

    from django.utils import timezone

    from engine.models import Alert, AlertState, AuditEntry
    from procedures.models import InterventionRequest, Urgency
    from web import queries

    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "Demo requests (fictional)" in out.getvalue()
    requests = InterventionRequest.objects.all()
    assert requests.count() >= 80
    assert not requests.exclude(description__endswith="(fictif)").exists()
    states = set(requests.values_list("case__state", flat=True))
    assert states >= {"submitted", "acknowledged", "qualified", "planned", "in_progress", "waiting", "done",
                      "closed", "rejected", "redirected", "duplicate"}  # fmt: skip
    events = set(AuditEntry.objects.values_list("event", flat=True))
    assert {"opened", "transition", "alert_raised", "alert_answered", "alert_closed"} <= events
    transitions = set(
        AuditEntry.objects.filter(event="transition").values_list("data__transition", flat=True)
    )
    assert {"reopen", "redirect", "mark_duplicate", "confirm", "auto_close"} <= transitions, transitions
    # The history is spread over the last four months, written through the actions at their own times,
    # after two years of finished requests (for the annual review and its year-over-year comparison).
    oldest = requests.order_by("created_at").first().created_at
    days_ago = (timezone.now() - oldest).days
    assert 2 * 365 <= days_ago <= 2 * 365 + 45
    assert requests.filter(created_at__gte=timezone.now() - datetime.timedelta(days=125)).count() >= 80
    from observation.models import AnnualReview, BacklogSnapshot, Fine, SnapshotMonth

    assert SnapshotMonth.objects.count() >= 24 and BacklogSnapshot.objects.exists() and Fine.objects.exists()
    assert AnnualReview.objects.filter(year=timezone.localdate().year - 1, commune=None).exists()
    assert AuditEntry.objects.filter(at__lt=timezone.now() - datetime.timedelta(days=60)).exists()
    assert len(set(requests.values_list("commune", flat=True))) >= 6
    assert len(set(requests.values_list("category", flat=True))) >= 10
    assert requests.filter(urgency_requested=Urgency.URGENT, urgency_justified=True).exists()
    assert requests.filter(urgency_requested=Urgency.URGENT, urgency_justified=False).exists()
    outcomes = set(Alert.objects.filter(code="urgency_check").values_list("state", "outcome"))
    assert {(AlertState.RAISED, ""), (AlertState.ANSWERED, ""), (AlertState.CLOSED, "upheld"),
            (AlertState.CLOSED, "dismissed")} <= outcomes  # fmt: skip
    users = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
    dvq = users["demo-dvq"]
    assert queries.urgent_requests(dvq).count() > 0
    assert queries.unjustified_urgencies(dvq).count() > 0
    assert all(count > 0 for state, _label, count in queries.alerts_by_state(dvq) if state != "cancelled")
    assert queries.overdue_by_handler(dvq)
    assert all(row["total"] > 0 for row in queries.counts_per_commune(dvq))
    for name in ("demo-commune", "demo-commune-2", "demo-ctc", "demo-ctc-lead", "demo-waste",
                 "demo-landlord"):  # fmt: skip
        assert queries.visible(users[name]).exists(), name
    assert queries.queue_counts(users["demo-ctc"])["team"] > 0
    assert queries.queue_counts(users["demo-waste"])["team"] > 0
    assert not users["demo-agent-ctc-seine-aval"].has_usable_password()  # acts in the history only

    count, audit = requests.count(), AuditEntry.objects.count()
    again = StringIO()
    call_command("load_demo", stdout=again)
    assert (InterventionRequest.objects.count(), AuditEntry.objects.count()) == (count, audit)
    assert "Demo requests" not in again.getvalue()
