"""The admin's tabular inline, with a name on every field (WCAG 4.1.2).

Django's tabular inline names its columns in the table's head only: a screen reader (and axe-core's
`label` rule) finds its inputs, and the "Delete" box of each row, without a label. Each field's widget
gets its label as `aria-label`.
"""

from django.contrib import admin
from django.forms.models import BaseInlineFormSet


def name_the_widget(field):
    if field is not None and field.label:
        field.widget.attrs.setdefault("aria-label", field.label)
    return field


class LabelledInlineFormSet(BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        for name in ("DELETE", "ORDER"):
            if name in form.fields:
                name_the_widget(form.fields[name])


class LabelledTabularInline(admin.TabularInline):
    formset = LabelledInlineFormSet

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return name_the_widget(super().formfield_for_dbfield(db_field, request, **kwargs))
