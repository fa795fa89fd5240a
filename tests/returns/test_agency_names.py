"""Agency names matched to the register: spelling of case, punctuation and a legal form does not matter; a
near miss is a query naming the nearest registered agency; an agency sees how many rows nearly name it."""

import pytest
from django.urls import reverse

from agencies.names import match_key
from pledge_portal.accounts.roles import Role
from returns.models import Return

from .helpers import add_row, draft_return
from .test_rules import found


@pytest.mark.parametrize(
    ("typed", "registered"),
    [
        ("Own Agency Ltd", "Own Agency Ltd"),
        ("own agency limited", "Own Agency Ltd"),
        ("OWN  AGENCY, LTD.", "Own Agency Ltd"),
        ("Smith & Jones LLP", "Smith and Jones"),
        ("Ｏｗｎ Agency", "Own Agency Ltd"),  # fullwidth letters, as pasted from another system
    ],
)
def test_one_key_for_the_ways_a_name_is_typed(typed, registered):
    assert match_key(typed) == match_key(registered)


def test_a_differently_typed_name_is_matched_and_a_near_miss_is_a_query_naming_the_agency(world):
    side = world.own
    ret = draft_return(side)
    matched = add_row(ret, side, agency_name="OWN AGENCY LIMITED")
    assert matched.agency == side.agency
    add_row(ret, side, registration_number="SW2", agency_name="Own Agancy Ltd")
    add_row(ret, side, registration_number="SW3", agency_name="Nobody We Know")
    near, unknown = found(ret, "AGENCY-001")
    assert "Did you mean Own Agency Ltd?" in near.message and near.position == 2
    assert "not on the agency register" in unknown.message and "Did you mean" not in unknown.message


def test_an_agency_sees_how_many_rows_nearly_name_it_and_the_form_offers_the_register(world, client_for):
    side = world.own
    ret = draft_return(side)
    add_row(ret, side, agency_name="Own Agancy")
    add_row(ret, side, registration_number="SW2", agency_name="Own Agancy Ltd")
    Return.objects.filter(pk=ret.pk).update(status=Return.Status.SUBMITTED)
    page = client_for(side.users[Role.AGENCY_USER]).get(reverse("returns:placement-flags")).content.decode()
    assert "2 rows in boroughs' submitted returns" in page
    other = client_for(world.other.users[Role.AGENCY_USER]).get(reverse("returns:placement-flags")).content.decode()
    assert "submitted returns name" not in other
    Return.objects.filter(pk=ret.pk).update(status=Return.Status.DRAFT)
    form = client_for(side.users[Role.BOROUGH_SUBMITTER]).get(reverse("returns:row-add", args=[ret.pk]))
    assert (
        'list="agency-register"' in form.content.decode()
        and f'<option value="{side.agency.name}">' in form.content.decode()
    )
