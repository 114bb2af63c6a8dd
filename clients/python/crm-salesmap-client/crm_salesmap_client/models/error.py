from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.duplicate_people import DuplicatePeople


T = TypeVar("T", bound="Error")


@_attrs_define
class Error:
    """SalesMap's error envelope.

    Attributes:
        success (bool): Always `false`.
        message (str): What was wrong, naming the field where there is one. `Bad Request` for a duplicate e-mail.
        reason (str | Unset): Only for a duplicate e-mail, exactly `동일한 이메일을 가진 고객이 존재합니다.`.
        data (DuplicatePeople | Unset): The existing customer with the same e-mail, and the name that was attempted.
    """

    success: bool
    message: str
    reason: str | Unset = UNSET
    data: DuplicatePeople | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        success = self.success

        message = self.message

        reason = self.reason

        data: dict[str, Any] | Unset = UNSET
        if not isinstance(self.data, Unset):
            data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "success": success,
                "message": message,
            }
        )
        if reason is not UNSET:
            field_dict["reason"] = reason
        if data is not UNSET:
            field_dict["data"] = data

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.duplicate_people import DuplicatePeople  # noqa: PLC0415

        d = dict(src_dict)
        success = d.pop("success")

        message = d.pop("message")

        reason = d.pop("reason", UNSET)

        _data = d.pop("data", UNSET)
        data: DuplicatePeople | Unset
        if isinstance(_data, Unset):
            data = UNSET
        else:
            data = DuplicatePeople.from_dict(_data)

        error = cls(
            success=success,
            message=message,
            reason=reason,
            data=data,
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
