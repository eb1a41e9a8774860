from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from diagnostics import actions
from diagnostics.analysis import analyse, summary
from diagnostics.models import FindingPhoto
from engine.attachments import attachment_response
from engine.errors import InvalidFields, RoleNotAllowed

from ..views_map import map_config
from .common import errors_text, focus_of, visible_diagnostic_or_404


def points_geojson(diagnostic, points):
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [p.finding.lon, p.finding.lat]},
                "properties": {
                    "label": f"{p.number}. {p.finding.item.label} ({p.finding.rating})",
                    "url": f"#finding-{p.number}",
                    "linkText": _("See in the table"),
                    "urgent": p.finding.rating <= diagnostic.grid_version.scale[0]["value"],
                },
            }
            for p in points
        ],
    }


def photo_url(diagnostic, photo):
    return reverse("diagnostic-photo", args=[diagnostic.pk, photo.finding_id, photo.pk])


def follow_up_url(reference):
    """Where a finding's follow-up action or recommendation is shown."""
    kind, _sep, pk = (reference or "").partition(":")
    if not pk.isdigit():
        return None
    if kind == "action":
        return reverse("steering-action", args=[int(pk)])
    if kind == "recommendation":
        return reverse("steering-recommendations") + f"#recommendation-{pk}"
    return None


def follow_up_choices(diagnostic):
    """The small form's choices: owner organisations and people, QPVs."""
    from directory.models import Layer, Organisation, Perimeter, User

    return {
        "organisations": Organisation.objects.order_by("name").only("pk", "name")[:500],
        "people": User.objects.filter(is_active=True, organisation__isnull=False)
        .select_related("organisation")
        .order_by("organisation__name", "last_name", "username")[:500],
        "qpvs": Perimeter.objects.filter(layer=Layer.QPV).order_by("name").only("pk", "name")[:200],
    }


FOLLOW_UP_FIELDS = {
    "action": ("title", "owner_organisation", "owner_person", "due_date", "description"),
    "recommendation": ("project", "qpv", "issue", "recommendation"),
}


@login_required
def diagnostic_analysis(request, pk):
    diagnostic = visible_diagnostic_or_404(request.user, pk)
    points, groups = analyse(diagnostic, request.user)
    for point in points:
        point.photo_urls = [photo_url(diagnostic, photo) for photo in point.finding.photos.all()]
        point.follow_up_url = follow_up_url(point.finding.outcome_reference)
    may_action = actions.may_convert_findings_to_follow_up(request.user, diagnostic, "action")
    may_recommend = actions.may_convert_findings_to_follow_up(request.user, diagnostic, "recommendation")
    context = {
        "diagnostic": diagnostic,
        "points": points,
        "groups": groups,
        "summary": summary(points),
        "points_geojson": points_geojson(diagnostic, points),
        "map_config": map_config(focus=focus_of(diagnostic)),
        "may_file": actions.may_convert_findings_to_requests(request.user, diagnostic),
        "may_decide": actions.may_decide_findings(request.user, diagnostic),
        "converting": diagnostic.status == "under_analysis",
        "may_action": may_action,
        "may_recommend": may_recommend,
        "choices": follow_up_choices(diagnostic) if may_action or may_recommend else None,
    }
    return render(request, "web/diagnostics/analysis.html", context)


@login_required
@require_POST
def diagnostic_convert(request, pk):
    diagnostic = visible_diagnostic_or_404(request.user, pk)
    ids = request.POST.getlist("findings")
    outcome = request.POST.get("outcome", "")
    try:
        if outcome == "request":
            results = actions.do_convert_findings_to_requests(
                diagnostic,
                ids,
                acting_user=request.user,
                file_anyway=request.POST.getlist("file_anyway"),
                reason=request.POST.get("file_anyway_reason", ""),
            )
        elif outcome == "no_action":
            results = actions.do_mark_findings_no_action(
                diagnostic, ids, request.POST.get("reason", ""), acting_user=request.user
            )
        else:
            options = {k: request.POST.get(k, "").strip() for k in FOLLOW_UP_FIELDS.get(outcome, ())}
            results = actions.do_convert_findings_to_follow_up(
                diagnostic, ids, outcome, acting_user=request.user, **options
            )
    except InvalidFields as exc:
        messages.error(request, errors_text(exc))
    except RoleNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        if outcome in FOLLOW_UP_FIELDS:
            messages.success(
                request,
                (
                    _("Done: %(n)d finding(s) became one follow-up action.")
                    if outcome == "action"
                    else _("Done: %(n)d finding(s) became one recommendation.")
                )
                % {"n": len(results)},
            )
            return redirect("diagnostic-analysis", pk=diagnostic.pk)
        counts = {}
        for _finding, result in results:
            counts[result] = counts.get(result, 0) + 1
        messages.success(
            request,
            _(
                "Done: %(filed)d request(s) filed, %(linked)d linked to an open request, "
                "%(none)d without action, %(already)d already converted (left as they were)."
            )
            % {
                "filed": counts.get("request", 0),
                "linked": counts.get("linked", 0),
                "none": counts.get("no_action", 0),
                "already": counts.get("already", 0),
            },
        )
    return redirect("diagnostic-analysis", pk=diagnostic.pk)


@login_required
def diagnostic_photo(request, pk, finding_id, photo_id):
    diagnostic = visible_diagnostic_or_404(request.user, pk)
    photo = FindingPhoto.objects.filter(
        pk=photo_id, finding_id=finding_id, finding__diagnostic=diagnostic
    ).first()
    if photo is None:
        raise Http404
    return attachment_response(photo)
