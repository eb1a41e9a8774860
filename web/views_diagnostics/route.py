"""The route of a diagnostic, drawn on the map (a tap adds a point) or typed, one point per line."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from diagnostics import actions
from engine.errors import InvalidFields, RoleNotAllowed
from procedures.attributes import parse_number

from ..views_map import map_config
from .common import focus_of, visible_diagnostic_or_404


class RouteForm(forms.Form):
    points = forms.CharField(
        label=gettext_lazy("Points of the route"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "One point per line: latitude then longitude, separated by a space or a semicolon."
        ),
    )

    def clean_points(self):
        coordinates = []
        for n, line in enumerate(self.cleaned_data["points"].splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            parts = line.replace(";", " ").split()
            try:
                lat, lon = (parse_number(part) for part in parts) if len(parts) == 2 else (None, None)
            except ValueError:
                lat = lon = None
            if lat is None or lon is None:
                raise forms.ValidationError(_("Line %(n)d: give a latitude and a longitude.") % {"n": n})
            coordinates.append([float(lon), float(lat)])
        if len(coordinates) == 1:
            raise forms.ValidationError(_("A route needs at least two points."))
        return {"type": "LineString", "coordinates": coordinates} if coordinates else None


def _lines(route):
    return "\n".join(f"{lat:.6f} {lon:.6f}" for lon, lat in (route or {}).get("coordinates", []))


@login_required
def diagnostic_route(request, pk):
    diagnostic = visible_diagnostic_or_404(request.user, pk)
    form = RouteForm(request.POST or None, initial={"points": _lines(diagnostic.route)})
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_change_diagnostic(
                diagnostic, acting_user=request.user, route=form.cleaned_data["points"]
            )
        except InvalidFields as exc:
            form.add_error("points", " ".join(str(m) for m in exc.errors.values()))
        except RoleNotAllowed as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The route is saved."))
            return redirect("diagnostic-detail", pk=diagnostic.pk)
    context = {"diagnostic": diagnostic, "form": form, "map_config": map_config(focus=focus_of(diagnostic))}
    return render(request, "web/diagnostics/route.html", context)
