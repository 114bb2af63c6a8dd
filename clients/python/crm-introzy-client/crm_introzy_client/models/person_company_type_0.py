from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.person_company_type_0_custom_fields import PersonCompanyType0CustomFields


T = TypeVar("T", bound="PersonCompanyType0")


@_attrs_define
class PersonCompanyType0:
    """The linked company, embedded; null when there is none.

    Attributes:
        id (UUID):
        name (str):
        custom_fields (PersonCompanyType0CustomFields): The company's custom field values, by field key.
        industry (None | str | Unset):
        website (None | str | Unset):
    """

    id: UUID
    name: str
    custom_fields: PersonCompanyType0CustomFields
    industry: None | str | Unset = UNSET
    website: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        name = self.name

        custom_fields = self.custom_fields.to_dict()

        industry: None | str | Unset
        if isinstance(self.industry, Unset):
            industry = UNSET
        else:
            industry = self.industry

        website: None | str | Unset
        if isinstance(self.website, Unset):
            website = UNSET
        else:
            website = self.website

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "customFields": custom_fields,
            }
        )
        if industry is not UNSET:
            field_dict["industry"] = industry
        if website is not UNSET:
            field_dict["website"] = website

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.person_company_type_0_custom_fields import PersonCompanyType0CustomFields  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        name = d.pop("name")

        custom_fields = PersonCompanyType0CustomFields.from_dict(d.pop("customFields"))

        def _parse_industry(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        industry = _parse_industry(d.pop("industry", UNSET))

        def _parse_website(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        website = _parse_website(d.pop("website", UNSET))

        person_company_type_0 = cls(
            id=id,
            name=name,
            custom_fields=custom_fields,
            industry=industry,
            website=website,
        )

        person_company_type_0.additional_properties = d
        return person_company_type_0

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
