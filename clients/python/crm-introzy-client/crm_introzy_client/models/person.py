from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.person_company_type_0 import PersonCompanyType0
    from ..models.person_custom_fields import PersonCustomFields


T = TypeVar("T", bound="Person")


@_attrs_define
class Person:
    """
    Attributes:
        id (UUID):
        email (str):
        first_name (str):
        is_connector (bool):
        is_solution_provider (bool):
        is_full_user (bool):
        custom_fields (PersonCustomFields): The person's custom field values, by field key.
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        last_name (None | str | Unset):
        phone_number (None | str | Unset):
        address (None | str | Unset):
        latitude (float | None | Unset): Always null; crm does not geocode.
        longitude (float | None | Unset): Always null; crm does not geocode.
        company_id (None | Unset | UUID):
        company (None | PersonCompanyType0 | Unset): The linked company, embedded; null when there is none.
    """

    id: UUID
    email: str
    first_name: str
    is_connector: bool
    is_solution_provider: bool
    is_full_user: bool
    custom_fields: PersonCustomFields
    created_at: datetime.datetime
    updated_at: datetime.datetime
    last_name: None | str | Unset = UNSET
    phone_number: None | str | Unset = UNSET
    address: None | str | Unset = UNSET
    latitude: float | None | Unset = UNSET
    longitude: float | None | Unset = UNSET
    company_id: None | Unset | UUID = UNSET
    company: None | PersonCompanyType0 | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.person_company_type_0 import PersonCompanyType0  # noqa: PLC0415

        id = str(self.id)

        email = self.email

        first_name = self.first_name

        is_connector = self.is_connector

        is_solution_provider = self.is_solution_provider

        is_full_user = self.is_full_user

        custom_fields = self.custom_fields.to_dict()

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        last_name: None | str | Unset
        if isinstance(self.last_name, Unset):
            last_name = UNSET
        else:
            last_name = self.last_name

        phone_number: None | str | Unset
        if isinstance(self.phone_number, Unset):
            phone_number = UNSET
        else:
            phone_number = self.phone_number

        address: None | str | Unset
        if isinstance(self.address, Unset):
            address = UNSET
        else:
            address = self.address

        latitude: float | None | Unset
        if isinstance(self.latitude, Unset):
            latitude = UNSET
        else:
            latitude = self.latitude

        longitude: float | None | Unset
        if isinstance(self.longitude, Unset):
            longitude = UNSET
        else:
            longitude = self.longitude

        company_id: None | str | Unset
        if isinstance(self.company_id, Unset):
            company_id = UNSET
        elif isinstance(self.company_id, UUID):
            company_id = str(self.company_id)
        else:
            company_id = self.company_id

        company: dict[str, Any] | None | Unset
        if isinstance(self.company, Unset):
            company = UNSET
        elif isinstance(self.company, PersonCompanyType0):
            company = self.company.to_dict()
        else:
            company = self.company

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "email": email,
                "firstName": first_name,
                "isConnector": is_connector,
                "isSolutionProvider": is_solution_provider,
                "isFullUser": is_full_user,
                "customFields": custom_fields,
                "createdAt": created_at,
                "updatedAt": updated_at,
            }
        )
        if last_name is not UNSET:
            field_dict["lastName"] = last_name
        if phone_number is not UNSET:
            field_dict["phoneNumber"] = phone_number
        if address is not UNSET:
            field_dict["address"] = address
        if latitude is not UNSET:
            field_dict["latitude"] = latitude
        if longitude is not UNSET:
            field_dict["longitude"] = longitude
        if company_id is not UNSET:
            field_dict["companyId"] = company_id
        if company is not UNSET:
            field_dict["company"] = company

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.person_company_type_0 import PersonCompanyType0  # noqa: PLC0415
        from ..models.person_custom_fields import PersonCustomFields  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        email = d.pop("email")

        first_name = d.pop("firstName")

        is_connector = d.pop("isConnector")

        is_solution_provider = d.pop("isSolutionProvider")

        is_full_user = d.pop("isFullUser")

        custom_fields = PersonCustomFields.from_dict(d.pop("customFields"))

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updatedAt"))

        def _parse_last_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_name = _parse_last_name(d.pop("lastName", UNSET))

        def _parse_phone_number(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        phone_number = _parse_phone_number(d.pop("phoneNumber", UNSET))

        def _parse_address(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        address = _parse_address(d.pop("address", UNSET))

        def _parse_latitude(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        latitude = _parse_latitude(d.pop("latitude", UNSET))

        def _parse_longitude(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        longitude = _parse_longitude(d.pop("longitude", UNSET))

        def _parse_company_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                company_id_type_0 = UUID(data)

                return company_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        company_id = _parse_company_id(d.pop("companyId", UNSET))

        def _parse_company(data: object) -> None | PersonCompanyType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                company_type_0 = PersonCompanyType0.from_dict(data)

                return company_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PersonCompanyType0 | Unset, data)

        company = _parse_company(d.pop("company", UNSET))

        person = cls(
            id=id,
            email=email,
            first_name=first_name,
            is_connector=is_connector,
            is_solution_provider=is_solution_provider,
            is_full_user=is_full_user,
            custom_fields=custom_fields,
            created_at=created_at,
            updated_at=updated_at,
            last_name=last_name,
            phone_number=phone_number,
            address=address,
            latitude=latitude,
            longitude=longitude,
            company_id=company_id,
            company=company,
        )

        person.additional_properties = d
        return person

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
