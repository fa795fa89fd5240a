"""Loading the reference list of authorities."""

import csv
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from pledge_portal.accounts.models import Organisation
from pledge_portal.accounts.roles import OrganisationKind

from .models import Borough, Region, SubRegion

LONDON = {"code": "E12000007", "name": "London"}
LONDON_TEAM = "London Pledge programme team"
# The Pledge was signed by London's 32 boroughs; the City of London Corporation is a public body that uses
# the portal, recorded as not a signatory until analysts say otherwise.
NON_SIGNATORIES = {"E09000001"}
REQUIRED_COLUMNS = {"gss_code", "dfe_la_code", "name", "short_name", "sub_region"}


@transaction.atomic
def load_london_authorities(*, csv_path: Path) -> dict[str, int]:
    """Create or update London, its programme team, sub-regions and boroughs from the shared CSV.
    Idempotent: running it again changes nothing that is already right. Analysts' later edits to the
    signatory flag and sub-region are kept (only new boroughs get the defaults)."""
    with csv_path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = REQUIRED_COLUMNS - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{csv_path.name} lacks the columns: {', '.join(sorted(missing))}.")
        rows = list(reader)

    team, _ = Organisation.objects.get_or_create(
        slug=slugify(LONDON_TEAM), defaults={"name": LONDON_TEAM, "kind": OrganisationKind.REGIONAL_TEAM}
    )
    region, _ = Region.objects.get_or_create(code=LONDON["code"], defaults={"name": LONDON["name"]})
    if region.organisation_id is None:
        region.organisation = team
        region.save(update_fields=["organisation"])

    created = 0
    for row in rows:
        sub_region, _ = SubRegion.objects.get_or_create(region=region, name=row["sub_region"].strip())
        borough = Borough.objects.filter(gss_code=row["gss_code"]).first()
        if borough is None:
            org = Organisation.objects.create(
                kind=OrganisationKind.BOROUGH, name=row["name"], slug=slugify(row["name"])
            )
            Borough.objects.create(
                organisation=org,
                region=region,
                sub_region=sub_region,
                name=row["name"],
                short_name=row["short_name"],
                gss_code=row["gss_code"],
                dfe_code=row["dfe_la_code"],
                pledge_signatory=row["gss_code"] not in NON_SIGNATORIES,
            )
            created += 1
        else:
            borough.name, borough.short_name, borough.dfe_code = row["name"], row["short_name"], row["dfe_la_code"]
            borough.save(update_fields=["name", "short_name", "dfe_code"])
    return {"boroughs": len(rows), "created": created}
