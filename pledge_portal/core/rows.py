"""Rows of a ``values_list()`` query as the database driver gives them.

Django passes every value of such a query through its field's converter: an aggregate over an integer
column through ``int()``, over a decimal through ``Decimal()``. psycopg already gives PostgreSQL's integers,
numerics and dates as ``int``, ``Decimal`` and ``date``, so on PostgreSQL converting again only costs: for a
dashboard's shared sums (some thousands of lines of six sums) more than the query itself. SQLite gives dates
and decimals as text and numbers, so there Django's own conversion is kept.
"""

from django.db import connections
from django.db.models import QuerySet


def plain_rows(qs: QuerySet) -> list[tuple]:
    """``list(qs)`` for a ``values_list()`` query whose columns are integers, numerics, dates and text (not
    JSON, not ``flat``, no ``named``): the same tuples, on PostgreSQL without Django's converters."""
    connection = connections[qs.db]
    if connection.vendor != "postgresql":
        return list(qs)
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
