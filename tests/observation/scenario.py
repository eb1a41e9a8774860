"""A controlled year of seven requests, each step at a chosen time (Europe/Paris), on the default
business calendar (Monday to Friday, 08:30-12:00 and 13:30-17:00: 7 hours a day, French public
holidays closed). Service level: acknowledge within 7 business hours, resolve within 14; on 1 July
2026 the resolve target becomes 21 hours. Each figure the tests assert is worked out in the comments.

R1 Wed 13 May 09:00 filed; ack 10:00 (1 h); done Fri 15 May 10:00: Wed 6.5 h, Thu 14 (Ascension)
   closed, Fri 1.5 h = 8 h (target 14 h, on time); confirmed 11:00 (closed); a fine recorded.
R2 Mon 1 June 09:00 filed; ack 11:00 (2 h); waits from 14:00 (3.5 h counted) to Wed 3 June 14:00
   (paused 3 + 7 + 4 = 14 h); done Thu 4 June 14:00 (3 + 4 = 7 h more): 10.5 h, on time, waited 14 h.
R4 Tue 30 June 09:00 filed (target 14 h, before the change); ack 10:00 (1 h); done Thu 2 July 09:00
   (6.5 + 7 + 0.5 = 14 h: exactly on target, on time although the level now says 21 h).
R3 Mon 6 July 09:00 filed (target 21 h); ack 09:30 (0.5 h); done Tue 7 July 12:00 (6.5 + 3.5 = 10 h,
   on time); reopened Wed 8 July 09:00 (a new resolve clock, 21 h); done again Wed 15 July 09:00:
   Wed 6.5 + Thu 7 + Fri 7 + Mon 7 + Tue 14 July closed + Wed 0.5 = 28 h: late.
R5 Wed 2 Sept 09:00 filed; rejected 10:00 (ack clock stopped at 1 h; resolve voided).
R6 Thu 3 Sept 09:00 filed urgent without criterion (the DVQ's check is raised); redirected to the
   landlord 09:30 (ack 0.5 h; a new ack clock starts); the DVQ upholds its alert: unjustified. Open.
R7 Thu 3 Sept 10:00 filed; merged into R6 at 11:00 (ack 1 h).

Acknowledge: [0.5, 0.5, 1, 1, 1, 1, 2] h: median 1 h, p90 1 + 0.4 x 1 = 1.4 h, 7/7 on time.
Resolve: [8, 10, 10.5, 14, 28] h: median 10.5 h, p90 14 + 0.6 x 14 = 22.4 h, 4/5 on time.
"""

import datetime
from decimal import Decimal

from observation.actions import do_record_fine
from procedures import actions
from procedures.models import ServiceLevel
from tests.factories import POINT_IN_COMMUNE_1, POINT_IN_QPV
from tests.procedures.helpers_actions import file, paris

HOUR = 3600


def _at(time_machine, *args):
    time_machine.move_to(paris(*args), tick=False)


def _do(request, code, world, **fields):
    reason = fields.pop("reason", "")
    actions.do_transition_request(request, code, acting_user=world.ctc_agent, fields=fields, reason=reason)
    request.refresh_from_db()


def build(world, category, time_machine):
    level = ServiceLevel.objects.create(name="Standard", acknowledge_hours=7, resolve_hours=14)
    r = {}
    _at(time_machine, 2026, 5, 13, 9, 0)
    r[1] = file(world, category)
    _at(time_machine, 2026, 5, 13, 10, 0)
    _do(r[1], "acknowledge", world)
    _do(r[1], "qualify", world)
    _do(r[1], "start_work", world)
    _at(time_machine, 2026, 5, 15, 10, 0)
    _do(r[1], "finish", world, resolution_note="Enlevé.")
    _at(time_machine, 2026, 5, 15, 11, 0)
    actions.do_confirm_request(r[1], acting_user=world.commune_user)
    do_record_fine(
        r[1], issued_on=datetime.date(2026, 5, 15), kind="fly_tipping", amount_eur="135",
        acting_user=world.commune_user,
    )  # fmt: skip

    _at(time_machine, 2026, 6, 1, 9, 0)
    r[2] = file(world, category, point=POINT_IN_QPV)
    _at(time_machine, 2026, 6, 1, 11, 0)
    _do(r[2], "acknowledge", world)
    _do(r[2], "qualify", world)
    _at(time_machine, 2026, 6, 1, 14, 0)
    _do(r[2], "wait", world, waiting_for="third_party", reason="Attente du bailleur.")
    _at(time_machine, 2026, 6, 3, 14, 0)
    _do(r[2], "start_work", world)
    _at(time_machine, 2026, 6, 4, 14, 0)
    _do(r[2], "finish", world, resolution_note="Réparé.")

    _at(time_machine, 2026, 6, 30, 9, 0)
    r[4] = file(world, category)
    _at(time_machine, 2026, 6, 30, 10, 0)
    _do(r[4], "acknowledge", world)
    _do(r[4], "qualify", world)
    _do(r[4], "start_work", world)
    _at(time_machine, 2026, 7, 1, 8, 0)
    level.resolve_hours = 21  # the service level changes mid-year
    level.save()
    _at(time_machine, 2026, 7, 2, 9, 0)
    _do(r[4], "finish", world, resolution_note="Fait.")

    _at(time_machine, 2026, 7, 6, 9, 0)
    r[3] = file(world, category)
    _at(time_machine, 2026, 7, 6, 9, 30)
    _do(r[3], "acknowledge", world)
    _do(r[3], "qualify", world)
    _do(r[3], "start_work", world)
    _at(time_machine, 2026, 7, 7, 12, 0)
    _do(r[3], "finish", world, resolution_note="Fait.")
    _at(time_machine, 2026, 7, 8, 9, 0)
    actions.do_reopen_request(r[3], acting_user=world.commune_user, reason="Toujours là.")
    r[3].refresh_from_db()
    _do(r[3], "start_work", world)
    _at(time_machine, 2026, 7, 15, 9, 0)
    _do(r[3], "finish", world, resolution_note="Vraiment fait.")

    _at(time_machine, 2026, 9, 2, 9, 0)
    r[5] = file(world, category)
    _at(time_machine, 2026, 9, 2, 10, 0)
    _do(r[5], "reject", world, turn_to="Le syndic.", reason="Domaine privé.")

    _at(time_machine, 2026, 9, 3, 9, 0)
    r[6] = file(world, category, point=POINT_IN_QPV, urgency="urgent")
    _at(time_machine, 2026, 9, 3, 9, 30)
    actions.do_redirect_request(
        r[6], acting_user=world.ctc_agent, reason="Terrain du bailleur.", target=world.landlord
    )
    actions.do_uphold_urgency_alert(r[6], acting_user=world.dvq_officer, note="Pas d'urgence.")
    _at(time_machine, 2026, 9, 3, 10, 0)
    r[7] = file(world, category, point=POINT_IN_COMMUNE_1)
    _at(time_machine, 2026, 9, 3, 11, 0)
    actions.do_merge_duplicate(r[7], r[6], acting_user=world.ctc_agent, reason="Même dépôt.")
    for request in r.values():
        request.refresh_from_db()
    return r


FINE_EUR = Decimal("135.00")
