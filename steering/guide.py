"""The DVQ's guide: Markdown rendered safely and searched.

Rendering uses markdown-it-py in its CommonMark mode with raw HTML off (``html=False``): any ``<tag>``
an author types is shown as text, and link targets go through markdown-it's own URL validation (no
``javascript:``, ``vbscript:``, ``file:`` or non-image ``data:`` links)."""

from django.db.models import Q
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def render(text):
    """HTML for a page's Markdown (safe: raw HTML is escaped)."""
    return mark_safe(_MD.render(text or ""))


def search(queryset, query):
    query = (query or "").strip()
    if not query:
        return queryset
    q = Q()
    for word in query.split()[:8]:
        q &= Q(title__icontains=word) | Q(body__icontains=word)
    return queryset.filter(q)
