"""The compliance pack moves to the packs app (issue 11). Here it leaves the returns app's state, and its table
is renamed to packs_compliancepack, rows and all; packs.0001_initial takes the model over without touching the
database. Nothing refers to the table by a foreign key, so the rename is the whole of the database's part."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("returns", "0002_compliance_pack")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable(name="compliancepack", table="packs_compliancepack")],
            state_operations=[migrations.DeleteModel(name="CompliancePack")],
        )
    ]
