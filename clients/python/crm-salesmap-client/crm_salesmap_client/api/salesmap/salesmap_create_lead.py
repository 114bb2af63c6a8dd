from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_lead_request import CreateLeadRequest
from ...models.create_lead_response import CreateLeadResponse
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: CreateLeadRequest,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v2/lead",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CreateLeadResponse | Error | None:
    if response.status_code == 201:
        response_201 = CreateLeadResponse.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 408:
        response_408 = Error.from_dict(response.json())

        return response_408

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Error.from_dict(response.json())

        return response_415

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[CreateLeadResponse | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: CreateLeadRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[CreateLeadResponse | Error]:
    """리드 생성 (create a lead)

     Creates a lead (리드) in the token's workspace.

    At least one of `peopleId` or `organizationId` is required, and every id
    given must exist in the workspace. `pipelineStageId` must be a stage of
    `pipelineId`; with a pipeline and no stage, the lead goes into the
    pipeline's first stage.

    Args:
        idempotency_key (str | Unset):
        body (CreateLeadRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateLeadResponse | Error]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: CreateLeadRequest,
    idempotency_key: str | Unset = UNSET,
) -> CreateLeadResponse | Error | None:
    """리드 생성 (create a lead)

     Creates a lead (리드) in the token's workspace.

    At least one of `peopleId` or `organizationId` is required, and every id
    given must exist in the workspace. `pipelineStageId` must be a stage of
    `pipelineId`; with a pipeline and no stage, the lead goes into the
    pipeline's first stage.

    Args:
        idempotency_key (str | Unset):
        body (CreateLeadRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateLeadResponse | Error
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: CreateLeadRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[CreateLeadResponse | Error]:
    """리드 생성 (create a lead)

     Creates a lead (리드) in the token's workspace.

    At least one of `peopleId` or `organizationId` is required, and every id
    given must exist in the workspace. `pipelineStageId` must be a stage of
    `pipelineId`; with a pipeline and no stage, the lead goes into the
    pipeline's first stage.

    Args:
        idempotency_key (str | Unset):
        body (CreateLeadRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateLeadResponse | Error]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: CreateLeadRequest,
    idempotency_key: str | Unset = UNSET,
) -> CreateLeadResponse | Error | None:
    """리드 생성 (create a lead)

     Creates a lead (리드) in the token's workspace.

    At least one of `peopleId` or `organizationId` is required, and every id
    given must exist in the workspace. `pipelineStageId` must be a stage of
    `pipelineId`; with a pipeline and no stage, the lead goes into the
    pipeline's first stage.

    Args:
        idempotency_key (str | Unset):
        body (CreateLeadRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateLeadResponse | Error
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
