from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_people_request import CreatePeopleRequest
from ...models.create_people_response import CreatePeopleResponse
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: CreatePeopleRequest,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v2/people",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CreatePeopleResponse | Error | None:
    if response.status_code == 201:
        response_201 = CreatePeopleResponse.from_dict(response.json())

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
) -> Response[CreatePeopleResponse | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: CreatePeopleRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[CreatePeopleResponse | Error]:
    """고객 생성 (create a customer)

     Creates a customer (고객) in the token's workspace.

    `fieldList` holds data fields, resolved by `name` against the workspace's
    field definitions; the value key must match the field's type. The e-mail
    arrives as the text field `이메일`; a customer whose e-mail (trimmed,
    case-insensitive) matches an existing customer of the workspace is refused
    with 400 and the reason `동일한 이메일을 가진 고객이 존재합니다.`. The e-mail
    is stored as given, without surrounding whitespace.

    Every workspace has SalesMap's standard people fields, all text fields:
    `이름` (name), `소속 기업` (organization), `전화` (phone), `이메일` (e-mail),
    `최근 연락일` (last contacted, a date) and `포지션` (position). `이름` must
    say what `name` says (a different name is refused with 400 naming both).
    `소속 기업` links the customer's organization as SalesMap's UI does: by its
    id, or by its name (compared case-insensitively; an organization of that
    name is created when there is none); an id that names no organization of
    the workspace is refused with 404, and with `organizationId` it must name
    the same organization (otherwise 400 naming both).

    Args:
        idempotency_key (str | Unset):
        body (CreatePeopleRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreatePeopleResponse | Error]
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
    body: CreatePeopleRequest,
    idempotency_key: str | Unset = UNSET,
) -> CreatePeopleResponse | Error | None:
    """고객 생성 (create a customer)

     Creates a customer (고객) in the token's workspace.

    `fieldList` holds data fields, resolved by `name` against the workspace's
    field definitions; the value key must match the field's type. The e-mail
    arrives as the text field `이메일`; a customer whose e-mail (trimmed,
    case-insensitive) matches an existing customer of the workspace is refused
    with 400 and the reason `동일한 이메일을 가진 고객이 존재합니다.`. The e-mail
    is stored as given, without surrounding whitespace.

    Every workspace has SalesMap's standard people fields, all text fields:
    `이름` (name), `소속 기업` (organization), `전화` (phone), `이메일` (e-mail),
    `최근 연락일` (last contacted, a date) and `포지션` (position). `이름` must
    say what `name` says (a different name is refused with 400 naming both).
    `소속 기업` links the customer's organization as SalesMap's UI does: by its
    id, or by its name (compared case-insensitively; an organization of that
    name is created when there is none); an id that names no organization of
    the workspace is refused with 404, and with `organizationId` it must name
    the same organization (otherwise 400 naming both).

    Args:
        idempotency_key (str | Unset):
        body (CreatePeopleRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreatePeopleResponse | Error
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: CreatePeopleRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[CreatePeopleResponse | Error]:
    """고객 생성 (create a customer)

     Creates a customer (고객) in the token's workspace.

    `fieldList` holds data fields, resolved by `name` against the workspace's
    field definitions; the value key must match the field's type. The e-mail
    arrives as the text field `이메일`; a customer whose e-mail (trimmed,
    case-insensitive) matches an existing customer of the workspace is refused
    with 400 and the reason `동일한 이메일을 가진 고객이 존재합니다.`. The e-mail
    is stored as given, without surrounding whitespace.

    Every workspace has SalesMap's standard people fields, all text fields:
    `이름` (name), `소속 기업` (organization), `전화` (phone), `이메일` (e-mail),
    `최근 연락일` (last contacted, a date) and `포지션` (position). `이름` must
    say what `name` says (a different name is refused with 400 naming both).
    `소속 기업` links the customer's organization as SalesMap's UI does: by its
    id, or by its name (compared case-insensitively; an organization of that
    name is created when there is none); an id that names no organization of
    the workspace is refused with 404, and with `organizationId` it must name
    the same organization (otherwise 400 naming both).

    Args:
        idempotency_key (str | Unset):
        body (CreatePeopleRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreatePeopleResponse | Error]
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
    body: CreatePeopleRequest,
    idempotency_key: str | Unset = UNSET,
) -> CreatePeopleResponse | Error | None:
    """고객 생성 (create a customer)

     Creates a customer (고객) in the token's workspace.

    `fieldList` holds data fields, resolved by `name` against the workspace's
    field definitions; the value key must match the field's type. The e-mail
    arrives as the text field `이메일`; a customer whose e-mail (trimmed,
    case-insensitive) matches an existing customer of the workspace is refused
    with 400 and the reason `동일한 이메일을 가진 고객이 존재합니다.`. The e-mail
    is stored as given, without surrounding whitespace.

    Every workspace has SalesMap's standard people fields, all text fields:
    `이름` (name), `소속 기업` (organization), `전화` (phone), `이메일` (e-mail),
    `최근 연락일` (last contacted, a date) and `포지션` (position). `이름` must
    say what `name` says (a different name is refused with 400 naming both).
    `소속 기업` links the customer's organization as SalesMap's UI does: by its
    id, or by its name (compared case-insensitively; an organization of that
    name is created when there is none); an id that names no organization of
    the workspace is refused with 404, and with `organizationId` it must name
    the same organization (otherwise 400 naming both).

    Args:
        idempotency_key (str | Unset):
        body (CreatePeopleRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreatePeopleResponse | Error
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
