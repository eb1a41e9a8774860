import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gup.settings")
application = get_wsgi_application()


def _warm_up():
    """Build the routing index before this worker takes traffic (ROUTING_INDEX_WARM_UP)."""
    from django.conf import settings

    if settings.ROUTING_INDEX_WARM_UP:
        from directory.routing import warm_up

        warm_up()


_warm_up()
