"""core.instances, core.lookups and core.rows: what the upload's check and the dashboards make and ask in bulk is
what the ORM would."""

from datetime import date
from decimal import Decimal

from django.db import models
from django.db.models import signals

from pledge_portal.core import bulk, instances
from pledge_portal.core.rows import plain_rows
from returns.models import Assignment, Finding, ValidationRun
from tests.returns.helpers import draft_return


def _stored(ret, world):
    bulk.insert(
        Assignment,
        [
            {
                "ret": ret,
                "position": 1,
                "borough": world.own.borough,
                "registration_number": "SW101",
                "start_date": date(2026, 7, 1),
                "hourly_pay_rate": Decimal("38.45"),
            },
            {"ret": ret, "position": 2, "borough": world.own.borough, "registration_number": "SW202"},
        ],
    )


def test_a_row_read_whole_is_the_row_the_model_would_make(world):
    ret = draft_return(world.own)
    _stored(ret, world)
    fast = list(ret.assignments.order_by("position"))
    slow = [Assignment(*[getattr(row, f.attname) for f in Assignment._meta.concrete_fields]) for row in fast]
    for a, b in zip(fast, slow, strict=True):
        for field in Assignment._meta.concrete_fields:
            assert getattr(a, field.attname) == getattr(b, field.attname), field.name
        assert a._state.adding is False and a._state.db == "default"
        assert a.ret == ret and a.borough == world.own.borough  # relations load as usual
    first = fast[0]
    first.agency_name = "Changed Ltd"
    first.save(update_fields=["agency_name"])  # an instance so made saves as any other
    assert Assignment.objects.get(pk=first.pk).agency_name == "Changed Ltd"


def test_a_row_read_in_part_or_listened_to_is_made_by_the_model(world):
    ret = draft_return(world.own)
    _stored(ret, world)
    partial = ret.assignments.only("pk", "registration_number").order_by("position").first()
    assert partial.get_deferred_fields() and partial.registration_number == "SW101"
    assert partial.hourly_pay_rate == Decimal("38.45")  # a deferred field loads on use

    made = []

    def listener(sender, instance, **kwargs):
        made.append(instance)

    signals.post_init.connect(listener, sender=Assignment)
    try:
        rows = list(ret.assignments.all())
    finally:
        signals.post_init.disconnect(listener, sender=Assignment)
    assert made == rows and len(rows) == 2


def test_an_unsaved_finding_gets_the_defaults_and_inserts(world):
    ret = draft_return(world.own)
    run = ValidationRun.objects.create(ret=ret, revision=ret.revision)
    finding = instances.unsaved(Finding, ret_id=ret.pk, rule_code="ROW-001", severity="error", message="m", key="k")
    assert finding.pk is None and finding.field == "" and finding.assignment_id is None and finding._state.adding
    finding.run = run
    bulk.insert(Finding, [finding])
    stored = Finding.objects.get(run=run)
    assert (stored.rule_code, stored.field, stored.position, stored.message) == ("ROW-001", "", None, "m")


def test_any_of_matches_as_in_does(world):
    ret = draft_return(world.own)
    _stored(ret, world)
    numbers = ["SW202", "SW999", *[f"SW9{n:05d}" for n in range(3000)]]  # past SQLite's parameter limit per chunk
    assert Assignment._meta.get_field("registration_number").get_lookup("any_of") is not None
    found = set()
    from pledge_portal.core.lookups import chunk_size

    step = chunk_size()
    for start in range(0, len(numbers), step):
        found |= set(
            ret.assignments.filter(registration_number__any_of=numbers[start : start + step]).values_list(
                "registration_number", flat=True
            )
        )
    assert found == {"SW202"}
    assert not ret.assignments.filter(registration_number__any_of=[]).exists()
    assert isinstance(Assignment._meta.get_field("registration_number"), models.CharField)


def test_the_collector_is_paused_within_nested_steps_and_restored_after():
    import gc

    from pledge_portal.core import collector

    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer step is still running
    assert gc.isenabled()

    gc.disable()  # a caller that had it off keeps it off
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

    try:
        with collector.paused():
            raise ValueError("a step that fails")
    except ValueError:
        pass
    assert gc.isenabled()


def test_plain_rows_are_the_rows_django_gives(world):
    ret = draft_return(world.own)
    _stored(ret, world)
    grouped = (
        Assignment.objects.filter(ret=ret)
        .values_list("ret_id", "start_date", "registration_number")
        .annotate(n=models.Count("pk"), pay=models.Sum("hourly_pay_rate"), charge=models.Sum("hourly_charge_rate"))
        .order_by("position")
    )
    rows = plain_rows(grouped)
    assert rows == list(grouped)
    assert rows[0][1:] == (date(2026, 7, 1), "SW101", 1, Decimal("38.45"), None)  # a date, a sum, a blank sum
    assert [type(value) for value in rows[0]] == [int, date, str, int, Decimal, type(None)]
