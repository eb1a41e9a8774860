"""GUP domain data for intervention requests: categories and their groups."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CategoryGroup(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category group")
        verbose_name_plural = _("category groups")

    def __str__(self):
        return self.name


class Category(models.Model):
    """A type of dysfunction; what Open311 calls a service."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    group = models.ForeignKey(
        CategoryGroup, on_delete=models.PROTECT, related_name="categories", verbose_name=_("group")
    )
    keywords = models.CharField(_("keywords"), max_length=300, blank=True, help_text=_("Comma-separated."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["group__position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name

    @property
    def keyword_list(self):
        return [word.strip() for word in self.keywords.split(",") if word.strip()]
