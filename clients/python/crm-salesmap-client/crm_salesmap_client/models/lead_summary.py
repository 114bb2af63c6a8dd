from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="LeadSummary")


@_attrs_define
class LeadSummary:
    """
    Attributes:
        id (str): The new lead's id.
        name (str): 생성한 리드의 이름.
        created_at (datetime.datetime): When the lead was created, UTC with milliseconds.
        people_id (None | str | Unset): The linked customer, if any.
        organization_id (None | str | Unset): The linked organization, if any.
        pipeline_id (None | str | Unset): The lead's pipeline, if any.
        pipeline_stage_id (None | str | Unset): The lead's stage; the pipeline's first stage when only `pipelineId` was
            given.
    """

    id: str
    name: str
    created_at: datetime.datetime
    people_id: None | str | Unset = UNSET
    organization_id: None | str | Unset = UNSET
    pipeline_id: None | str | Unset = UNSET
    pipeline_stage_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        created_at = self.created_at.isoformat()

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

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "createdAt": created_at,
            }
        )
        if people_id is not UNSET:
            field_dict["peopleId"] = people_id
        if organization_id is not UNSET:
            field_dict["organizationId"] = organization_id
        if pipeline_id is not UNSET:
            field_dict["pipelineId"] = pipeline_id
        if pipeline_stage_id is not UNSET:
            field_dict["pipelineStageId"] = pipeline_stage_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        name = d.pop("name")

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

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

        lead_summary = cls(
            id=id,
            name=name,
            created_at=created_at,
            people_id=people_id,
            organization_id=organization_id,
            pipeline_id=pipeline_id,
            pipeline_stage_id=pipeline_stage_id,
        )

        lead_summary.additional_properties = d
        return lead_summary

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
