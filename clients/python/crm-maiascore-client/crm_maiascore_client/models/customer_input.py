from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="CustomerInput")


@_attrs_define
class CustomerInput:
    """A customer, as JSON, as XML (`<item>…</item>`) or as form fields.

    Attributes:
        uuid (None | str | Unset):
        reference_id (None | str | Unset):
        date_of_birth (datetime.date | None | Unset): A calendar date, not in the future.
        address_street (None | str | Unset):
        address_neighborhood (None | str | Unset):
        address_city (None | str | Unset):
        address_state (None | str | Unset):
        address_country (None | str | Unset):
        gender (None | str | Unset): As the client names it; MaiaScore lists no values. Example: male.
        marital_status (None | str | Unset): As the client names it; MaiaScore lists no values. Example: single.
    """

    uuid: None | str | Unset = UNSET
    reference_id: None | str | Unset = UNSET
    date_of_birth: datetime.date | None | Unset = UNSET
    address_street: None | str | Unset = UNSET
    address_neighborhood: None | str | Unset = UNSET
    address_city: None | str | Unset = UNSET
    address_state: None | str | Unset = UNSET
    address_country: None | str | Unset = UNSET
    gender: None | str | Unset = UNSET
    marital_status: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        uuid: None | str | Unset
        if isinstance(self.uuid, Unset):
            uuid = UNSET
        else:
            uuid = self.uuid

        reference_id: None | str | Unset
        if isinstance(self.reference_id, Unset):
            reference_id = UNSET
        else:
            reference_id = self.reference_id

        date_of_birth: None | str | Unset
        if isinstance(self.date_of_birth, Unset):
            date_of_birth = UNSET
        elif isinstance(self.date_of_birth, datetime.date):
            date_of_birth = self.date_of_birth.isoformat()
        else:
            date_of_birth = self.date_of_birth

        address_street: None | str | Unset
        if isinstance(self.address_street, Unset):
            address_street = UNSET
        else:
            address_street = self.address_street

        address_neighborhood: None | str | Unset
        if isinstance(self.address_neighborhood, Unset):
            address_neighborhood = UNSET
        else:
            address_neighborhood = self.address_neighborhood

        address_city: None | str | Unset
        if isinstance(self.address_city, Unset):
            address_city = UNSET
        else:
            address_city = self.address_city

        address_state: None | str | Unset
        if isinstance(self.address_state, Unset):
            address_state = UNSET
        else:
            address_state = self.address_state

        address_country: None | str | Unset
        if isinstance(self.address_country, Unset):
            address_country = UNSET
        else:
            address_country = self.address_country

        gender: None | str | Unset
        if isinstance(self.gender, Unset):
            gender = UNSET
        else:
            gender = self.gender

        marital_status: None | str | Unset
        if isinstance(self.marital_status, Unset):
            marital_status = UNSET
        else:
            marital_status = self.marital_status

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if uuid is not UNSET:
            field_dict["uuid"] = uuid
        if reference_id is not UNSET:
            field_dict["referenceId"] = reference_id
        if date_of_birth is not UNSET:
            field_dict["dateOfBirth"] = date_of_birth
        if address_street is not UNSET:
            field_dict["addressStreet"] = address_street
        if address_neighborhood is not UNSET:
            field_dict["addressNeighborhood"] = address_neighborhood
        if address_city is not UNSET:
            field_dict["addressCity"] = address_city
        if address_state is not UNSET:
            field_dict["addressState"] = address_state
        if address_country is not UNSET:
            field_dict["addressCountry"] = address_country
        if gender is not UNSET:
            field_dict["gender"] = gender
        if marital_status is not UNSET:
            field_dict["maritalStatus"] = marital_status

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_uuid(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        uuid = _parse_uuid(d.pop("uuid", UNSET))

        def _parse_reference_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reference_id = _parse_reference_id(d.pop("referenceId", UNSET))

        def _parse_date_of_birth(data: object) -> datetime.date | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                date_of_birth_type_0 = datetime.date.fromisoformat(data)

                return date_of_birth_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.date | None | Unset, data)

        date_of_birth = _parse_date_of_birth(d.pop("dateOfBirth", UNSET))

        def _parse_address_street(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        address_street = _parse_address_street(d.pop("addressStreet", UNSET))

        def _parse_address_neighborhood(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        address_neighborhood = _parse_address_neighborhood(d.pop("addressNeighborhood", UNSET))

        def _parse_address_city(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        address_city = _parse_address_city(d.pop("addressCity", UNSET))

        def _parse_address_state(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        address_state = _parse_address_state(d.pop("addressState", UNSET))

        def _parse_address_country(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        address_country = _parse_address_country(d.pop("addressCountry", UNSET))

        def _parse_gender(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        gender = _parse_gender(d.pop("gender", UNSET))

        def _parse_marital_status(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        marital_status = _parse_marital_status(d.pop("maritalStatus", UNSET))

        customer_input = cls(
            uuid=uuid,
            reference_id=reference_id,
            date_of_birth=date_of_birth,
            address_street=address_street,
            address_neighborhood=address_neighborhood,
            address_city=address_city,
            address_state=address_state,
            address_country=address_country,
            gender=gender,
            marital_status=marital_status,
        )

        customer_input.additional_properties = d
        return customer_input

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
