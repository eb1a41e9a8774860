from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from engine.models import BusinessCalendar, ClosureDay


@receiver([post_save, post_delete], sender=BusinessCalendar)
@receiver([post_save, post_delete], sender=ClosureDay)
def forget_calendar_specs(**kwargs):
    from engine.deadlines import clear_caches

    clear_caches()
