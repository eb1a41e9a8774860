"""iCalendar (RFC 5545) for meetings: the invitation, update and cancellation attachments, and each
user's feed. Times are written in the meeting's own time zone (``DTSTART;TZID=Europe/Paris``) with its
VTIMEZONE, so calendars show the right local time on both sides of a daylight-saving change."""

import zoneinfo
from datetime import datetime

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//GUP Grand Paris Seine et Oise//steering//FR"


def snapshot(meeting):
    """What an e-mail about the meeting needs, frozen when the change was made (outbox payload)."""
    return {
        "uid": str(meeting.uid),
        "sequence": meeting.sequence,
        "title": meeting.title,
        "kind": meeting.kind.name,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "time_zone": meeting.time_zone,
        "place": meeting.place,
        "video_url": meeting.video_url,
        "cancelled": meeting.status == "cancelled",
        "organiser_email": meeting.organiser.email or settings.DEFAULT_FROM_EMAIL,
        "organiser_name": meeting.organiser.get_full_name() or meeting.organiser.username,
        "url": f"{settings.SITE_BASE_URL}/steering/meetings/{meeting.pk}/",
    }


def _event(data, attendee_emails=()):
    zone = zoneinfo.ZoneInfo(data["time_zone"])
    event = Event()
    event.add("uid", f"{data['uid']}@gup")
    event.add("sequence", data["sequence"])
    event.add("summary", data["title"])
    event.add("dtstamp", datetime.now(tz=zoneinfo.ZoneInfo("UTC")))
    event.add("dtstart", datetime.fromisoformat(data["starts_at"]).astimezone(zone))
    event.add("dtend", datetime.fromisoformat(data["ends_at"]).astimezone(zone))
    location = data["place"] or data["video_url"]
    if location:
        event.add("location", location)
    description = data["kind"]
    if data["video_url"]:
        description += f"\n{data['video_url']}"
    event.add("description", f"{description}\n{data['url']}")
    event.add("url", data["url"])
    event.add("status", "CANCELLED" if data["cancelled"] else "CONFIRMED")
    organiser = vCalAddress(f"mailto:{data['organiser_email']}")
    organiser.params["cn"] = vText(data["organiser_name"])
    event.add("organizer", organiser)
    for email in attendee_emails:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee)
    return event


def _calendar(method=None):
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    return cal


def invitation_ics(data, attendee_emails=()):
    """The ``.ics`` of an invitation or update (METHOD:REQUEST) or a cancellation (METHOD:CANCEL)."""
    cal = _calendar("CANCEL" if data["cancelled"] else "REQUEST")
    cal.add_component(_event(data, attendee_emails))
    cal.add_missing_timezones()
    return cal.to_ical()


def feed_ics(meetings):
    """A user's feed: every meeting given (planned, held or cancelled), without METHOD."""
    cal = _calendar()
    cal.add("x-wr-calname", "GUP")
    for meeting in meetings:
        cal.add_component(_event(snapshot(meeting)))
    cal.add_missing_timezones()
    return cal.to_ical()
