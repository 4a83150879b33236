"""Filter types shared by the API's filter sets."""

from __future__ import annotations

import django_filters
from django import forms

MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):  # type: ignore[misc]
    """A primary-key filter; out-of-range values are a 400, not a database error."""

    field_class = forms.IntegerField

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
