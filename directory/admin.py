from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin

from directory.models import Organisation, Parcel, Perimeter, RoleAssignment, Unit, User


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


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "organisation", "parent")
    list_filter = ("kind", "organisation")
    search_fields = ("name", "code")
    filter_horizontal = ("territory",)
    autocomplete_fields = ("organisation", "parent")


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


@admin.register(Perimeter)
class PerimeterAdmin(GuardedModelAdmin):
    list_display = ("name", "code", "layer", "commune", "unit", "area_m2")
    list_filter = ("layer",)
    search_fields = ("name", "code")


@admin.register(Parcel)
class ParcelAdmin(admin.ModelAdmin):
    list_display = ("ref", "owner", "domain", "area_m2")
    list_filter = ("domain", "owner__kind")
    search_fields = ("ref", "owner__name")
    list_select_related = ("owner",)
