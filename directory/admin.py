from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from guardian.admin import GuardedModelAdmin

from directory import delegation, geo
from directory.models import (
    Competence,
    Layer,
    Organisation,
    Parcel,
    Perimeter,
    Referent,
    RoleAssignment,
    SplitRule,
    Unit,
    User,
)


class UnitInline(admin.TabularInline):
    model = Unit
    fields = ("code", "name", "kind", "parent")
    extra = 0
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(GuardedModelAdmin):
    list_display = ("name", "code", "kind", "insee", "is_inclusion_enterprise", "is_fictional")
    list_filter = ("kind", "is_inclusion_enterprise", "is_fictional")
    search_fields = ("name", "code", "insee")
    inlines = [UnitInline]
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "insee", "is_inclusion_enterprise", "is_fictional")}),
        (_("Contact details"), {"fields": ("email", "phone", "address", "website")}),
    )


class ReferentInline(admin.TabularInline):
    model = Referent
    fields = ("first_name", "last_name", "function", "title", "email", "phone", "position")
    extra = 0


class CompetenceInline(admin.TabularInline):
    model = Competence
    fields = ("category", "direct_handling", "season_start", "season_end", "note")
    extra = 0
    show_change_link = True


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "organisation", "parent", "phone", "opening_hours")
    list_filter = ("kind", "organisation")
    search_fields = ("name", "code")
    filter_horizontal = ("territory",)
    autocomplete_fields = ("organisation", "parent")
    fieldsets = (
        (None, {"fields": ("organisation", "parent", "code", "name", "kind", "territory")}),
        (_("Contact details and opening hours"), {"fields": ("email", "phone", "address", "opening_hours")}),
    )
    inlines = [ReferentInline, CompetenceInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is Referent:
            for referent_form in formset.forms:
                referent_form.instance.organisation_id = form.instance.organisation_id
        super().save_formset(request, form, formset, change)


@admin.register(Referent)
class ReferentAdmin(admin.ModelAdmin):
    list_display = ("last_name", "first_name", "function", "title", "organisation", "unit", "email", "phone")
    list_filter = ("function", "organisation__kind", "is_fictional")
    search_fields = ("last_name", "first_name", "title", "organisation__name", "unit__name")
    autocomplete_fields = ("organisation", "unit")
    list_select_related = ("organisation", "unit")


@admin.register(Competence)
class CompetenceAdmin(admin.ModelAdmin):
    list_display = ("category", "unit", "direct_handling", "season_start", "season_end", "note")
    list_filter = ("direct_handling", "category", "unit__kind")
    search_fields = ("category__name", "category__code", "unit__name", "unit__code")
    autocomplete_fields = ("unit",)
    filter_horizontal = ("communes",)
    list_select_related = ("category", "unit")


class SplitRuleInline(admin.TabularInline):
    model = SplitRule
    fields = ("category", "unit", "note")
    autocomplete_fields = ("unit",)
    extra = 0


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "organisation", "unit", "is_active")
    list_filter = ("organisation__kind", "is_active", "is_staff")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Organisation"), {"fields": ("organisation", "unit", "job_title", "phone")}),
    )
    autocomplete_fields = ("organisation", "unit")
    inlines = [RoleAssignmentInline]


class GeometryAdminMixin:
    """Geometry edited as GeoJSON: validated, bounding box and area recomputed on save."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        original_clean = form.clean

        def clean(form_self):
            cleaned = original_clean(form_self)
            geometry = cleaned.get("geometry")
            if geometry is not None:
                try:
                    geo.shape_from_geojson(geometry)
                except geo.GeometryError as exc:
                    form_self.add_error("geometry", str(exc))
            return cleaned

        form.clean = clean
        return form

    def save_geometry(self, obj):
        shape = obj.set_geometry(obj.geometry)
        obj.area_m2 = geo.area_m2(shape)


@admin.register(Perimeter)
class PerimeterAdmin(GeometryAdminMixin, GuardedModelAdmin):
    list_display = ("name", "code", "layer", "commune", "unit", "area_m2", "delegated_manager")
    list_filter = ("layer",)
    search_fields = ("name", "code")
    readonly_fields = ("area_m2", "land_area_m2", "land_shares", "delegated_manager", "shares_updated_at")
    fieldsets = (
        (None, {"fields": ("layer", "code", "name", "commune", "unit", "geometry", "properties", "area_m2")}),
        (
            _("Delegated management (sub-sectors)"),
            {
                "fields": (
                    "delegation_threshold_pct",
                    "delegated_manager",
                    "land_area_m2",
                    "land_shares",
                    "shares_updated_at",
                )
            },
        ),
    )
    inlines = [SplitRuleInline]
    actions = ["recompute_delegation"]

    def save_model(self, request, obj, form, change):
        self.save_geometry(obj)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if form.instance.layer == Layer.SUBSECTORS:
            delegation.recompute_delegation(form.instance)

    @admin.action(description=_("Recompute land shares and delegated manager"))
    def recompute_delegation(self, request, queryset):
        with transaction.atomic():
            changed = delegation.recompute_delegations(queryset.filter(layer=Layer.SUBSECTORS))
        self.message_user(
            request,
            ngettext("%(count)d sub-sector changed.", "%(count)d sub-sectors changed.", changed)
            % {"count": changed},
            messages.SUCCESS,
        )


@admin.register(Parcel)
class ParcelAdmin(GeometryAdminMixin, admin.ModelAdmin):
    list_display = ("ref", "owner", "domain", "area_m2")
    list_filter = ("domain", "owner__kind")
    search_fields = ("ref", "owner__name")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    readonly_fields = ("area_m2",)

    def save_model(self, request, obj, form, change):
        old = Parcel.objects.filter(pk=obj.pk).values_list("min_lon", "min_lat", "max_lon", "max_lat").first()
        self.save_geometry(obj)
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            delegation.recompute_for_parcel_bboxes(old, (obj.min_lon, obj.min_lat, obj.max_lon, obj.max_lat))

    def delete_model(self, request, obj):
        bbox = (obj.min_lon, obj.min_lat, obj.max_lon, obj.max_lat)
        with transaction.atomic():
            super().delete_model(request, obj)
            delegation.recompute_for_parcel_bboxes(bbox)

    def delete_queryset(self, request, queryset):
        bboxes = list(queryset.values_list("min_lon", "min_lat", "max_lon", "max_lat"))
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            delegation.recompute_for_parcel_bboxes(*bboxes)
