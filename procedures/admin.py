from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from procedures.models import (
    Category,
    CategoryAttribute,
    CategoryGroup,
    InterventionRequest,
    NotificationPreference,
    RequestFollower,
    RequestMessage,
    ServiceLevel,
    UrgencyCriterion,
)


class CategoryInline(admin.TabularInline):
    model = Category
    fields = ("code", "name", "name_en", "is_active")
    extra = 0
    show_change_link = True


@admin.register(CategoryGroup)
class CategoryGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "position")
    inlines = [CategoryInline]


class CategoryAttributeInline(admin.StackedInline):
    model = CategoryAttribute
    extra = 0
    fields = (
        ("code", "label", "label_en", "type", "required", "position"),
        ("help_text", "help_text_en"),
        ("choices", "choice_labels_en"),
        ("min_value", "max_value", "max_length"),
    )


class UrgencyCriterionInline(admin.TabularInline):
    model = UrgencyCriterion
    extra = 0
    fields = ("code", "label", "label_en", "position", "is_active")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "group", "is_active")
    list_filter = ("group", "is_active")
    search_fields = ("name", "code", "keywords")
    inlines = [UrgencyCriterionInline, CategoryAttributeInline]


@admin.register(ServiceLevel)
class ServiceLevelAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "category",
        "zone_type",
        "urgency",
        "season_start",
        "season_end",
        "acknowledge_hours",
        "resolve_hours",
        "is_active",
    )
    list_filter = ("zone_type", "urgency", "is_active", "category")
    search_fields = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "is_active")}),
        (
            _("Applies to (empty: any)"),
            {"fields": ("category", "zone_type", "urgency", "season_start", "season_end")},
        ),
        (_("Targets in business hours"), {"fields": ("acknowledge_hours", "resolve_hours")}),
    )


class RequestMessageInline(admin.TabularInline):
    model = RequestMessage
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "body", "author")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class RequestFollowerInline(admin.TabularInline):
    model = RequestFollower
    extra = 0
    can_delete = False
    fields = ("organisation", "via_merge", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(InterventionRequest)
class InterventionRequestAdmin(admin.ModelAdmin):
    """Read-only: requests change only through the action layer (procedures.actions)."""

    list_display = ("reference", "category", "commune", "urgency", "handler_unit", "created_at", "closed_at")
    list_filter = ("urgency", "in_qpv", "category__group", "commune")
    search_fields = ("reference", "address")
    date_hierarchy = "created_at"
    list_select_related = ("category", "commune", "handler_unit")
    inlines = [RequestMessageInline, RequestFollowerInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields] + ["urgency_criteria"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "event", "by_email", "in_app")
    list_filter = ("event",)
    raw_id_fields = ("user",)
