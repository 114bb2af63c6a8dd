from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.customer import Customer
from ...models.customer_input import CustomerInput
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: CustomerInput | CustomerInput | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/customers",
    }

    if isinstance(body, CustomerInput):
        _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/json"
    if isinstance(body, CustomerInput):
        _kwargs["data"] = body.to_dict()
        headers["Content-Type"] = "application/x-www-form-urlencoded"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Customer | Error:
    if response.status_code == 200:
        response_200 = Customer.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

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

    response_default = Error.from_dict(response.json())

    return response_default


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Customer | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: CustomerInput | CustomerInput | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[Customer | Error]:
    """Create a new customers record.

     This method is used to register a new customer into database. These
    information will be used for AI agent training.

    `dateOfBirth` is a real calendar date, not in the future; `referenceId`,
    `gender` and `maritalStatus` are free text (MaiaScore shows `male` and
    `single`), and the same `referenceId` may be sent again (a retry that must
    not create a second customer carries an `Idempotency-Key`). An empty XML
    element (`<gender></gender>`, `<gender/>`) is null, like an absent one.
    XML documents with a DTD (`<!DOCTYPE>`) are refused: no entity is ever
    expanded. An XML body is one `<item>` whose fields are child elements: a
    second root element, anything but whitespace and comments after it, text
    directly inside `<item>`, and attributes (other than namespace declarations)
    are refused rather than dropped. Every value, however encoded (a character
    reference, a form field's percent-encoding), must be UTF-8 without a NUL
    character. XML and form data have no null: a field sent as the text `null`
    holds that text, which an enum or a date refuses; leave the field out for
    no value.

    Args:
        idempotency_key (str | Unset):
        body (CustomerInput): A customer, as JSON, as XML (`<item>…</item>`) or as form fields.
        body (CustomerInput): A customer, as JSON, as XML (`<item>…</item>`) or as form fields.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Customer | Error]
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
    body: CustomerInput | CustomerInput | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Customer | Error | None:
    """Create a new customers record.

     This method is used to register a new customer into database. These
    information will be used for AI agent training.

    `dateOfBirth` is a real calendar date, not in the future; `referenceId`,
    `gender` and `maritalStatus` are free text (MaiaScore shows `male` and
    `single`), and the same `referenceId` may be sent again (a retry that must
    not create a second customer carries an `Idempotency-Key`). An empty XML
    element (`<gender></gender>`, `<gender/>`) is null, like an absent one.
    XML documents with a DTD (`<!DOCTYPE>`) are refused: no entity is ever
    expanded. An XML body is one `<item>` whose fields are child elements: a
    second root element, anything but whitespace and comments after it, text
    directly inside `<item>`, and attributes (other than namespace declarations)
    are refused rather than dropped. Every value, however encoded (a character
    reference, a form field's percent-encoding), must be UTF-8 without a NUL
    character. XML and form data have no null: a field sent as the text `null`
    holds that text, which an enum or a date refuses; leave the field out for
    no value.

    Args:
        idempotency_key (str | Unset):
        body (CustomerInput): A customer, as JSON, as XML (`<item>…</item>`) or as form fields.
        body (CustomerInput): A customer, as JSON, as XML (`<item>…</item>`) or as form fields.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Customer | Error
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: CustomerInput | CustomerInput | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[Customer | Error]:
    """Create a new customers record.

     This method is used to register a new customer into database. These
    information will be used for AI agent training.

    `dateOfBirth` is a real calendar date, not in the future; `referenceId`,
    `gender` and `maritalStatus` are free text (MaiaScore shows `male` and
    `single`), and the same `referenceId` may be sent again (a retry that must
    not create a second customer carries an `Idempotency-Key`). An empty XML
    element (`<gender></gender>`, `<gender/>`) is null, like an absent one.
    XML documents with a DTD (`<!DOCTYPE>`) are refused: no entity is ever
    expanded. An XML body is one `<item>` whose fields are child elements: a
    second root element, anything but whitespace and comments after it, text
    directly inside `<item>`, and attributes (other than namespace declarations)
    are refused rather than dropped. Every value, however encoded (a character
    reference, a form field's percent-encoding), must be UTF-8 without a NUL
    character. XML and form data have no null: a field sent as the text `null`
    holds that text, which an enum or a date refuses; leave the field out for
    no value.

    Args:
        idempotency_key (str | Unset):
        body (CustomerInput): A customer, as JSON, as XML (`<item>…</item>`) or as form fields.
        body (CustomerInput): A customer, as JSON, as XML (`<item>…</item>`) or as form fields.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Customer | Error]
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
    body: CustomerInput | CustomerInput | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Customer | Error | None:
    """Create a new customers record.

     This method is used to register a new customer into database. These
    information will be used for AI agent training.

    `dateOfBirth` is a real calendar date, not in the future; `referenceId`,
    `gender` and `maritalStatus` are free text (MaiaScore shows `male` and
    `single`), and the same `referenceId` may be sent again (a retry that must
    not create a second customer carries an `Idempotency-Key`). An empty XML
    element (`<gender></gender>`, `<gender/>`) is null, like an absent one.
    XML documents with a DTD (`<!DOCTYPE>`) are refused: no entity is ever
    expanded. An XML body is one `<item>` whose fields are child elements: a
    second root element, anything but whitespace and comments after it, text
    directly inside `<item>`, and attributes (other than namespace declarations)
    are refused rather than dropped. Every value, however encoded (a character
    reference, a form field's percent-encoding), must be UTF-8 without a NUL
    character. XML and form data have no null: a field sent as the text `null`
    holds that text, which an enum or a date refuses; leave the field out for
    no value.

    Args:
        idempotency_key (str | Unset):
        body (CustomerInput): A customer, as JSON, as XML (`<item>…</item>`) or as form fields.
        body (CustomerInput): A customer, as JSON, as XML (`<item>…</item>`) or as form fields.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Customer | Error
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
