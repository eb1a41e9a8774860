"""Demonstration data of the observation: the backlog snapshots of every month of the demo's history,
a few fines after fly-tipping requests, and last year's draft review of the community. Through the
actions, idempotent (a month already taken, a request already fined, a review already there are kept)."""

import datetime

from django.utils import timezone

from observation.actions import do_generate_annual_review, do_record_fine, do_take_backlog_snapshot
from observation.models import AnnualReview, Fine
from procedures.demo_requests import FICTIONAL_MARK
from procedures.models import InterventionRequest

FINE_EVERY = 3  # one fly-tipping request in three ends with a fine


def load_observation():
    demo = InterventionRequest.objects.filter(description__endswith=FICTIONAL_MARK)
    first = demo.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return {"snapshots": 0, "fines": 0, "reviews": 0}
    month = timezone.localdate(first).replace(day=1)
    this_month = timezone.localdate().replace(day=1)
    snapshots = 0
    while month < this_month:
        snapshots += bool(do_take_backlog_snapshot(month, acting_user=None))
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    fines = 0
    tipping = demo.filter(category__code="depot-sauvage", resolved_at__isnull=False)
    tipping = tipping.order_by("created_at", "pk")
    for index, request in enumerate(tipping):
        if index % FINE_EVERY or Fine.objects.filter(request=request).exists():
            continue
        do_record_fine(
            request,
            issued_on=timezone.localdate(request.resolved_at),
            kind="fly_tipping",
            amount_eur="135" if index % 2 else None,
            acting_user=None,
        )
        fines += 1
    reviews = 0
    last_year = timezone.localdate().year - 1
    if not AnnualReview.objects.filter(year=last_year, commune=None).exists():
        do_generate_annual_review(last_year, None, acting_user=None)
        reviews = 1
    return {"snapshots": snapshots, "fines": fines, "reviews": reviews}
