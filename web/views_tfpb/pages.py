"""The TFPB pages that only read: home (conventions and programmes), a programme, its review page, the
chart, the exports and the community's overview. Every object goes through tfpb.scope (out of scope: 404)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from directory.approvals.actions import may_answer_partner_review
from directory.approvals.scope import inbox_of
from directory.models import PartnerReview
from tfpb import exports, figures
from tfpb.actions import may_edit_programme
from tfpb.models import EDITABLE, Status
from tfpb.scope import conventions_visible_to, programmes_visible_to, sees_everything
from web.views_map import map_config
from web.views_tfpb.forms import (
    AnswerForm,
    DocumentForm,
    NewActionForm,
    ProgrammeForm,
    RealisationForm,
    YearReviewForm,
)


def scoped_programme(user, pk):
    programme = figures.with_totals(programmes_visible_to(user)).filter(pk=pk).first()
    if programme is None:
        raise Http404
    return programme


def home_context(request, bound=None):
    """The home page's context; ``bound`` is (convention pk, form with errors) after a refused POST."""
    conventions = conventions_visible_to(request.user).prefetch_related("qpvs", "communes").order_by("pk")
    programmes = figures.with_totals(programmes_visible_to(request.user)).order_by("-year", "pk")
    forms = {
        convention.pk: ProgrammeForm(convention=convention)
        for convention in conventions
        if request.user.organisation_id and may_edit_programme(request.user, convention)
    }
    if bound is not None:
        forms[bound[0]] = bound[1]
    return {
        "conventions": conventions,
        "rows": [(programme, figures.totals(programme)) for programme in programmes],
        "programme_forms": forms,
        "inbox_count": figures.tfpb_reviews(inbox_of(request.user)).count(),
        "sees_everything": sees_everything(request.user),
    }


@login_required
@require_GET
def tfpb_home(request):
    return render(request, "web/tfpb/home.html", home_context(request))


def map_context(programme, actions):
    """What a programme's maps need: the map script's config opening on the programme's QPV, the QPV's
    box for its outline, and the actions placed on the map as GeoJSON points (the text beside says the
    same: each action's place and coordinates)."""
    qpv = programme.qpv
    return {
        "map_config": map_config(focus=qpv),
        "qpv_bbox": f"{qpv.min_lon},{qpv.min_lat},{qpv.max_lon},{qpv.max_lat}",
        "action_points": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": action.location,
                    "properties": {"label": action.title, "owner": action.places},
                }
                for action in actions
                if action.location
            ],
        },
    }


def detail_context(request, programme, forms=None):
    forms = forms or {}
    user = request.user
    is_landlord = bool(user.organisation_id) and may_edit_programme(user, programme)
    editable = is_landlord and programme.is_editable
    review_open = is_landlord and programme.status == Status.VALIDATED and programme.review_status in EDITABLE
    actions = list(programme.actions.select_related("axis").prefetch_related("indicators"))
    reviews = list(
        figures.tfpb_reviews(PartnerReview.objects.filter(subject_id=programme.pk)).order_by(
            "-process_id", "pk"
        )
    )
    rounds = {}
    for review in reviews:
        rounds.setdefault(review.process_id, []).append(review)
    mine = next(
        (
            r
            for r in reviews
            if r.status == PartnerReview.Status.PENDING and may_answer_partner_review(user, r)
        ),
        None,
    )
    sums = figures.totals(programme)
    realisation_forms = []
    if review_open:
        realisation_forms = [
            (
                action,
                forms.get(f"realisation-{action.pk}")
                or RealisationForm(
                    action=action,
                    initial={
                        "realised_amount_eur": action.realised_amount_eur or "",
                        "comment": action.realisation_comment,
                    },
                ),
            )
            for action in actions
        ]
    return {
        "programme": programme,
        "actions": actions,
        "totals": sums,
        "covered": sums["planned"] >= programme.expected_abatement_eur,
        "missing_eur": max(programme.expected_abatement_eur - sums["planned"], 0),
        "is_landlord": is_landlord,
        "editable": editable,
        "review_open": review_open,
        "rounds": [(figures.stage_of(items[0]), items) for items in rounds.values()],
        "my_review": mine,
        "answer_form": forms.get("answer") or AnswerForm(),
        "action_form": forms.get("action") or NewActionForm(),
        "placed_actions": [action for action in actions if action.location],
        **map_context(programme, actions),
        "realisation_forms": realisation_forms,
        "year_review_form": forms.get("year_review")
        or YearReviewForm(initial={"comment": programme.review_comment}),
        "document_form": forms.get("document") or DocumentForm(),
        "documents": list(programme.documents.all()),
    }


@login_required
@require_GET
def programme_detail(request, pk):
    programme = scoped_programme(request.user, pk)
    return render(request, "web/tfpb/programme.html", detail_context(request, programme))


@login_required
@require_GET
def review_page(request, pk):
    programme = scoped_programme(request.user, pk)
    return render(request, "web/tfpb/review.html", exports.review_context(programme))


@login_required
@require_GET
def programme_chart(request, pk):
    programme = scoped_programme(request.user, pk)
    response = HttpResponse(exports.review_context(programme)["chart_svg"], content_type="image/svg+xml")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


def _download(content, content_type, name):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def programme_xlsx(request, pk):
    programme = scoped_programme(request.user, pk)
    name = f"tfpb-{programme.year}-{programme.qpv.code}.xlsx"
    return _download(exports.programme_xlsx(programme), exports.XLSX, name)


@login_required
@require_GET
def programme_pdf(request, pk):
    programme = scoped_programme(request.user, pk)
    name = f"tfpb-{programme.year}-{programme.qpv.code}.pdf"
    return _download(exports.programme_pdf(programme, request), "application/pdf", name)


def _year(request):
    try:
        return int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        return timezone.localdate().year


@login_required
@require_GET
def overview(request):
    year = _year(request)
    programmes = programmes_visible_to(request.user)
    rows = figures.overview(year, programmes)
    years = sorted(set(programmes.values_list("year", flat=True)) | {year}, reverse=True)
    by_axis = figures.by_axis(programmes.filter(year=year))
    return render(
        request,
        "web/tfpb/overview.html",
        {
            "year": year,
            "years": years,
            "rows": rows,
            "by_axis": by_axis,
            "total_expected": sum((r["expected"] for r in rows), 0),
            "total_planned": sum((r["planned"] for r in rows), 0),
            "total_realised": sum((r["realised"] for r in rows), 0),
        },
    )


@login_required
@require_GET
def overview_xlsx(request):
    year = _year(request)
    return _download(
        exports.overview_xlsx(year, programmes_visible_to(request.user)), exports.XLSX, f"tfpb-{year}.xlsx"
    )
