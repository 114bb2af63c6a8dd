from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="FieldValue")


@_attrs_define
class FieldValue:
    """One data field (데이터필드): its `name` and exactly one value key, chosen by
    the field's type: `stringValue` for text and single-select, `numberValue`
    for a number, `booleanValue` for True/False, `dateValue` for a date. A
    customer's standard fields (`이름`, `소속 기업`, `전화`, `이메일`, `최근 연락일`,
    `포지션`) are data fields too.

        Attributes:
            name (str): The data field's name, for example `이메일`.
            string_value (None | str | Unset): The value of a text or single-select field.
            number_value (float | None | Unset): The value of a number field.
            boolean_value (bool | None | Unset): The value of a True/False field.
            date_value (None | str | Unset): The value of a date field, `YYYY-MM-DD` or an RFC 3339 date-time.
    """

    name: str
    string_value: None | str | Unset = UNSET
    number_value: float | None | Unset = UNSET
    boolean_value: bool | None | Unset = UNSET
    date_value: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        string_value: None | str | Unset
        if isinstance(self.string_value, Unset):
            string_value = UNSET
        else:
            string_value = self.string_value

        number_value: float | None | Unset
        if isinstance(self.number_value, Unset):
            number_value = UNSET
        else:
            number_value = self.number_value

        boolean_value: bool | None | Unset
        if isinstance(self.boolean_value, Unset):
            boolean_value = UNSET
        else:
            boolean_value = self.boolean_value

        date_value: None | str | Unset
        if isinstance(self.date_value, Unset):
            date_value = UNSET
        else:
            date_value = self.date_value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
            }
        )
        if string_value is not UNSET:
            field_dict["stringValue"] = string_value
        if number_value is not UNSET:
            field_dict["numberValue"] = number_value
        if boolean_value is not UNSET:
            field_dict["booleanValue"] = boolean_value
        if date_value is not UNSET:
            field_dict["dateValue"] = date_value

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        def _parse_string_value(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        string_value = _parse_string_value(d.pop("stringValue", UNSET))

        def _parse_number_value(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        number_value = _parse_number_value(d.pop("numberValue", UNSET))

        def _parse_boolean_value(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        boolean_value = _parse_boolean_value(d.pop("booleanValue", UNSET))

        def _parse_date_value(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        date_value = _parse_date_value(d.pop("dateValue", UNSET))

        field_value = cls(
            name=name,
            string_value=string_value,
            number_value=number_value,
            boolean_value=boolean_value,
            date_value=date_value,
        )

        field_value.additional_properties = d
        return field_value

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
