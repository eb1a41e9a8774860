"""The in-app notification centre: the bell's unread count, the list, marking as read.

The notifications are written by procedures.notifications (from the outbox, as each user chose in
their preferences); reading them here changes nothing but their ``read_at``, through the action
``do_mark_notifications_read``. Works without JavaScript (forms and redirects); htmx swaps the list
and the bell in place.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from procedures import actions
from procedures.models import Notification

PAGE_SIZE = 20


def unread_count(user):
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def _list_page(request, status=200):
    notifications = Notification.objects.filter(user=request.user).select_related("request")
    paginator = Paginator(notifications.order_by("-created_at", "-id"), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "web/notifications.html",
        {"page": page, "unread": unread_count(request.user)},
        status=status,
    )


@login_required
@require_GET
def notification_list(request):
    return _list_page(request)


def _back(request):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("notification-list")


@login_required
@require_POST
def notification_read(request):
    """Mark one or more notifications (``id``, repeatable) or all of them (``all``) as read."""
    raw = request.POST.getlist("id")
    if not raw and not request.POST.get("all"):
        messages.error(request, _("Choose the notifications to mark as read."))
        return _list_page(request, status=400)
    if not all(value.strip().isdigit() for value in raw):
        messages.error(request, _("A notification is named by its number."))
        return _list_page(request, status=400)
    ids = [int(value) for value in raw] if raw else None
    count = actions.do_mark_notifications_read(request.user, ids)
    messages.success(
        request,
        ngettext("%(count)d notification marked as read.", "%(count)d notifications marked as read.", count)
        % {"count": count},
    )
    return redirect(_back(request))
