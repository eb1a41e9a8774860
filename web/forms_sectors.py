"""The forms of the administrators' editing pages of a sub-sector procedure's draft version: zones, split
rows, pooled means, service-level overrides and a new version. They read the input; every rule is the
actions' (procedures.sectors.actions), whose refusals are put on the fields by the views."""

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Organisation, Unit
from procedures.models import Category, CategoryGroup, Urgency
from procedures.sectors.models import CapacityUnit


def _units():
    return Unit.objects.select_related("organisation").order_by("organisation__name", "name")


def _unit_label(unit):
    return f"{unit.name} ({unit.organisation.name})"


def _categories():
    return Category.objects.filter(is_active=True).select_related("group").order_by("group__position", "code")


class SectorZoneForm(forms.Form):
    name = forms.CharField(label=_("Name of the zone"), max_length=200)
    geometry = forms.CharField(
        label=_("Zone (GeoJSON, WGS84)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Draw it on the map, or paste a GeoJSON polygon; it must lie inside the perimeter."),
    )


class SectorPerimeterForm(forms.Form):
    geometry = forms.CharField(
        label=_("Perimeter (GeoJSON, WGS84)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Draw it on the map or paste a GeoJSON polygon."),
    )


class SectorSplitForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    category_group = forms.ModelChoiceField(
        label=_("or a whole category group"), queryset=CategoryGroup.objects.none(), required=False
    )
    zone = forms.ModelChoiceField(
        label=_("Zone"), queryset=None, required=False, empty_label=_("the whole perimeter")
    )
    season_start = forms.CharField(
        label=_("Season start (MM-DD)"), max_length=5, required=False, help_text=_("Empty: all year.")
    )
    season_end = forms.CharField(label=_("Season end (MM-DD)"), max_length=5, required=False)
    unit = forms.ModelChoiceField(label=_("Unit that acts"), queryset=Unit.objects.none())
    what = forms.CharField(label=_("What it does"), max_length=300, required=False)

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _categories()
        self.fields["category"].label_from_instance = lambda category: category.localized_name
        self.fields["category_group"].queryset = CategoryGroup.objects.order_by("position", "code")
        self.fields["zone"].queryset = version.zones.all()
        self.fields["unit"].queryset = _units()
        self.fields["unit"].label_from_instance = _unit_label


class SectorMeansForm(forms.Form):
    """Pooled means, with one funding share field per partner of the version (empty: no share)."""

    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())
    unit = forms.ModelChoiceField(label=_("Unit that acts"), queryset=Unit.objects.none())
    yearly_capacity = forms.CharField(label=_("Yearly capacity"), max_length=20)
    capacity_unit = forms.ChoiceField(label=_("Capacity in"), choices=CapacityUnit.choices)
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories taken"),
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.order_by("name")
        self.fields["unit"].queryset = _units()
        self.fields["unit"].label_from_instance = _unit_label
        self.fields["categories"].queryset = _categories()
        self.fields["categories"].label_from_instance = lambda category: category.localized_name
        self.funders = {}
        for partner in version.partners.select_related("organisation"):
            name = f"funding_{partner.organisation_id}"
            self.fields[name] = forms.CharField(
                label=_("Funding share of %(org)s (%%)") % {"org": partner.organisation.name},
                max_length=10,
                required=False,
            )
            self.funders[name] = partner.organisation

    def funding(self):
        return {
            organisation: self.cleaned_data[name]
            for name, organisation in self.funders.items()
            if (self.cleaned_data.get(name) or "").strip()
        }

    def funding_fields(self):
        return [self[name] for name in self.funders]

    def first_funding_field(self):
        return next(iter(self.funders), None)


class SectorOverrideForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False, empty_label=_("every category")
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=[("", _("every urgency")), *Urgency.choices], required=False
    )
    acknowledge_hours = forms.IntegerField(label=_("Acknowledge within (business hours)"))
    resolve_hours = forms.IntegerField(label=_("Resolve within (business hours)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _categories()
        self.fields["category"].label_from_instance = lambda category: category.localized_name


class SectorNewVersionForm(forms.Form):
    effective_from = forms.DateField(
        label=_("New version in force from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Why a new version"), max_length=500, required=False)
