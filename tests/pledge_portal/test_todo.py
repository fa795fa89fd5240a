"""The home page's to-do list: what waits for each user, only where they may act, most urgent first."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from pledge_portal.accounts.roles import Role
from pledge_portal.core.todo import todo_for
from references import services as reference_services
from returns import services
from returns.models import ReportingPeriod, Return

from ..returns.helpers import add_row, draft_return
from ..returns.test_workflow import checked


def _texts(user) -> list[str]:
    return [t.text for t in todo_for(user, today=timezone.localdate())]


def test_each_role_sees_what_waits_for_it(world, client_for):
    own, other = world.own, world.other
    roles = (Role.BOROUGH_SUBMITTER, Role.BOROUGH_APPROVER, Role.REGIONAL_ANALYST)
    lead, approver, analyst = (own.users[r] for r in roles)
    ret = draft_return(own)
    add_row(ret, own)
    ReportingPeriod.objects.filter(pk=ret.period_id).update(deadline=timezone.localdate() + timedelta(days=3))
    assert any(t.startswith(f"Submit {ret.unit}'s return") for t in _texts(lead))  # the deadline is near
    assert not any("Submit" in t for t in _texts(other.users[Role.BOROUGH_SUBMITTER]))

    services.submit_return(ret=checked(ret), by=lead)
    assert f"Sign off {ret.unit}'s return for {ret.period.label}" in _texts(approver)
    assert not any("Sign off" in t for t in _texts(other.users[Role.BOROUGH_APPROVER]))
    assert not any("Sign off" in t for t in _texts(lead))

    services.send_back_to_submitter(ret=ret, by=approver, comment="Fix row 1")
    assert f"Change {ret.unit}'s return for {ret.period.label}: it was sent back" in _texts(lead)

    services.submit_return(ret=checked(ret), by=lead)
    services.sign_off_return(ret=ret, by=approver)
    assert f"Accept or send back {ret.unit}'s return for {ret.period.label}" in _texts(analyst)
    assert not any("Accept" in t for t in _texts(other.users[Role.REGIONAL_ANALYST]))
    assert not any("Accept" in t for t in _texts(own.users[Role.STEERING_MEMBER]))  # steering members read only

    request = reference_services.request_reference(
        agency=own.agency,
        borough=own.borough,
        by=own.users[Role.AGENCY_USER],
        registration_number="SW77",
        candidate_name="C",
    )
    assert any(f"(request {request.pk})" in t for t in _texts(lead))
    page = client_for(lead).get(reverse("home")).content.decode()
    assert "Your to-do list" in page and f"(request {request.pk})" in page


def test_overdue_units_are_listed_first_for_the_analyst(world):
    own = world.own
    ret = draft_return(own)
    ReportingPeriod.objects.filter(pk=ret.period_id).update(deadline=timezone.localdate() - timedelta(days=1))
    items = todo_for(own.users[Role.REGIONAL_ANALYST], today=timezone.localdate())
    assert items and items[0].overdue and "not submitted" in items[0].text
    assert Return.objects.get(pk=ret.pk).status == Return.Status.DRAFT
