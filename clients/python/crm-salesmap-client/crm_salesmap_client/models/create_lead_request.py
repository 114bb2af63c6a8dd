from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.field_value import FieldValue


T = TypeVar("T", bound="CreateLeadRequest")


@_attrs_define
class CreateLeadRequest:
    """
    Attributes:
        name (str): 생성하려는 리드의 이름 (the lead's name).
        people_id (None | str | Unset): 리드와 연결된 고객의 Id. At least one of `peopleId` or `organizationId` is required.
        organization_id (None | str | Unset): 리드와 연결된 회사의 Id. At least one of `peopleId` or `organizationId` is
            required.
        memo (None | str | Unset): 리드 생성 시 작성할 메모 (a memo written with the lead).
        pipeline_id (None | str | Unset): 리드가 소속 될 pipeline의 Id.
        pipeline_stage_id (None | str | Unset): 리드가 소속 된 pipeline의 StageId; only a stage of `pipelineId` may be given.
        field_list (list[FieldValue] | None | Unset): 생성할 리드의 데이터필드 (the lead's data fields).
    """

    name: str
    people_id: None | str | Unset = UNSET
    organization_id: None | str | Unset = UNSET
    memo: None | str | Unset = UNSET
    pipeline_id: None | str | Unset = UNSET
    pipeline_stage_id: None | str | Unset = UNSET
    field_list: list[FieldValue] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        people_id: None | str | Unset
        if isinstance(self.people_id, Unset):
            people_id = UNSET
        else:
            people_id = self.people_id

        organization_id: None | str | Unset
        if isinstance(self.organization_id, Unset):
            organization_id = UNSET
        else:
            organization_id = self.organization_id

        memo: None | str | Unset
        if isinstance(self.memo, Unset):
            memo = UNSET
        else:
            memo = self.memo

        pipeline_id: None | str | Unset
        if isinstance(self.pipeline_id, Unset):
            pipeline_id = UNSET
        else:
            pipeline_id = self.pipeline_id

        pipeline_stage_id: None | str | Unset
        if isinstance(self.pipeline_stage_id, Unset):
            pipeline_stage_id = UNSET
        else:
            pipeline_stage_id = self.pipeline_stage_id

        field_list: list[dict[str, Any]] | None | Unset
        if isinstance(self.field_list, Unset):
            field_list = UNSET
        elif isinstance(self.field_list, list):
            field_list = []
            for field_list_type_0_item_data in self.field_list:
                field_list_type_0_item = field_list_type_0_item_data.to_dict()
                field_list.append(field_list_type_0_item)

        else:
            field_list = self.field_list

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
            }
        )
        if people_id is not UNSET:
            field_dict["peopleId"] = people_id
        if organization_id is not UNSET:
            field_dict["organizationId"] = organization_id
        if memo is not UNSET:
            field_dict["memo"] = memo
        if pipeline_id is not UNSET:
            field_dict["pipelineId"] = pipeline_id
        if pipeline_stage_id is not UNSET:
            field_dict["pipelineStageId"] = pipeline_stage_id
        if field_list is not UNSET:
            field_dict["fieldList"] = field_list

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.field_value import FieldValue  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        def _parse_people_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        people_id = _parse_people_id(d.pop("peopleId", UNSET))

        def _parse_organization_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        organization_id = _parse_organization_id(d.pop("organizationId", UNSET))

        def _parse_memo(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        memo = _parse_memo(d.pop("memo", UNSET))

        def _parse_pipeline_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        pipeline_id = _parse_pipeline_id(d.pop("pipelineId", UNSET))

        def _parse_pipeline_stage_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        pipeline_stage_id = _parse_pipeline_stage_id(d.pop("pipelineStageId", UNSET))

        def _parse_field_list(data: object) -> list[FieldValue] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                field_list_type_0 = []
                _field_list_type_0 = data
                for field_list_type_0_item_data in _field_list_type_0:
                    field_list_type_0_item = FieldValue.from_dict(field_list_type_0_item_data)

                    field_list_type_0.append(field_list_type_0_item)

                return field_list_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[FieldValue] | None | Unset, data)

        field_list = _parse_field_list(d.pop("fieldList", UNSET))

        create_lead_request = cls(
            name=name,
            people_id=people_id,
            organization_id=organization_id,
            memo=memo,
            pipeline_id=pipeline_id,
            pipeline_stage_id=pipeline_stage_id,
            field_list=field_list,
        )

        create_lead_request.additional_properties = d
        return create_lead_request

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
