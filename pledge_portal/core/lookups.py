"""``field__any_of=values``: membership of a long list of values, sent as one parameter where it can be.

Django's ``__in`` makes a placeholder and a parameter for every value. For the thousands of registration
numbers of an upload, building, quoting and sending them costs more than the query takes to run; on
PostgreSQL ``= ANY(%s)`` sends the list as one array. Elsewhere (SQLite) it is ``__in``, so callers keep
lists there within SQLite's parameter limit (``chunk_size``).
"""

from django.db import connection, models
from django.db.models.lookups import In, Lookup

SQLITE_CHUNK = 900  # SQLite allows 999 parameters in a query


@models.CharField.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [self.lhs.output_field.get_prep_value(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            return In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::text[])", [*params, list(self.rhs)]


def chunk_size() -> int:
    """How many values one ``any_of`` may be given on this database."""
    return 1_000_000 if connection.vendor == "postgresql" else SQLITE_CHUNK
