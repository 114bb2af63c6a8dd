from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.create_person_request_custom_fields_type_0 import CreatePersonRequestCustomFieldsType0


T = TypeVar("T", bound="CreatePersonRequest")


@_attrs_define
class CreatePersonRequest:
    """
    Attributes:
        email (str):
        first_name (str):
        last_name (None | str | Unset):
        phone_number (None | str | Unset):
        address (None | str | Unset):
        company_id (None | Unset | UUID): Link to existing company. An empty string means no company, like null
            (Introzy's own example sends `""`).
        company_name (None | str | Unset): Auto-create company with this name (ignored if companyId provided).
        custom_fields (CreatePersonRequestCustomFieldsType0 | None | Unset): Custom field values keyed by field key
            (e.g. cf_favorite_color); a string, number, boolean or null. Only custom fields of the workspace: any other key
            is refused (400).
    """

    email: str
    first_name: str
    last_name: None | str | Unset = UNSET
    phone_number: None | str | Unset = UNSET
    address: None | str | Unset = UNSET
    company_id: None | Unset | UUID = UNSET
    company_name: None | str | Unset = UNSET
    custom_fields: CreatePersonRequestCustomFieldsType0 | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.create_person_request_custom_fields_type_0 import CreatePersonRequestCustomFieldsType0  # noqa: PLC0415

        email = self.email

        first_name = self.first_name

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

        company_id: None | str | Unset
        if isinstance(self.company_id, Unset):
            company_id = UNSET
        elif isinstance(self.company_id, UUID):
            company_id = str(self.company_id)
        else:
            company_id = self.company_id

        company_name: None | str | Unset
        if isinstance(self.company_name, Unset):
            company_name = UNSET
        else:
            company_name = self.company_name

        custom_fields: dict[str, Any] | None | Unset
        if isinstance(self.custom_fields, Unset):
            custom_fields = UNSET
        elif isinstance(self.custom_fields, CreatePersonRequestCustomFieldsType0):
            custom_fields = self.custom_fields.to_dict()
        else:
            custom_fields = self.custom_fields

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "email": email,
                "firstName": first_name,
            }
        )
        if last_name is not UNSET:
            field_dict["lastName"] = last_name
        if phone_number is not UNSET:
            field_dict["phoneNumber"] = phone_number
        if address is not UNSET:
            field_dict["address"] = address
        if company_id is not UNSET:
            field_dict["companyId"] = company_id
        if company_name is not UNSET:
            field_dict["companyName"] = company_name
        if custom_fields is not UNSET:
            field_dict["customFields"] = custom_fields

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.create_person_request_custom_fields_type_0 import CreatePersonRequestCustomFieldsType0  # noqa: PLC0415

        d = dict(src_dict)
        email = d.pop("email")

        first_name = d.pop("firstName")

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

        def _parse_company_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        company_name = _parse_company_name(d.pop("companyName", UNSET))

        def _parse_custom_fields(data: object) -> CreatePersonRequestCustomFieldsType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                custom_fields_type_0 = CreatePersonRequestCustomFieldsType0.from_dict(data)

                return custom_fields_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CreatePersonRequestCustomFieldsType0 | None | Unset, data)

        custom_fields = _parse_custom_fields(d.pop("customFields", UNSET))

        create_person_request = cls(
            email=email,
            first_name=first_name,
            last_name=last_name,
            phone_number=phone_number,
            address=address,
            company_id=company_id,
            company_name=company_name,
            custom_fields=custom_fields,
        )

        create_person_request.additional_properties = d
        return create_person_request

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
