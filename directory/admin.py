from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from guardian.admin import GuardedModelAdmin

from directory import actions, delegation, geo, layers
from directory.admin_land import OwnershipInline
from directory.models import (
    Competence,
    DirectoryAuditEntry,
    Layer,
    Organisation,
    Parcel,
    PartnerReview,
    Perimeter,
    Referent,
    RoleAssignment,
    SplitRule,
    Unit,
    User,
)
from gup.admin_inlines import LabelledTabularInline


class UnitInline(LabelledTabularInline):
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
        (
            None,
            {"fields": ("code", "name", "kind", "insee", "siret", "is_inclusion_enterprise", "is_fictional")},
        ),
        (_("Contact details"), {"fields": ("email", "phone", "address", "website")}),
    )


class ReferentInline(LabelledTabularInline):
    model = Referent
    fields = ("first_name", "last_name", "function", "title", "email", "phone", "position")
    extra = 0


class CompetenceInline(LabelledTabularInline):
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


class SplitRuleInline(LabelledTabularInline):
    model = SplitRule
    fields = ("category", "unit", "note")
    autocomplete_fields = ("unit",)
    extra = 0


class RoleAssignmentInline(LabelledTabularInline):
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

    def save_formset(self, request, form, formsets, change):
        """Role assignments go through the directory's actions (permission check, audit entry)."""
        if formsets.model is not RoleAssignment:
            return super().save_formset(request, form, formsets, change)
        person = form.instance
        # What the admin's history message reads (formset.save() would set them).
        formsets.new_objects, formsets.changed_objects, formsets.deleted_objects = [], [], []
        with transaction.atomic():
            for row in formsets.deleted_forms:
                if row.instance.pk:
                    actions.do_remove_person_role(person, row.instance.role, acting_user=request.user)
                    formsets.deleted_objects.append(row.instance)
            for row in formsets.forms:
                if row in formsets.deleted_forms or not row.has_changed() or not row.is_valid():
                    continue
                previous = row.initial.get("role")
                if previous and previous != row.cleaned_data["role"]:
                    actions.do_remove_person_role(person, previous, acting_user=request.user)
                assignment = actions.do_assign_person_role(
                    person, row.cleaned_data["role"], acting_user=request.user
                )
                if previous:
                    formsets.changed_objects.append((assignment, ["role"]))
                else:
                    formsets.new_objects.append(assignment)
        return None


class GeometryAdminMixin:
    """Geometry edited as GeoJSON: validated, bounding box and area recomputed on save."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        original_clean = form.clean

        def clean(form_self):
            cleaned = original_clean(form_self)
            for name in ("geometry", "properties"):  # the database refuses NUL in JSON text
                problem = layers.data_problem(cleaned.get(name), name)
                if problem:
                    form_self.add_error(name, problem)
                    cleaned.pop(name, None)
            geometry = cleaned.get("geometry")
            if geometry is not None:
                try:
                    geo.shape_from_geojson(geometry)
                except geo.GeometryError as exc:
                    form_self.add_error("geometry", str(exc))
            return cleaned

        form.clean = clean
        return form


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
        actions.do_save_perimeter(obj, acting_user=request.user, changed_fields=form.changed_data)

    def delete_model(self, request, obj):
        actions.do_delete_perimeter(obj, acting_user=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for perimeter in queryset:
                actions.do_delete_perimeter(perimeter, acting_user=request.user)

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
    readonly_fields = ("area_m2", "valid_from", "valid_until")
    inlines = [OwnershipInline]

    def save_model(self, request, obj, form, change):
        actions.do_save_parcel(obj, acting_user=request.user, changed_fields=form.changed_data)

    def delete_model(self, request, obj):
        actions.do_delete_parcels([obj], acting_user=request.user)

    def delete_queryset(self, request, queryset):
        actions.do_delete_parcels(queryset, acting_user=request.user)


@admin.register(DirectoryAuditEntry)
class DirectoryAuditEntryAdmin(admin.ModelAdmin):
    """Read only: entries are written by directory.actions."""

    list_display = ("at", "event", "target", "actor")
    list_filter = ("event",)
    search_fields = ("target", "actor__username")
    list_select_related = ("actor",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PartnerReview)
class PartnerReviewAdmin(admin.ModelAdmin):
    """Read only: answers are given through directory.approvals.actions (the partners' pages and the API)."""

    list_display = ("organisation", "status", "subject_type", "subject_id", "answered_by", "answered_at")
    list_filter = ("status", "subject_type")
    search_fields = ("organisation__name", "comment")
    list_select_related = ("organisation", "subject_type", "answered_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
