"""The follow-up of actions: one list across meetings with filters (owner, status, overdue, QPV, kind,
mine), the detail, and the status change by the owner or the organisers."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from directory.models import Organisation, Perimeter
from engine.errors import EngineError, RoleNotAllowed
from procedures.scope import requests_visible_to
from procedures.sectors.scope import sector_procedures_visible_to
from steering import actions, scope
from steering.models import OPEN_ACTION_STATUSES, Action, ActionStatus, MeetingKind
from web.views_steering.common import add_errors, get_visible

PAGE_SIZE = 50


class FollowUpFilter(forms.Form):
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Owner"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
        to_field_name="code",
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("Open")), ("all", gettext_lazy("All")), *ActionStatus.choices],
        required=False,
    )
    qpv = forms.ModelChoiceField(
        label=gettext_lazy("QPV"),
        queryset=Perimeter.objects.filter(layer="qpv").order_by("name"),
        required=False,
        to_field_name="code",
    )
    kind = forms.ModelChoiceField(
        label=gettext_lazy("Meeting kind"),
        queryset=MeetingKind.objects.all(),
        required=False,
        to_field_name="code",
    )
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    mine = forms.BooleanField(label=gettext_lazy("My actions only"), required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("New status"), choices=ActionStatus.choices)
    reason = forms.CharField(
        label=gettext_lazy("Reason (required to abandon)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


@login_required
@require_GET
def action_list(request):
    form = FollowUpFilter(request.GET or None)
    queryset = scope.actions_visible_to(
        request.user,
        Action.objects.select_related("owner_organisation", "owner_person", "meeting__kind", "qpv"),
    )
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status") or ""
    if status == "":
        queryset = queryset.filter(status__in=OPEN_ACTION_STATUSES)
    elif status != "all":
        queryset = queryset.filter(status=status)
    if filters.get("owner"):
        queryset = queryset.filter(owner_organisation=filters["owner"])
    if filters.get("qpv"):
        queryset = queryset.filter(qpv=filters["qpv"])
    if filters.get("kind"):
        queryset = queryset.filter(meeting__kind=filters["kind"])
    today = timezone.localdate()
    if filters.get("overdue"):
        queryset = queryset.filter(status__in=OPEN_ACTION_STATUSES, due_date__lt=today)
    if filters.get("mine"):
        user = request.user
        queryset = queryset.filter(
            Q(owner_person=user) | Q(owner_organisation_id=user.organisation_id, owner_person__isnull=True)
        )
    page = Paginator(queryset.order_by("due_date", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/steering/action_list.html",
        {"form": form, "page": page, "today": today, "query": query.urlencode()},
    )


def _detail(request, action, form=None, status=200):
    context = {
        "action": action,
        "form": form or StatusForm(initial={"status": action.status}),
        "can_change": actions.may_change_action(request.user, action),
        "today": timezone.localdate(),
        "discussed": action.discussed_at.select_related("kind").order_by("starts_at"),
        "requests": requests_visible_to(request.user, action.requests.order_by("reference"))[:50],
        "sector_procedures": sector_procedures_visible_to(request.user).filter(steering_actions=action),
        "can_link": actions.may_link_action(request.user, action),
        "from_diagnostic": from_diagnostic(request.user, action.source, f"action:{action.pk}"),
    }
    return render(request, "web/steering/action_detail.html", context, status=status)


def from_diagnostic(user, source, reference=None):
    """The walking diagnostic something came from (linked when the user may see it), and its findings."""
    from diagnostics.scope import diagnostics_visible_to
    from steering.diagnostics_link import diagnostic_of, findings_of

    diagnostic = diagnostic_of(source)
    if diagnostic is None:
        return None
    return {
        "diagnostic": diagnostic,
        "visible": diagnostics_visible_to(user).filter(pk=diagnostic.pk).exists(),
        "findings": findings_of(reference) if reference else [],
    }


def _visible(request):
    return scope.actions_visible_to(
        request.user,
        Action.objects.select_related(
            "owner_organisation", "owner_person", "meeting__kind", "decision", "qpv", "commune"
        ),
    )


@login_required
@require_GET
def action_detail(request, pk):
    return _detail(request, get_visible(_visible(request), pk))


@login_required
@require_POST
def action_status(request, pk):
    action = get_visible(_visible(request), pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            actions.do_change_action_status(action, **form.cleaned_data, acting_user=request.user)
        except RoleNotAllowed as exc:
            add_errors(form, exc)
            return _detail(request, action, form, status=403)
        except EngineError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The action's status is changed."))
            return redirect("steering-action", pk=action.pk)
    return _detail(request, action, form, status=400)


def _recommendations(request):
    from steering.models import Recommendation

    return scope.recommendations_visible_to(
        request.user, Recommendation.objects.select_related("qpv").order_by("-created_at", "pk")
    )


@login_required
@require_GET
def recommendation_list(request):
    rows = list(_recommendations(request)[:500])
    for row in rows:  # a few rows come from a diagnostic: one lookup each
        row.from_diagnostic = (
            from_diagnostic(request.user, row.source, f"recommendation:{row.pk}") if row.source else None
        )
    from django.utils.http import urlencode

    addressees = {}
    for row in rows:  # one document per urban-renewal project, or per QPV when no project is named
        if row.project:
            addressees.setdefault(row.project, urlencode({"project": row.project}))
        elif row.qpv_id:
            addressees.setdefault(row.qpv.name, urlencode({"qpv": row.qpv.code}))
    context = {"recommendations": rows, "addressees": sorted(addressees.items(), key=lambda a: a[0].lower())}
    return render(request, "web/steering/recommendation_list.html", context)


@login_required
@require_GET
def recommendation_export(request):
    import io

    from django.http import HttpResponse
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Recommendations")[:31]
    sheet.append(
        [
            _("Project or QPV"),
            _("Management issue"),
            _("Recommendation"),
            _("Source"),
            _("Status"),
            _("Answer"),
        ]
    )
    for row in _recommendations(request):
        sheet.append(
            [
                row.project or (row.qpv.name if row.qpv else ""),
                row.issue,
                row.recommendation,
                row.source,
                row.get_status_display(),
                row.answer,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="preconisations.xlsx"'
    return response
