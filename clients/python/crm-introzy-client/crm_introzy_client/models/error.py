from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Error")


@_attrs_define
class Error:
    """Introzy's error envelope.

    Attributes:
        success (bool): Always `false`.
        message (str): What was wrong, naming the field where there is one.
        existing_id (UUID | Unset): Only for 409, the id of the person that already has the e-mail.
    """

    success: bool
    message: str
    existing_id: UUID | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        success = self.success

        message = self.message

        existing_id: str | Unset = UNSET
        if not isinstance(self.existing_id, Unset):
            existing_id = str(self.existing_id)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "success": success,
                "message": message,
            }
        )
        if existing_id is not UNSET:
            field_dict["existingId"] = existing_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        success = d.pop("success")

        message = d.pop("message")

        _existing_id = d.pop("existingId", UNSET)
        existing_id: UUID | Unset
        if isinstance(_existing_id, Unset):
            existing_id = UNSET
        else:
            existing_id = UUID(_existing_id)

        error = cls(
            success=success,
            message=message,
            existing_id=existing_id,
        )

        error.additional_properties = d
        return error

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
