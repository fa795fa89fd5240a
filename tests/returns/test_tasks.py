"""Scheduled emails for returns: reminders before a deadline to units that have not submitted."""

from datetime import timedelta

from django.utils import timezone

from pledge_portal.accounts.roles import Role
from returns import services
from returns.models import ReportingPeriod, Return
from returns.tasks import remind_submitters_of_deadlines

from .helpers import draft_return
from .test_workflow import checked


def test_units_not_yet_submitted_are_reminded_in_the_days_before_the_deadline(world, mailoutbox):
    side = world.own
    ret = draft_return(side)
    period = ret.period
    ReportingPeriod.objects.filter(pk=period.pk).update(deadline=timezone.localdate() + timedelta(days=3))
    sent = remind_submitters_of_deadlines()
    # Two units in the region have not submitted: the borough's own users are reminded, and the MSP's users
    # for the borough it serves (who make that unit's return).
    assert sent == 2
    recipients = {address for m in mailoutbox for address in m.to}
    assert side.users[Role.BOROUGH_SUBMITTER].email in recipients
    assert side.users[Role.MSP_USER].email in recipients
    assert side.users[Role.REGIONAL_ANALYST].email not in recipients
    assert all(world.other.users[Role.BOROUGH_SUBMITTER].email not in m.to for m in mailoutbox)

    mailoutbox.clear()
    services.submit_return(ret=checked(ret), by=side.users[Role.BOROUGH_SUBMITTER])
    assert Return.objects.get(pk=ret.pk).status == Return.Status.SUBMITTED
    assert remind_submitters_of_deadlines() == 1  # submitted: only the MSP's unit is still reminded
    assert all(side.users[Role.BOROUGH_SUBMITTER].email not in m.to for m in mailoutbox)


def test_no_reminder_long_before_the_deadline(world, mailoutbox):
    ret = draft_return(world.own)
    ReportingPeriod.objects.filter(pk=ret.period_id).update(deadline=timezone.localdate() + timedelta(days=20))
    assert remind_submitters_of_deadlines() == 0 and not mailoutbox


def test_analysts_are_told_of_overdue_units_the_day_after_the_deadline(world, mailoutbox):
    from returns.tasks import tell_analysts_of_overdue_returns

    side = world.own
    ret = draft_return(side)
    ReportingPeriod.objects.filter(pk=ret.period_id).update(deadline=timezone.localdate() - timedelta(days=1))
    assert tell_analysts_of_overdue_returns() == 1
    (mail,) = mailoutbox
    assert mail.to == [side.users[Role.REGIONAL_ANALYST].email] and str(ret.unit) in mail.body
    mailoutbox.clear()
    ReportingPeriod.objects.filter(pk=ret.period_id).update(deadline=timezone.localdate() - timedelta(days=2))
    assert tell_analysts_of_overdue_returns() == 0 and not mailoutbox  # once, the day after
