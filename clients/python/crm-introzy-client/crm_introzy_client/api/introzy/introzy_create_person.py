from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_person_request import CreatePersonRequest
from ...models.create_person_response import CreatePersonResponse
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: CreatePersonRequest,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/people",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CreatePersonResponse | Error | None:
    if response.status_code == 201:
        response_201 = CreatePersonResponse.from_dict(response.json())

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

    if response.status_code == 409:
        response_409 = Error.from_dict(response.json())

        return response_409

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
) -> Response[CreatePersonResponse | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: CreatePersonRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[CreatePersonResponse | Error]:
    """Create a person

     Creates a new person in your organization. Optionally auto-creates a company
    if `companyName` is provided: it links to the workspace's company of that name
    (compared case-insensitively) or creates one, and is ignored when `companyId`
    is given. Custom fields can be set on creation, keyed by field key
    (`cf_favorite_color`) and typed by the workspace's field definitions. A key
    that is not a custom field of the workspace (an unknown key, or a standard
    field such as `phone`, which is `phoneNumber` here) is refused with 400
    naming it: nothing is stored where the answer would not show it.

    The e-mail is stored and echoed as given, without surrounding whitespace;
    the duplicate check compares it case-insensitively. Numbers in
    `customFields` are echoed as given: `50000` stays `50000`.

    An empty `companyId` (as in Introzy's own example) means no company id.

    Args:
        idempotency_key (str | Unset):
        body (CreatePersonRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreatePersonResponse | Error]
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
    body: CreatePersonRequest,
    idempotency_key: str | Unset = UNSET,
) -> CreatePersonResponse | Error | None:
    """Create a person

     Creates a new person in your organization. Optionally auto-creates a company
    if `companyName` is provided: it links to the workspace's company of that name
    (compared case-insensitively) or creates one, and is ignored when `companyId`
    is given. Custom fields can be set on creation, keyed by field key
    (`cf_favorite_color`) and typed by the workspace's field definitions. A key
    that is not a custom field of the workspace (an unknown key, or a standard
    field such as `phone`, which is `phoneNumber` here) is refused with 400
    naming it: nothing is stored where the answer would not show it.

    The e-mail is stored and echoed as given, without surrounding whitespace;
    the duplicate check compares it case-insensitively. Numbers in
    `customFields` are echoed as given: `50000` stays `50000`.

    An empty `companyId` (as in Introzy's own example) means no company id.

    Args:
        idempotency_key (str | Unset):
        body (CreatePersonRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreatePersonResponse | Error
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: CreatePersonRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[CreatePersonResponse | Error]:
    """Create a person

     Creates a new person in your organization. Optionally auto-creates a company
    if `companyName` is provided: it links to the workspace's company of that name
    (compared case-insensitively) or creates one, and is ignored when `companyId`
    is given. Custom fields can be set on creation, keyed by field key
    (`cf_favorite_color`) and typed by the workspace's field definitions. A key
    that is not a custom field of the workspace (an unknown key, or a standard
    field such as `phone`, which is `phoneNumber` here) is refused with 400
    naming it: nothing is stored where the answer would not show it.

    The e-mail is stored and echoed as given, without surrounding whitespace;
    the duplicate check compares it case-insensitively. Numbers in
    `customFields` are echoed as given: `50000` stays `50000`.

    An empty `companyId` (as in Introzy's own example) means no company id.

    Args:
        idempotency_key (str | Unset):
        body (CreatePersonRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreatePersonResponse | Error]
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
    body: CreatePersonRequest,
    idempotency_key: str | Unset = UNSET,
) -> CreatePersonResponse | Error | None:
    """Create a person

     Creates a new person in your organization. Optionally auto-creates a company
    if `companyName` is provided: it links to the workspace's company of that name
    (compared case-insensitively) or creates one, and is ignored when `companyId`
    is given. Custom fields can be set on creation, keyed by field key
    (`cf_favorite_color`) and typed by the workspace's field definitions. A key
    that is not a custom field of the workspace (an unknown key, or a standard
    field such as `phone`, which is `phoneNumber` here) is refused with 400
    naming it: nothing is stored where the answer would not show it.

    The e-mail is stored and echoed as given, without surrounding whitespace;
    the duplicate check compares it case-insensitively. Numbers in
    `customFields` are echoed as given: `50000` stays `50000`.

    An empty `companyId` (as in Introzy's own example) means no company id.

    Args:
        idempotency_key (str | Unset):
        body (CreatePersonRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreatePersonResponse | Error
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
