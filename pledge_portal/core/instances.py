"""Model instances made in bulk without ``Model.__init__``.

``__init__`` passes every value through the field's descriptor and sends two signals: some microseconds an
instance, which for the 20,000 rows a return's check reads and the thousands of findings it writes add up to
most of the check. These helpers set the values straight into the instance, as ``__init__`` would have left
them, for a model nothing listens to the creation of (otherwise they make it as usual).
"""

from functools import cache

from django.db import models
from django.db.models import signals
from django.db.models.base import ModelState


@cache
def _attnames(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)


def _listened_to(model: type[models.Model]) -> bool:
    return bool(
        (signals.pre_init.receivers and signals.pre_init.has_listeners(model))
        or (signals.post_init.receivers and signals.post_init.has_listeners(model))
    )


def from_db(model: type[models.Model], db: str, field_names, values) -> models.Model:
    """For ``Model.from_db``: a row read whole (not through ``only`` or ``defer``) set straight in."""
    names = _attnames(model)
    if len(values) != len(names) or _listened_to(model):
        return super(model, model).from_db(db, field_names, values)
    instance = model.__new__(model)
    instance.__dict__.update(zip(names, values, strict=True))
    instance._state = ModelState()
    instance._state.adding = False
    instance._state.db = db
    return instance


def unsaved(model: type[models.Model], **values) -> models.Model:
    """A new instance from attribute names (``ret_id``, not ``ret``) to values; the others get their
    defaults. For objects only inserted in bulk (``core.bulk.insert``): nothing is checked or converted."""
    if _listened_to(model):
        return model(**values)
    instance = model.__new__(model)
    defaults = _defaults(model)
    instance.__dict__.update(defaults)
    instance.__dict__.update(values)
    instance._state = ModelState()
    return instance


@cache
def _defaults(model: type[models.Model]) -> dict:
    found = {}
    for field in model._meta.concrete_fields:
        if field.has_default() and callable(field.default):
            raise TypeError(f"{model.__name__}.{field.name} has a default made per instance; use the model itself.")
        found[field.attname] = field.get_default()
    return found
