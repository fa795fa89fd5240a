"""Changing what a region decides about its dashboards: the only writers in dashboards."""

from decimal import Decimal

from django.db import transaction

from pledge_portal import access
from pledge_portal.audit import services as audit

from .models import BiddingUpThreshold

PERCENT_MAX = Decimal(100)
POUNDS_MAX = Decimal(100)


class DashboardSettingError(Exception):
    """A refused change, with a message to show the user."""


def check_bidding_up_threshold(percent: Decimal | None, pounds: Decimal | None) -> dict[str, str]:
    """What is wrong with a threshold, by field (empty when nothing is): the form and the service ask this."""
    errors = {}
    if percent is None and pounds is None:
        errors["rise_percent"] = "Enter a percentage, an amount an hour, or both"
    if percent is not None and not Decimal(0) < percent <= PERCENT_MAX:
        errors["rise_percent"] = f"Enter a percentage above 0 and at most {PERCENT_MAX}"
    if pounds is not None and not Decimal(0) < pounds <= POUNDS_MAX:
        errors["rise_pounds"] = f"Enter an amount above £0 and at most £{POUNDS_MAX} an hour"
    return errors


@transaction.atomic
def set_bidding_up_threshold(
    *, region, by, percent: Decimal | None, pounds: Decimal | None, both: bool = False
) -> BiddingUpThreshold:
    """A regional analyst sets where a rise in pay between a worker's assignments is flagged, for their region.
    Audited with the old and new figures."""
    acting = access.require(by, "bidding_up.set_threshold", region, error=DashboardSettingError)
    errors = check_bidding_up_threshold(percent, pounds)
    if errors:
        raise DashboardSettingError(" ".join(errors.values()) + ".")
    threshold = BiddingUpThreshold.objects.select_for_update().filter(region=region).first()
    before = (
        {"percent": str(threshold.rise_percent), "pounds": str(threshold.rise_pounds), "both": threshold.both}
        if threshold
        else None
    )
    threshold = threshold or BiddingUpThreshold(region=region)
    threshold.rise_percent, threshold.rise_pounds = percent, pounds
    threshold.both = bool(both and percent is not None and pounds is not None)
    threshold.updated_by = by
    threshold.save()
    audit.record(
        by,
        "bidding_up.threshold_set",
        threshold,
        organisation=acting,
        detail={"before": before, "percent": str(percent), "pounds": str(pounds), "both": threshold.both},
    )
    return threshold
