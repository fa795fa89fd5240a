"""core.bulk.insert: one COPY on PostgreSQL, bulk_create elsewhere; the same rows either way."""

from datetime import date
from decimal import Decimal

from pledge_portal.core import bulk
from returns.models import Assignment, Finding, ValidationRun
from tests.returns.helpers import draft_return


def test_dicts_and_instances_are_stored_as_the_orm_would_store_them(world, django_assert_max_num_queries):
    ret = draft_return(world.own)
    awkward = 'Tab\there, "quotes", back\\slash and a\nnew line'
    with django_assert_max_num_queries(2):
        bulk.insert(
            Assignment,
            [
                {  # related objects stand for their keys; fields left out get their defaults
                    "ret": ret,
                    "position": 1,
                    "borough": world.own.borough,
                    "registration_number": "SW1",
                    "agency_name": awkward,
                    "start_date": date(2026, 7, 1),
                    "hourly_pay_rate": Decimal("38.45"),
                },
                {"ret_id": ret.pk, "position": 2, "borough_id": world.own.borough.pk, "reference_received": False},
            ],
        )
    first, second = ret.assignments.order_by("position")
    assert (first.registration_number, first.agency_name, first.start_date) == ("SW1", awkward, date(2026, 7, 1))
    assert first.hourly_pay_rate == Decimal("38.45") and first.project_team is False and first.end_date is None
    assert first.reference_received is None and second.reference_received is False
    assert second.registration_number == "" and second.role_id is None

    run = ValidationRun.objects.create(ret=ret, revision=ret.revision)
    finding = Finding(
        run=run, ret=ret, rule_code="ROW-001", severity="error", assignment=first, position=1, message="m", key="k"
    )
    bulk.insert(Finding, [finding])
    stored = Finding.objects.get()
    assert (stored.run_id, stored.assignment_id, stored.field, stored.key) == (run.pk, first.pk, "", "k")
