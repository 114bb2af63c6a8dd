from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.custom_field_value_model import CustomFieldValueModel


T = TypeVar("T", bound="CreatePersonModel")


@_attrs_define
class CreatePersonModel:
    """Create person model.

    Attributes:
        contact_id (int): The unique identifier of the contact that this person belongs to.
        forename (str): The person's first name.
        surname (str): The person's second name.
        title (None | str | Unset): The person's title (not blank when given).
        email (None | str | Unset): The email address of the person. Optional; a person without one is never a
            duplicate.
        mobile (None | str | Unset): The mobile telephone number of the person.
        landline (None | str | Unset): The landline telephone number of the person.
        extension (None | str | Unset): The landline extension of the person.
        position (None | str | Unset): The job role that the person holds within the contact.
        department (None | str | Unset): The department that the person belongs to.
        is_opted_out (bool | None | Unset): A flag indicating if the contact has opted out of marketing communications.
        custom_fields (list[CustomFieldValueModel] | None | Unset): Custom fields associated with the person.
    """

    contact_id: int
    forename: str
    surname: str
    title: None | str | Unset = UNSET
    email: None | str | Unset = UNSET
    mobile: None | str | Unset = UNSET
    landline: None | str | Unset = UNSET
    extension: None | str | Unset = UNSET
    position: None | str | Unset = UNSET
    department: None | str | Unset = UNSET
    is_opted_out: bool | None | Unset = UNSET
    custom_fields: list[CustomFieldValueModel] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        contact_id = self.contact_id

        forename = self.forename

        surname = self.surname

        title: None | str | Unset
        if isinstance(self.title, Unset):
            title = UNSET
        else:
            title = self.title

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        mobile: None | str | Unset
        if isinstance(self.mobile, Unset):
            mobile = UNSET
        else:
            mobile = self.mobile

        landline: None | str | Unset
        if isinstance(self.landline, Unset):
            landline = UNSET
        else:
            landline = self.landline

        extension: None | str | Unset
        if isinstance(self.extension, Unset):
            extension = UNSET
        else:
            extension = self.extension

        position: None | str | Unset
        if isinstance(self.position, Unset):
            position = UNSET
        else:
            position = self.position

        department: None | str | Unset
        if isinstance(self.department, Unset):
            department = UNSET
        else:
            department = self.department

        is_opted_out: bool | None | Unset
        if isinstance(self.is_opted_out, Unset):
            is_opted_out = UNSET
        else:
            is_opted_out = self.is_opted_out

        custom_fields: list[dict[str, Any]] | None | Unset
        if isinstance(self.custom_fields, Unset):
            custom_fields = UNSET
        elif isinstance(self.custom_fields, list):
            custom_fields = []
            for custom_fields_type_0_item_data in self.custom_fields:
                custom_fields_type_0_item = custom_fields_type_0_item_data.to_dict()
                custom_fields.append(custom_fields_type_0_item)

        else:
            custom_fields = self.custom_fields

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "contactId": contact_id,
                "forename": forename,
                "surname": surname,
            }
        )
        if title is not UNSET:
            field_dict["title"] = title
        if email is not UNSET:
            field_dict["email"] = email
        if mobile is not UNSET:
            field_dict["mobile"] = mobile
        if landline is not UNSET:
            field_dict["landline"] = landline
        if extension is not UNSET:
            field_dict["extension"] = extension
        if position is not UNSET:
            field_dict["position"] = position
        if department is not UNSET:
            field_dict["department"] = department
        if is_opted_out is not UNSET:
            field_dict["isOptedOut"] = is_opted_out
        if custom_fields is not UNSET:
            field_dict["customFields"] = custom_fields

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.custom_field_value_model import CustomFieldValueModel  # noqa: PLC0415

        d = dict(src_dict)
        contact_id = d.pop("contactId")

        forename = d.pop("forename")

        surname = d.pop("surname")

        def _parse_title(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        title = _parse_title(d.pop("title", UNSET))

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        def _parse_mobile(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        mobile = _parse_mobile(d.pop("mobile", UNSET))

        def _parse_landline(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        landline = _parse_landline(d.pop("landline", UNSET))

        def _parse_extension(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        extension = _parse_extension(d.pop("extension", UNSET))

        def _parse_position(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        position = _parse_position(d.pop("position", UNSET))

        def _parse_department(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        department = _parse_department(d.pop("department", UNSET))

        def _parse_is_opted_out(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        is_opted_out = _parse_is_opted_out(d.pop("isOptedOut", UNSET))

        def _parse_custom_fields(data: object) -> list[CustomFieldValueModel] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                custom_fields_type_0 = []
                _custom_fields_type_0 = data
                for custom_fields_type_0_item_data in _custom_fields_type_0:
                    custom_fields_type_0_item = CustomFieldValueModel.from_dict(custom_fields_type_0_item_data)

                    custom_fields_type_0.append(custom_fields_type_0_item)

                return custom_fields_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[CustomFieldValueModel] | None | Unset, data)

        custom_fields = _parse_custom_fields(d.pop("customFields", UNSET))

        create_person_model = cls(
            contact_id=contact_id,
            forename=forename,
            surname=surname,
            title=title,
            email=email,
            mobile=mobile,
            landline=landline,
            extension=extension,
            position=position,
            department=department,
            is_opted_out=is_opted_out,
            custom_fields=custom_fields,
        )

        create_person_model.additional_properties = d
        return create_person_model

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
