"""Admin of dated land: SIREN mappings (with the unmapped SIRENs), land operations, ownership periods.

Saves go through directory.actions; a land operation's form is checked by running the action in a
transaction that is rolled back, so the admin decides no rule of its own."""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from directory import actions
from directory.models import LandOperation, Organisation, ParcelOwnership, SirenMapping
from directory.opendata import unmapped_sirens
from engine.errors import InvalidFields
from gup.admin_inlines import LabelledTabularInline


class OwnershipInline(LabelledTabularInline):
    """Read only: periods are written by owner changes, imports and land operations."""

    model = ParcelOwnership
    fk_name = "parcel"
    fields = ("owner", "siren", "owner_name", "valid_from", "valid_until", "source", "operation")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SirenMapping)
class SirenMappingAdmin(admin.ModelAdmin):
    list_display = ("siren", "organisation", "note")
    search_fields = ("siren", "organisation__name")
    autocomplete_fields = ("organisation",)

    def save_model(self, request, obj, form, change):
        saved = actions.do_save_siren_mapping(
            obj.siren, obj.organisation, note=obj.note, acting_user=request.user
        )
        obj.pk = saved.pk

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {**(extra_context or {}), "unmapped_sirens": unmapped_sirens()}
        )


class _Rollback(Exception):
    pass


class LandOperationForm(forms.ModelForm):
    retire = forms.CharField(
        label=_("parcels before (retired)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One cadastral reference per line: these parcels no longer exist from the date."),
    )
    owners = forms.CharField(
        label=_("new owners"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One line per parcel: reference;organisation code (empty code: private owner). "
            "New parcels with their outlines are recorded through the API."
        ),
    )

    class Meta:
        model = LandOperation
        fields = ("kind", "name", "project", "effective_date")

    def clean_retire(self):
        return [line.strip() for line in self.cleaned_data["retire"].splitlines() if line.strip()]

    def clean_owners(self):
        owners = {}
        for number, line in enumerate(self.cleaned_data["owners"].splitlines(), start=1):
            if not line.strip():
                continue
            ref, _sep, code = (part.strip() for part in line.partition(";"))
            owner = Organisation.objects.filter(code=code).first() if code else None
            if code and owner is None:
                raise forms.ValidationError(
                    _("Line %(number)s: no organisation has the code %(code)s.")
                    % {"number": number, "code": code}
                )
            owners[ref] = owner
        return owners

    def operation_arguments(self):
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "name": data["name"],
            "project": data.get("project", ""),
            "effective_date": data["effective_date"],
            "retire": data.get("retire", []),
            "owners": data.get("owners", {}),
        }

    def check_with(self, user):
        """Run the action in a transaction rolled back: its refusals become the form's errors."""
        try:
            with transaction.atomic():
                actions.do_record_land_operation(**self.operation_arguments(), acting_user=user)
                raise _Rollback
        except _Rollback:
            pass
        except InvalidFields as exc:
            for name, message in exc.errors.items():
                field_name = {"parcels_before": "retire", "parcels_after": "owners"}.get(name, name)
                self.add_error(field_name if field_name in self.fields else None, message)


@admin.register(LandOperation)
class LandOperationAdmin(admin.ModelAdmin):
    """Recorded once (a dated change); read only afterwards."""

    form = LandOperationForm
    list_display = ("name", "kind", "project", "effective_date", "applied_at")
    list_filter = ("kind",)
    search_fields = ("name", "project")
    readonly_fields = ("parcels_before", "parcels_after", "recorded_at", "applied_at")

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        user = request.user

        class Checked(form_class):
            def clean(self):
                cleaned = super().clean()
                if not self.errors:
                    self.check_with(user)
                return cleaned

        return Checked

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("kind", "name", "project", "effective_date", "retire", "owners")
        return ("kind", "name", "project", "effective_date", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("kind", "name", "project", "effective_date", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        if change:
            return
        operation = actions.do_record_land_operation(**form.operation_arguments(), acting_user=request.user)
        obj.pk = operation.pk
        obj.refresh_from_db()

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
