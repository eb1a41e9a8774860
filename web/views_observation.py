"""The Observation page: filters, headline tiles, SVG charts rendered on the server, each with its
table; the request-level export (CSV streamed). Works without JavaScript (a plain GET form)."""

import tempfile

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from directory.models import Organisation, OrganisationKind, Unit
from engine.errors import InvalidFields
from observation import charts, conf, dashboard, exports
from observation.filters import HANDLER_KINDS, OutOfScope, parse_filters
from observation.scope import NOTHING, observation_q, observes_everything
from procedures.models import Category
from web.exports import table_response

QPV_CHOICES = [("", _("Any")), ("yes", _("In a QPV")), ("no", _("Outside QPV"))]


class ObservationFilterForm(forms.Form):
    since = forms.CharField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.CharField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    commune = forms.ChoiceField(label=_("Commune"), required=False)
    qpv = forms.ChoiceField(label=_("QPV"), choices=QPV_CHOICES, required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    handler_kind = forms.ChoiceField(label=_("Kind of handler"), required=False)
    handler_unit = forms.ChoiceField(label=_("Handler unit"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        communes = Organisation.objects.filter(kind=OrganisationKind.COMMUNE).exclude(insee=None)
        own = user.organisation if user.organisation_id else None
        if not observes_everything(user) and own is not None and own.kind == OrganisationKind.COMMUNE:
            communes = communes.filter(pk=own.pk)
        units = Unit.objects.all()
        if not observes_everything(user) and own is not None and own.kind != OrganisationKind.COMMUNE:
            units = units.filter(organisation=own)
        any_choice = [("", _("Any"))]
        self.fields["commune"].choices = any_choice + list(
            communes.order_by("name").values_list("insee", "name")
        )
        self.fields["category"].choices = any_choice + list(
            Category.objects.order_by("name").values_list("code", "name")
        )
        self.fields["handler_kind"].choices = any_choice + [
            (kind, OrganisationKind(kind).label) for kind in HANDLER_KINDS
        ]
        self.fields["handler_unit"].choices = any_choice + list(
            units.order_by("name").values_list("code", "name")
        )


def _selection(request):
    """(form, filters or None): filters refused are form errors; out of scope is a 404."""
    user = request.user
    if observation_q(user) is NOTHING:
        raise Http404(_("You have no figures to observe."))
    form = ObservationFilterForm(request.GET or None, user=user)
    try:
        filters = parse_filters(user, request.GET)
    except OutOfScope:
        raise Http404(_("Not found.")) from None
    except InvalidFields as error:
        form.is_valid()
        for field, message in error.errors.items():
            form.add_error(field if field in form.fields else None, message)
        return form, None
    return form, filters


@login_required
@require_GET
def observation_dashboard(request):
    form, filters = _selection(request)
    context = {
        "form": form,
        "query": request.GET.urlencode(),
        "min_cell": conf.get("GUP_OBSERVATION_MIN_CELL"),
    }
    if filters is None:
        return render(request, "web/observation/dashboard.html", context, status=400)
    data = dashboard.build(request.user, filters)
    context["table_exports"] = [
        (name, title) for name, (title, _headers, _rows) in exports.dashboard_tables(data).items()
    ]
    data["chart_uris"] = {name: charts.data_uri(svg) for name, svg in data.pop("charts").items()}
    context.update(data)
    return render(request, "web/observation/dashboard.html", context)


@login_required
@require_GET
def observation_requests_export(request, fmt):
    _form, filters = _selection(request)
    if filters is None:
        raise Http404(_("Correct the filters first."))
    if fmt not in exports.FORMATS:
        raise Http404(_("Unknown export format: choose csv or xlsx."))
    name = exports.file_name(_("observation"), _("requests"), fmt=fmt)
    rows = exports.request_rows(request.user, filters)
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.csv_chunks(exports.request_headers(), rows), content_type=exports.FORMATS[fmt]
        )
    else:
        target = tempfile.TemporaryFile()  # noqa: SIM115 - closed by FileResponse once sent
        exports.write_xlsx(target, [(_("Requests"), exports.request_headers(), rows)])
        target.seek(0)
        response = FileResponse(target, content_type=exports.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def observation_table_export(request, table, fmt):
    """One of the page's tables (the same numbers) as CSV or XLSX, for the same filters."""
    _form, filters = _selection(request)
    if filters is None:
        raise Http404(_("Correct the filters first."))
    if fmt not in exports.FORMATS:
        raise Http404(_("Unknown export format: choose csv or xlsx."))
    tables = exports.dashboard_tables(dashboard.build(request.user, filters, with_charts=False))
    if table not in tables:
        raise Http404(_("Unknown table."))
    title, headers, rows = tables[table]
    return table_response(fmt, headers, rows, name_parts=[_("observation"), title], title=title)
