import pytest

from engine.errors import InvalidFields
from procedures import actions
from procedures.models import Notification, NotificationPreference


def test_a_user_chooses_the_channels_of_an_event_and_can_change_them(world):
    user = world.commune_user
    actions.do_set_notification_preference(user, "message", by_email=False, in_app=True)
    actions.do_set_notification_preference(user, "message", by_email=True, in_app=False)
    assert list(NotificationPreference.objects.values_list("user", "event", "by_email", "in_app")) == [
        (user.pk, "message", True, False)
    ]


@pytest.mark.parametrize(
    ("event", "by_email", "field"), [("weather", True, "event"), ("message", "yes", "channels")]
)
def test_it_refuses_an_unknown_event_or_a_non_boolean_channel(world, event, by_email, field):
    with pytest.raises(InvalidFields) as raised:
        actions.do_set_notification_preference(world.commune_user, event, by_email=by_email, in_app=True)
    assert list(raised.value.errors) == [field]
    assert not NotificationPreference.objects.exists()


def test_a_user_marks_only_their_own_notifications_read(world):
    mine = [
        Notification.objects.create(user=world.commune_user, event="message", text=f"n{i}") for i in range(3)
    ]
    other = Notification.objects.create(user=world.commune_2_user, event="message", text="other")
    assert actions.do_mark_notifications_read(world.commune_user, ids=[mine[0].pk, other.pk]) == 1
    assert actions.do_mark_notifications_read(world.commune_user) == 2
    assert actions.do_mark_notifications_read(world.commune_user) == 0
    other.refresh_from_db()
    assert other.read_at is None
