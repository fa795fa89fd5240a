"""The leaks a probe found, refused through the services, the pages and the API.

* A submitter of one borough who is also an approver of another (a shared service) could sign off the
  first borough's return and its breaches of the cap.
* A steering group member of one region who is an analyst of another could lock the first region's period
  (which also asks for its compliance pack) and read its audit log.
* People holding roles in an agency and in an MSP (or in two regions) reached the other's returns through
  the API.

Each test also shows the same person doing the thing where their role allows it, so a refusal is the
policy's, not an accident of the data.
"""

from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from packs.models import CompliancePack
from pledge_portal.accounts.models import Membership
from pledge_portal.accounts.roles import TWO_FACTOR_ROLES, Role
from pledge_portal.audit import services as audit
from returns import services
from returns.models import ReportingUnit, Return

from ..factories import user_with_role
from ..returns.helpers import add_row, draft_return, good_row, open_period


def _also(user, role, organisation):
    """``user`` with ``role`` in ``organisation`` too, and an authenticator app if the role needs one."""
    Membership.objects.create(user=user, organisation=organisation, role=role)
    if role in TWO_FACTOR_ROLES and not Authenticator.objects.filter(user=user).exists():
        TOTP.activate(user, generate_totp_secret())
    return type(user).objects.get(pk=user.pk)  # fresh: roles are cached on the instance


@pytest.fixture
def shared_service(world):
    """Camden's workforce lead who also approves for Hackney (the own side's second borough)."""
    own = world.own
    person = user_with_role(Role.BOROUGH_SUBMITTER, own.borough.organisation)
    return _also(person, Role.BOROUGH_APPROVER, own.msp_borough.organisation)


def test_approver_elsewhere_cannot_sign_off_their_own_boroughs_return(world, shared_service, client_for):
    own = world.own
    ret = draft_return(own)
    row = add_row(ret, own, hourly_pay_rate=Decimal("99.00"))
    with pytest.raises(services.ReturnError, match="Only an approver"):
        services.sign_off_return(ret=ret, by=shared_service)
    with pytest.raises(services.ReturnError, match="Only an approver"):
        services.sign_off_row_breach(
            ret=ret, by=shared_service, assignment=row, reason="r", signed_by_title="DCS", chief_executive="C"
        )
    client = client_for(shared_service)
    assert client.post(reverse("returns:workflow", args=[ret.pk, "sign-off"])).status_code == 403
    breach_url = reverse("returns:row-breach", args=[ret.pk, row.pk])
    assert client.get(breach_url).status_code == 404
    posted = client.post(breach_url, {"reason": "r", "signed_by_title": "DCS", "chief_executive": "C"}, follow=False)
    assert posted.status_code == 404
    ret.refresh_from_db()
    row.refresh_from_db()
    assert ret.status == Return.Status.DRAFT and row.breach_sign_off_id is None
    # As Camden's submitter they still fill in Camden's return; as Hackney's approver they sign Hackney's.
    assert client.get(reverse("returns:row-add", args=[ret.pk])).status_code == 200
    services.ensure_reporting_units(region=own.region)
    hackney = services.start_return(
        unit=ReportingUnit.objects.get(boroughs=own.msp_borough), period=ret.period, by=shared_service
    )
    with pytest.raises(services.ReturnError, match="Only a submitted return"):
        services.sign_off_return(ret=hackney, by=shared_service)  # allowed by the policy; refused by the workflow


def test_analyst_elsewhere_cannot_lock_their_own_regions_period_or_read_its_audit_log(world, client_for):
    own, other = world.own, world.other
    person = _also(
        user_with_role(Role.STEERING_MEMBER, own.region.organisation),
        Role.REGIONAL_ANALYST,
        other.region.organisation,
    )
    period = open_period(own)
    other_period = open_period(other)
    audit.record(own.users[Role.BOROUGH_APPROVER], "test.own_region_secret", own.borough)
    with pytest.raises(services.ReturnError, match="regional analysts"):
        services.lock_period(period=period, by=person)
    client = client_for(person)
    assert client.post(reverse("returns:period-lock", args=[period.pk])).status_code == 404
    assert client.get(reverse("returns:period-extend", args=[period.pk])).status_code == 404
    assert client.post(reverse("packs:build", args=[period.pk])).status_code == 404
    period.refresh_from_db()
    assert not period.locked and not CompliancePack.objects.filter(period=period).exists()
    log = client.get(reverse("audit:log"))
    assert log.status_code == 200 and "test.own_region_secret" not in log.content.decode()
    # As steering member they still read their region's completeness; as the other's analyst they lock it.
    assert client.get(reverse("returns:completeness", args=[period.pk])).status_code == 200
    assert client.post(reverse("returns:period-lock", args=[other_period.pk])).status_code == 302
    other_period.refresh_from_db()
    assert other_period.locked


def test_the_api_refuses_what_a_role_held_elsewhere_does_not_allow(world, client_for):
    own, other = world.own, world.other
    ret = draft_return(own)
    add_row(ret, own)
    other_ret = draft_return(other)
    # An agency user of one side who is an MSP user of the other side's MSP.
    agency_and_msp = _also(
        user_with_role(Role.AGENCY_USER, own.agency.organisation), Role.MSP_USER, other.msp.organisation
    )
    services.ensure_reporting_units(region=own.region)
    msp_ret = services.start_return(
        unit=ReportingUnit.objects.get(boroughs=own.msp_borough), period=ret.period, by=own.users[Role.MSP_USER]
    )
    body = {"revision": msp_ret.revision, "mode": "replace", "rows": [_api_row(own)]}
    client = client_for(agency_and_msp)
    url = reverse("api-return-assignments", args=[msp_ret.pk])
    assert client.put(url, body, content_type="application/json").status_code == 404
    assert msp_ret.assignments.count() == 0
    # A steering member here who is an analyst elsewhere may read this return but not check it.
    steering_and_analyst = _also(
        user_with_role(Role.STEERING_MEMBER, own.region.organisation), Role.REGIONAL_ANALYST, other.region.organisation
    )
    client = client_for(steering_and_analyst)
    assert client.get(reverse("api-return", args=[ret.pk])).status_code == 200
    assert client.post(reverse("api-return-validate", args=[ret.pk])).status_code == 404
    assert client.post(reverse("api-return-validate", args=[other_ret.pk])).status_code == 202


def _api_row(side) -> dict:
    row = good_row(side, borough=side.msp_borough)
    return {
        "registration_number": row["registration_number"],
        "borough": side.msp_borough.gss_code,
        "role": row["role"].code,
        "engagement_type": row["engagement_type"],
        "start_date": row["start_date"].isoformat(),
        "hourly_pay_rate": str(row["hourly_pay_rate"]),
    }
