from django.contrib import admin

from procedures.models import Category, CategoryGroup


class CategoryInline(admin.TabularInline):
    model = Category
    fields = ("code", "name", "is_active")
    extra = 0
    show_change_link = True


@admin.register(CategoryGroup)
class CategoryGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "position")
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "group", "is_active")
    list_filter = ("group", "is_active")
    search_fields = ("name", "code", "keywords")
