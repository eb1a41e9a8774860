from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from directory.models import Competence
from gup.admin_inlines import LabelledTabularInline
from procedures.attributes import number_error_message, parse_number
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


class CategoryInline(LabelledTabularInline):
    model = Category
    fields = ("code", "name", "name_en", "is_active")
    extra = 0
    show_change_link = True


@admin.register(CategoryGroup)
class CategoryGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "position")
    inlines = [CategoryInline]


class ChoiceLinesField(forms.CharField):
    """A choice attribute's allowed values, one per line (stored as a JSON list)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        lines = [line.strip() for line in (value or "").splitlines()]
        return [line for line in lines if line]


class AdminNumberField(forms.FloatField):
    """A minimum or maximum typed with a point or a comma ("0,5"); anything ambiguous is refused."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_number(value)
        except ValueError:
            raise forms.ValidationError(number_error_message(), code="invalid") from None


class CategoryAttributeForm(forms.ModelForm):
    choices = ChoiceLinesField(
        label=_("choices"),
        required=False,
        help_text=_("For choice types: one allowed value per line."),
    )
    min_value = AdminNumberField(label=_("minimum"), required=False, widget=forms.TextInput)
    max_value = AdminNumberField(label=_("maximum"), required=False, widget=forms.TextInput)

    class Meta:
        model = CategoryAttribute
        fields = (
            "code", "label", "type", "required", "position", "help_text", "choices",
            "min_value", "max_value", "max_length",
        )  # fmt: skip


class CategoryAttributeInline(admin.StackedInline):
    model = CategoryAttribute
    form = CategoryAttributeForm
    extra = 0
    fields = (
        ("code", "label", "label_en", "type", "required", "position"),
        ("help_text", "help_text_en"),
        ("choices", "choice_labels_en"),
        ("min_value", "max_value", "max_length"),
    )


class UrgencyCriterionInline(LabelledTabularInline):
    model = UrgencyCriterion
    extra = 0
    fields = ("code", "label", "label_en", "position", "is_active")


class CategoryCompetenceInline(LabelledTabularInline):
    """Who handles the category, edited on its own page (the same rows as the directory's
    "Competences" screen; saving them bumps the routing rules like any competence change)."""

    model = Competence
    fields = ("unit", "communes", "direct_handling", "season_start", "season_end", "note")
    autocomplete_fields = ("unit",)
    extra = 0
    verbose_name = _("unit that handles this category")
    verbose_name_plural = _("who handles this category (competences)")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "group", "is_active", "handled_by")
    list_filter = ("group", "is_active")
    search_fields = ("name", "code", "keywords")
    readonly_fields = ("routing_summary",)
    inlines = [UrgencyCriterionInline, CategoryAttributeInline, CategoryCompetenceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("competences__unit")

    @admin.display(description=_("handled by"))
    def handled_by(self, category):
        units = sorted({competence.unit.name for competence in category.competences.all()})
        return ", ".join(units) if units else _("the CTC of the place (no competence)")

    @admin.display(description=_("who handles it"))
    def routing_summary(self, category):
        if category.pk is None:
            return _("Save the category, then say below which units handle it.")
        competences = list(category.competences.all())
        if not competences:
            return _(
                "No unit handles this category yet: its requests go to the CTC of the place, to be "
                "qualified. Add a line below to route them."
            )
        rows = format_html_join(
            "",
            '<li><a href="{}">{}</a>{}</li>',
            (
                (
                    reverse("admin:directory_competence_change", args=[competence.pk]),
                    competence.unit.name,
                    f" · {_('direct handling')}" if competence.direct_handling else "",
                )
                for competence in competences
            ),
        )
        return format_html("<ul>{}</ul>", rows)


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


class RequestMessageInline(LabelledTabularInline):
    model = RequestMessage
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "body", "author")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class RequestFollowerInline(LabelledTabularInline):
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


from procedures.sectors import admin as sectors_admin  # noqa: E402,F401  (sub-sector procedures)
from procedures.sectors import clect_admin  # noqa: E402,F401  (their CLECT groups)
