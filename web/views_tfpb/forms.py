"""Forms of the TFPB pages: they only carry text to the actions, which parse and check it (amounts with a
French decimal comma, never floats)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tfpb.models import Axis
from web.forms import NumberField

AMOUNT_HELP = _("In euros, e.g. 12 500,50.")


def amount_field(label, required=True):
    return forms.CharField(
        label=label,
        max_length=30,
        required=required,
        help_text=AMOUNT_HELP,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class ProgrammeForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    qpv = forms.ChoiceField(label=_("QPV"))
    expected_abatement_eur = amount_field(_("Expected abatement for the year (€)"), required=False)

    def __init__(self, *args, convention, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["qpv"].choices = [(q.code, q.name) for q in convention.qpvs.order_by("name")]
        self.fields["expected_abatement_eur"].help_text = _(
            "Leave empty for the convention's yearly amount shared between its QPV."
        )


class ActionForm(forms.Form):
    """An action's own fields (the change form); its place on the map or by coordinates (WGS84)."""

    axis = forms.ModelChoiceField(
        label=_("Axis"), queryset=Axis.objects.filter(is_active=True), to_field_name="code", empty_label=None
    )
    title = forms.CharField(label=_("Action"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    places = forms.CharField(label=_("Residences or places concerned"), max_length=300, required=False)
    planned_amount_eur = amount_field(_("Planned amount (€)"))
    lat = NumberField(
        label=_("Latitude"),
        required=False,
        help_text=_("Click the map to place the action, or type the coordinates (WGS84 degrees)."),
    )
    lon = NumberField(label=_("Longitude"), required=False)

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lon") is None) and not self.errors:
            self.add_error("lat", _("Give both the latitude and the longitude, or neither."))
        return data

    def location(self):
        """The place as a GeoJSON point (the action checks it is inside the programme's QPV), or None."""
        lat, lon = self.cleaned_data.get("lat"), self.cleaned_data.get("lon")
        if lat is None or lon is None:
            return None
        return {"type": "Point", "coordinates": [lon, lat]}


class NewActionForm(ActionForm):
    """A new action: its fields and, optionally, one indicator with its target."""

    indicator_name = forms.CharField(label=_("Indicator (optional)"), max_length=200, required=False)
    indicator_unit = forms.CharField(label=_("Unit of the indicator"), max_length=40, required=False)
    indicator_target = forms.CharField(label=_("Target"), max_length=30, required=False)


class RealisationForm(forms.Form):
    realised_amount_eur = amount_field(_("Realised amount (€)"))
    comment = forms.CharField(
        label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, prefix=f"a{action.pk}", **kwargs)
        self.action = action
        for indicator in action.indicators.all():
            self.fields[f"indicator_{indicator.pk}"] = forms.CharField(
                label=_("%(indicator)s reached (target %(target)s %(unit)s)")
                % {"indicator": indicator.name, "target": indicator.target, "unit": indicator.unit},
                max_length=30,
                required=False,
            )

    def indicators_reached(self):
        return {
            name.removeprefix("indicator_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("indicator_") and value not in (None, "")
        }


class YearReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comments on the year"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("Supporting document (PDF or image)"))


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Your answer"),
        widget=forms.RadioSelect,
        choices=[("approve", _("Approve")), ("request_changes", _("Ask for changes"))],
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you ask for changes: say which."),
    )
