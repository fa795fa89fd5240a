"""The registers a steering group acts on: each breach with the rule broken, the excess, who agreed (the DCS
by name and job title, the Chief Executive), when and why, including locums under 3 years' PQE agreed as a
statutory exception (PQE-002); each cool-off flag with the borough's own explanation."""

from datetime import date
from decimal import Decimal

from dashboards import figures
from dashboards.figures import Scope
from pledge_portal.accounts.roles import Role
from returns.models import QueryExplanation, StatutoryException
from tests.dashboards.dashboard_data import Q2, Row, accepted_return, flag, region_with_card


def _world(side):
    built = accepted_return(
        side,
        side.borough,
        Q2,
        [Row("40.00", signed_off=True), Row("30.00"), Row("30.00"), Row("38.22")],
    )
    pqe_row = built.rows[1]
    pqe_row.pqe_years = Decimal("1.5")
    pqe_row.save(update_fields=["pqe_years"])
    approver = side.users[Role.BOROUGH_APPROVER]
    StatutoryException.objects.create(
        borough=side.borough,
        registration_number=pqe_row.registration_number,
        assignment_start=pqe_row.start_date,
        rule_code="PQE-001",
        agreed_value="1.5",
        reason="Only applicant for the out-of-hours rota",
        signed_by=approver,
        signed_by_title="Director of Children's Services",
        chief_executive="Pat Chief",
        signed_on=date(2026, 5, 1),
    )
    flag(built, [(1, "PQE-002"), (2, "COOL-003"), (0, "COOL-001")])
    QueryExplanation.objects.create(
        ret=built.ret, key="COOL-003:2", text="Left in 2019; the date reported was a typo", written_by=approver
    )
    return built, approver


def test_the_breach_register_names_the_rule_excess_signatories_date_and_reason(world):
    side = region_with_card(world.own)
    built, approver = _world(side)
    entries = figures.breach_register(Scope(Q2, Q2, region=side.region))
    assert [(e.row, e.rule_code) for e in entries] == [(1, "RATE-001"), (2, "PQE-002"), (4, "RATE-001")]
    signed, pqe, unsigned = entries
    # £40.00 against the £36.40 umbrella cap: £3.60, 9.9% of the cap.
    assert (signed.excess, signed.excess_percent) == (Decimal("3.60"), Decimal("9.9"))
    assert (signed.signed_off_by, signed.signed_off_by_title, signed.chief_executive) == (
        approver.full_name,
        "Director",
        "A Chief",
    )
    assert (signed.signed_off_on, signed.reason) == (date(2026, 5, 4), "Hard to fill")
    assert signed.rule == "RATE-001 Pay above the cap"
    assert pqe.rule == "PQE-002 Less than 3 years' post-qualifying experience"
    assert pqe.breach == "1.5 years' PQE; locums need 3"
    assert (pqe.signed_off_by, pqe.signed_off_by_title, pqe.chief_executive) == (
        approver.full_name,
        "Director of Children's Services",
        "Pat Chief",
    )
    assert (pqe.signed_off_on, pqe.reason) == (date(2026, 5, 1), "Only applicant for the out-of-hours rota")
    # £38.22 over the £36.40 cap with no sign-off: £1.82, 5.0%, no one agreed.
    assert (unsigned.excess, unsigned.excess_percent, unsigned.signed_off_by) == (Decimal("1.82"), Decimal("5.0"), "")


def test_the_cool_off_register_shows_the_boroughs_explanation_not_the_instruction(world):
    side = region_with_card(world.own)
    _world(side)
    entries = figures.cool_off_register(Scope(Q2, Q2, region=side.region))
    assert [(e.row, e.rule_code, e.explanation) for e in entries] == [
        (1, "COOL-001", ""),
        (3, "COOL-003", "Left in 2019; the date reported was a typo"),
    ]
