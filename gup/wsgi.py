import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gup.settings")
application = get_wsgi_application()


def _warm_up():
    """Build the routing index before this worker takes traffic (ROUTING_INDEX_WARM_UP), then close the
    database connections it opened: with gunicorn's --preload this runs in the master before it forks,
    and workers sharing one inherited connection would read each other's results. The index itself (in
    memory, or the mapped file) is inherited safely."""
    from django.conf import settings
    from django.db import connections

    if settings.ROUTING_INDEX_WARM_UP:
        from directory.routing import warm_up

        try:
            warm_up()
        finally:
            for connection in connections.all(initialized_only=True):
                if not connection.in_atomic_block:  # never a caller's transaction (a test importing us)
                    connection.close()


_warm_up()
