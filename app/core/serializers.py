"""Serializer bases: unknown fields rejected, flat rows written without per-field overhead."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from rest_framework import serializers
from rest_framework.settings import api_settings


class StrictFieldsMixin(serializers.Serializer):  # type: ignore[type-arg]
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown or read-only field."] for name in unknown}
                )
        return super().to_internal_value(data)


def _datetime(value: datetime) -> str:
    # What DRF's DateTimeField writes with the ISO-8601 default: UTC, "Z" suffix.
    if value.tzinfo is UTC:
        # What the database hands back. isoformat()'s argument parsing and UTC offset
        # formatting cost twice this (100 values a page, docs/performance.md), and an
        # f-string half as much again; the text is the same: four-digit year,
        # microseconds only when non-zero.
        fields = (value.year, value.month, value.day, value.hour, value.minute, value.second)
        if value.microsecond:
            return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (*fields, value.microsecond)  # noqa: UP031
        return "%04d-%02d-%02dT%02d:%02d:%02dZ" % fields  # noqa: UP031
    text = (value.astimezone(UTC) if value.tzinfo is not None else value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _date(value: date) -> str:
    return value.isoformat()


# Field classes whose output is a plain conversion of one attribute, most specific first.
_CONVERTERS: tuple[tuple[type[serializers.Field], Callable[[Any], Any]], ...] = (  # type: ignore[type-arg]
    (serializers.DateTimeField, _datetime),
    (serializers.DateField, _date),
    (serializers.ChoiceField, str),
    (serializers.CharField, str),
    (serializers.IntegerField, int),
    (serializers.BooleanField, bool),
)


class FlatRepresentationMixin(serializers.Serializer):  # type: ignore[type-arg]
    """Writes rows without DRF's per-field machinery when every field is a flat attribute.

    A page of 50 employees spent about a quarter of the request in the generic
    ``to_representation`` (docs/performance.md). The output is the same: each readable
    field's attribute, ``None`` kept as is, converted as its DRF field would
    (tests/app/test_query_counts.py compares the two). Serializers with any other field
    (nested, method, custom format) take DRF's path.
    """

    # Per class, built from the first instance's fields: DRF builds a serializer's fields
    # anew for every instance (for ModelSerializer by introspecting the model), which for
    # a page was most of the cost left in serialization. These serializers' fields do
    # not depend on the instance or its context.
    _flat_plans: dict[type, list[tuple[str, str, Callable[[Any], Any]]] | None] = {}

    def _plan(self) -> list[tuple[str, str, Callable[[Any], Any]]] | None:
        cls = type(self)
        try:
            return self._flat_plans[cls]
        except KeyError:
            pass
        plan: list[tuple[str, str, Callable[[Any], Any]]] | None = []
        for field in self._readable_fields:
            converter = next((c for kind, c in _CONVERTERS if isinstance(field, kind)), None)
            custom_format = getattr(field, "format", None) not in (
                None,
                api_settings.DATETIME_FORMAT,
            )
            if converter is None or len(field.source_attrs) != 1 or custom_format:
                plan = None
                break
            assert plan is not None  # noqa: S101 - narrowed for mypy
            plan.append((str(field.field_name), field.source_attrs[0], converter))
        self._flat_plans[cls] = plan
        return plan

    @classmethod
    def _class_plan(cls) -> list[tuple[str, str, Callable[[Any], Any]]] | None:
        try:
            return cls._flat_plans[cls]
        except KeyError:
            return cls()._plan()  # built once, from an instance without context

    @classmethod
    def flat_sources(cls) -> list[str] | None:
        """The attributes the rows are written from, if flat: ``QuerySet.values`` names."""
        plan = cls._class_plan()
        return None if plan is None else [attr for _, attr, _ in plan]

    @classmethod
    def flat_rows(cls, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` (``values(*flat_sources())`` dicts) written as a page of this serializer.

        What ``Serializer(rows, many=True).data`` writes, without the serializers DRF
        builds around each page (their fields and binding were about a third of a
        page's serialization, docs/performance.md).
        """
        plan = cls._class_plan()
        if plan is None:
            raise TypeError(f"{cls.__name__} has fields that are not flat")
        page = []
        for instance in rows:
            row = {}
            for name, attr, convert in plan:
                value = instance[attr]
                row[name] = None if value is None else convert(value)
            page.append(row)
        return page

    def to_representation(self, instance: Any) -> Any:
        plan = self._plan()
        if plan is None:
            return super().to_representation(instance)
        if isinstance(instance, Mapping):  # DRF reads a mapping's keys, as flat_rows does
            return self.flat_rows([instance])[0]
        row = {}
        for name, attr, convert in plan:
            value = getattr(instance, attr)
            row[name] = None if value is None else convert(value)
        return row
