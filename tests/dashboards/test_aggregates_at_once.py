"""The figures of two returns of one quarter built at the same moment (two acceptances, an acceptance and a
rebuild): the whole-region figures add up both (``dashboards.aggregates.roll_up`` takes the quarter's lock).
Real threads, each with its own connection and transaction, so the tests are transactional. Acceptances
through the services also take turns on the audit log, so the figures are built here as ``refresh`` builds
them for any caller."""

import threading
import time

import pytest
from django.db import connection, transaction

from dashboards import aggregates
from dashboards.models import AgencyFigures, PayFigures, RegionAgencyFigures, RegionPayFigures
from returns.models import Return
from tests.dashboards.dashboard_data import Q1, Row, accepted_return, added_up, more_boroughs, region_with_card

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("audit_log_flushable")]


def _wait_for_a_lock_wait(seconds: float = 20) -> None:
    """On PostgreSQL, until another session waits for a lock (the second acceptance, for the quarter's): the
    race this proves is then certain. SQLite lets one writer in at a time, so there the second waits anyway."""
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")  # live, not a snapshot
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("The second acceptance never waited for the first")


SIGNED_OFF = Return.Status.SIGNED_OFF


def _accept(ret: Return) -> None:
    with transaction.atomic():
        Return.objects.filter(pk=ret.pk).update(status=Return.Status.ACCEPTED)
        aggregates.refresh(Return.objects.get(pk=ret.pk))


def test_two_returns_of_one_quarter_accepted_at_once_are_bothadded_up(world):
    side = region_with_card(world.own)
    accepted_return(side, side.borough, Q1, [Row("40.00", start=Q1)])  # the quarter already has lines
    first, second = (
        accepted_return(
            side, borough, Q1, [Row("31.00", start=Q1), Row("33.00", start=Q1)], status=Return.Status.SIGNED_OFF
        )
        for borough in more_boroughs(side, 2)
    )
    first_holding, second_started, failures = threading.Event(), threading.Event(), []

    def accept_first_and_hold():
        try:
            with transaction.atomic():
                _accept(first.ret)
                first_holding.set()
                second_started.wait(20)
                _wait_for_a_lock_wait()  # the second is blocked behind this transaction: commit now
        except Exception as error:  # noqa: BLE001 - the test reports it
            failures.append(error)
        finally:
            first_holding.set()
            connection.close()

    def accept_second():
        try:
            second_started.set()
            _accept(second.ret)
        except Exception as error:  # noqa: BLE001 - the test reports it
            failures.append(error)
        finally:
            connection.close()

    holding = threading.Thread(target=accept_first_and_hold)
    holding.start()
    first_holding.wait(20)
    waiting = threading.Thread(target=accept_second)
    waiting.start()
    for thread in (holding, waiting):
        thread.join(60)
    assert not failures

    for whole, parts, keys, sums in [
        (RegionAgencyFigures, AgencyFigures, ("agency_id",), ("rows", "breaches", "signed_off")),
        (RegionPayFigures, PayFigures, ("basis", "rate"), ("rows",)),
    ]:
        assert added_up(whole, keys, sums) == added_up(parts, keys, sums), whole.__name__
        assert sum(whole.objects.filter(quarter=Q1).values_list("rows", flat=True)) == 5, whole.__name__
