"""The forms of the CLECT group pages: they only read the input; the rules (dates, one group at a time)
are the actions' (procedures.sectors.clect), whose refusals are put on the fields."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models import Perimeter
from procedures.sectors.clect import GROUPABLE_LAYERS
from procedures.sectors.models import SectorProcedure


def _date_input():
    return forms.DateInput(attrs={"type": "date"})


class ClectGroupForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ClectMemberForm(forms.Form):
    perimeter = forms.ModelChoiceField(
        label=_("Perimeter"), queryset=Perimeter.objects.none(), required=False
    )
    procedure = forms.ModelChoiceField(
        label=_("or a sub-sector procedure"), queryset=SectorProcedure.objects.none(), required=False
    )
    starts_on = forms.DateField(label=_("Member from"), widget=_date_input())
    ends_on = forms.DateField(label=_("Member until (included)"), widget=_date_input(), required=False)

    def __init__(self, *args, procedures=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["perimeter"].queryset = Perimeter.objects.filter(layer__in=GROUPABLE_LAYERS).order_by(
            "layer", "name"
        )
        self.fields["procedure"].queryset = (
            procedures if procedures is not None else SectorProcedure.objects.none()
        ).order_by("title")


class ClectEndForm(forms.Form):
    ends_on = forms.DateField(label=_("Member until (included)"), widget=_date_input())


class ClectYearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)

    def chosen_year(self):
        return (self.cleaned_data.get("year") if self.is_valid() else None) or timezone.localdate().year
