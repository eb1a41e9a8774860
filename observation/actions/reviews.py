"""The annual review (bilan annuel): generated (figures and charts computed and stored), written by the
GUP project lead (introduction, highlights), published (then frozen), corrected as a new version.

Who: the DVQ's officers (the GUP project lead's team) and administrators; the system (worker, command).
"""

import datetime
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Organisation, OrganisationKind
from directory.roles import Role
from engine import outbox
from engine.errors import InvalidFields
from observation import dashboard
from observation.actions._common import audit as _audit
from observation.actions._common import check as _check
from observation.figures import Filters
from observation.models import AnnualReview, ReviewRun, ReviewState
from observation.scope import SYSTEM
from procedures.models import InterventionRequest
from procedures.scope import is_administrator

MAX_TEXT = 20_000


def may_write_annual_review(acting_user):
    if acting_user is None:
        return True
    return acting_user.is_active and (is_administrator(acting_user) or acting_user.has_role(Role.DVQ_OFFICER))


def _target(review):
    return f"review:{review.year}/{review.commune.insee if review.commune else 'cu'}/v{review.version}"


def year_filters(year, commune):
    return Filters(
        since=datetime.date(year, 1, 1),
        until=datetime.date(year, 12, 31),
        commune_id=commune.pk if commune else None,
    )


def _check_year_has_data(year, commune):
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidFields({"year": _("Expected a year such as 2026.")})
    if commune is not None and commune.kind != OrganisationKind.COMMUNE:
        raise InvalidFields({"commune": _("This organisation is not a commune.")})
    filters = year_filters(year, commune)
    requests = InterventionRequest.objects.filter(created_at__gte=filters.start, created_at__lt=filters.end)
    if commune is not None:
        requests = requests.filter(commune=commune)
    if not requests.exists():
        where = commune.name if commune else _("the community")
        raise InvalidFields(
            {"year": _("No request was filed in %(year)d for %(where)s.") % {"year": year, "where": where}}
        )
    return filters


def compute(year, commune):
    """The review's figures (JSON-ready) and its charts (SVG text), computed now."""
    filters = _check_year_has_data(year, commune)
    context = dashboard.build(SYSTEM, filters)
    charts = context.pop("charts")
    context.pop("density")  # its cells are keyed by tuples; the table (density_rows) is kept
    context.pop("filters")
    context["since"], context["until"] = filters.since, filters.until
    return json.loads(json.dumps(context, cls=DjangoJSONEncoder)), charts


def do_generate_annual_review(year, commune=None, *, acting_user):
    """Compute and store the figures of the year's draft review (created when there is none); a
    published review is never recomputed: correct it instead. Returns the draft."""
    _check(may_write_annual_review(acting_user), _("You may not prepare annual reviews."))
    figures, charts = compute(year, commune)
    with transaction.atomic():
        latest = (
            AnnualReview.objects.select_for_update()
            .filter(year=year, commune=commune)
            .order_by("-version")
            .first()
        )
        if latest is not None and latest.is_published:
            raise InvalidFields(
                {
                    "year": _("The review of %(year)d is published: correct it to make a new version.")
                    % {"year": year}
                }
            )
        created = latest is None
        review = latest or AnnualReview(year=year, commune=commune)
        review.figures, review.charts, review.generated_at = figures, charts, timezone.now()
        review.save()
        _audit("review_generated", _target(review), acting_user, created=created)
        outbox.emit("observation.review_generated", case_id=None, payload={"review": review.pk})
    return review


def do_edit_annual_review(review, *, introduction, highlights, acting_user):
    """The project lead's section; only a draft can be edited."""
    _check(may_write_annual_review(acting_user), _("You may not write annual reviews."))
    errors = {}
    for name, text in (("introduction", introduction), ("highlights", highlights)):
        if len(text or "") > MAX_TEXT:
            errors[name] = _("At most %(n)d characters.") % {"n": MAX_TEXT}
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        review = AnnualReview.objects.select_for_update().get(pk=review.pk)
        if review.is_published:
            raise InvalidFields({"introduction": _("A published review cannot change.")})
        old = {"introduction": review.introduction, "highlights": review.highlights}
        new = {"introduction": (introduction or "").strip(), "highlights": (highlights or "").strip()}
        if old == new:
            return review
        AnnualReview.objects.filter(pk=review.pk).update(**new)
        review.refresh_from_db()
        _audit("review_edited", _target(review), acting_user, old=old, new=new)
    return review


def do_publish_annual_review(review, *, acting_user):
    """Freeze the draft: its figures and charts are recomputed one last time, then never again."""
    _check(may_write_annual_review(acting_user), _("You may not publish annual reviews."))
    figures, charts = compute(review.year, review.commune)
    with transaction.atomic():
        review = AnnualReview.objects.select_for_update().get(pk=review.pk)
        if review.is_published:
            raise InvalidFields({"state": _("This review is already published.")})
        if not review.introduction.strip():
            raise InvalidFields({"introduction": _("Write the introduction before publishing.")})
        now = timezone.now()
        claimed = AnnualReview.objects.filter(pk=review.pk, state=ReviewState.DRAFT).update(
            state=ReviewState.PUBLISHED, figures=figures, charts=charts, generated_at=now,
            published_at=now, published_by=acting_user,
        )  # fmt: skip
        if claimed != 1:  # pragma: no cover - the row is locked
            raise InvalidFields({"state": _("This review is already published.")})
        review.refresh_from_db()
        _audit("review_published", _target(review), acting_user)
        outbox.emit("observation.review_published", case_id=None, payload={"review": review.pk})
    return review


def do_correct_annual_review(review, *, reason, acting_user):
    """A new draft version of a published review, with the reason; the published one stays as it was."""
    _check(may_write_annual_review(acting_user), _("You may not correct annual reviews."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidFields({"reason": _("Say why the review is corrected.")})
    if len(reason) > MAX_TEXT:
        raise InvalidFields({"reason": _("At most %(n)d characters.") % {"n": MAX_TEXT}})
    if not review.is_published:
        raise InvalidFields({"reason": _("Only a published review is corrected; edit the draft instead.")})
    figures, charts = compute(review.year, review.commune)
    with transaction.atomic():
        try:
            with transaction.atomic():
                correction = AnnualReview.objects.create(
                    year=review.year, commune=review.commune, version=review.version + 1,
                    introduction=review.introduction, highlights=review.highlights,
                    correction_reason=reason, figures=figures, charts=charts, generated_at=timezone.now(),
                )  # fmt: skip
        except IntegrityError:
            raise InvalidFields({"reason": _("A newer version of this review already exists.")}) from None
        _audit("review_corrected", _target(correction), acting_user, reason=reason, of=review.pk)
    return correction


# --- generation of every review of a year, in the worker ----------------------------------------------
def do_request_review_run(year, *, acting_user):
    """Queue the generation of the year's reviews (the community's and each commune's with requests).
    Asked again while one is queued or running: that one is returned (no duplicate)."""
    _check(may_write_annual_review(acting_user), _("You may not prepare annual reviews."))
    _check_year_has_data(year, None)
    with transaction.atomic():
        live = ReviewRun.objects.filter(
            year=year, state__in=[ReviewRun.State.QUEUED, ReviewRun.State.RUNNING]
        )
        existing = live.first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                run = ReviewRun.objects.create(year=year, requested_by=acting_user)
        except IntegrityError:  # asked at the same moment by someone else
            return live.get(), False
        _audit("review_run_requested", f"reviews:{year}", acting_user)
    return run, True


def communes_of_year(year):
    filters = year_filters(year, None)
    ids = (
        InterventionRequest.objects.filter(created_at__gte=filters.start, created_at__lt=filters.end)
        .values("commune_id")
        .distinct()
    )
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))


def run_review(run, progress=None):
    """Generate every review of ``run`` (already claimed), counting progress as it goes."""
    communes = communes_of_year(run.year)
    ReviewRun.objects.filter(pk=run.pk).update(total=len(communes) + 1)
    for done, commune in enumerate([None, *communes], start=1):
        published = AnnualReview.objects.filter(year=run.year, commune=commune, state=ReviewState.PUBLISHED)
        newer_draft = AnnualReview.objects.filter(year=run.year, commune=commune, state=ReviewState.DRAFT)
        if not published.exists() or newer_draft.exists():
            do_generate_annual_review(run.year, commune, acting_user=None)
        ReviewRun.objects.filter(pk=run.pk).update(done=F("done") + 1)
        if progress:
            progress(done, len(communes) + 1)


def run_review_jobs(now=None):
    """Worker job: claim one queued run (compare-and-set on its state) and generate its reviews."""
    run = ReviewRun.objects.filter(state=ReviewRun.State.QUEUED).order_by("requested_at").first()
    if run is None:
        return 0
    if (
        ReviewRun.objects.filter(pk=run.pk, state=ReviewRun.State.QUEUED).update(
            state=ReviewRun.State.RUNNING
        )
        != 1
    ):
        return 0
    try:
        run_review(run)
    except Exception as error:  # the run is marked failed with the reason; the worker goes on
        ReviewRun.objects.filter(pk=run.pk).update(
            state=ReviewRun.State.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        return 0
    ReviewRun.objects.filter(pk=run.pk).update(state=ReviewRun.State.DONE, finished_at=timezone.now())
    return 1
