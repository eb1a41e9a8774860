from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from diagnostics import actions
from diagnostics.models import GridStatus, GridVersion
from diagnostics.scope import diagnostics_visible_to
from directory.models import Layer, Organisation, OrganisationKind, Perimeter
from engine.errors import InvalidFields, RoleNotAllowed

from .common import errors_text, visible_diagnostic_or_404


@login_required
def diagnostic_list(request):
    diagnostics = (
        diagnostics_visible_to(request.user)
        .select_related("commune", "qpv")
        .annotate(findings_count=Count("findings"))
        .order_by("-date", "-pk")
    )
    return render(request, "web/diagnostics/list.html", {"diagnostics": diagnostics})


class DiagnosticForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    commune = forms.ModelChoiceField(
        label=gettext_lazy("Commune"), queryset=Organisation.objects.filter(kind=OrganisationKind.COMMUNE)
    )
    qpv = forms.ModelChoiceField(
        label=gettext_lazy("QPV"), queryset=Perimeter.objects.filter(layer=Layer.QPV), required=False
    )
    date = forms.DateField(
        label=gettext_lazy("Date of the walk"), widget=forms.DateInput(attrs={"type": "date"})
    )
    grid_version = forms.ModelChoiceField(
        label=gettext_lazy("Observation grid"),
        queryset=GridVersion.objects.filter(status=GridStatus.PUBLISHED),
    )
    residents_count = forms.IntegerField(
        label=gettext_lazy("Residents' representatives (how many)"), min_value=0, max_value=999, initial=0
    )
    participants = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Partners taking part"),
        queryset=Organisation.objects.exclude(kind=OrganisationKind.COMMUNE).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Their users may record findings and read the diagnostic."),
    )


@login_required
def diagnostic_new(request):
    organisation = request.user.organisation
    initial = {}
    if organisation and organisation.kind == OrganisationKind.COMMUNE:
        initial["commune"] = organisation.pk
    form = DiagnosticForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            diagnostic = actions.do_create_diagnostic(acting_user=request.user, **values)
        except RoleNotAllowed as exc:
            form.add_error("commune", str(exc))
        except InvalidFields as exc:
            for name, message in exc.errors.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, _("The diagnostic is prepared."))
            return redirect("diagnostic-detail", pk=diagnostic.pk)
    return render(request, "web/diagnostics/new.html", {"form": form})


STEPS = [
    ("start_field", "prepared", gettext_lazy("Start the walk")),
    ("start_analysis", "in_field", gettext_lazy("End the walk and start the analysis")),
    ("close", "under_analysis", gettext_lazy("Close the diagnostic")),
]


@login_required
def diagnostic_detail(request, pk):
    diagnostic = visible_diagnostic_or_404(request.user, pk)
    steps = [(code, label) for code, source, label in STEPS if source == diagnostic.status]
    context = {
        "diagnostic": diagnostic,
        "steps": steps if actions.may_move_diagnostic(request.user, diagnostic) else [],
        "findings_count": diagnostic.findings.count(),
        "participants": list(diagnostic.participants.all()),
        "track": diagnostic.tracks.select_related("recorded_by").order_by("-received_at", "-pk").first(),
    }
    return render(request, "web/diagnostics/detail.html", context)


@login_required
@require_POST
def diagnostic_move(request, pk):
    diagnostic = visible_diagnostic_or_404(request.user, pk)
    try:
        actions.do_move_diagnostic(diagnostic, request.POST.get("transition", ""), acting_user=request.user)
    except (InvalidFields, RoleNotAllowed) as exc:
        messages.error(request, errors_text(exc) if isinstance(exc, InvalidFields) else str(exc))
    else:
        messages.success(request, _("The diagnostic has moved on."))
    return redirect("diagnostic-detail", pk=diagnostic.pk)
