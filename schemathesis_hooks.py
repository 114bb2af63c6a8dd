"""Schemathesis hooks for `cargo xtask schemathesis` (loaded through SCHEMATHESIS_HOOKS).

A request the document calls valid must be accepted. `schemathesis.toml` lets the
built-in positive_data_acceptance check take only the statuses a documented rule can
answer (never 401 or 403: every request carries a valid token); the check here,
`refusal_names_a_documented_rule`, then accepts a refused valid request only when every
error in the family's envelope is one of RULES: recognised by its own words, and
checked against the request where the request shows it (the id named is the one
sent, the NUL is really there, the value really was null). Anything else fails the
run: a valid request wrongly refused is a failure, whatever its status.

The rules are what JSON Schema cannot state and the documents (and the README) say
in prose: a duplicate e-mail or referenceId, ids that name no record of the
workspace, a lead with neither peopleId nor organizationId, data fields the workspace
has not defined or values their definition cannot take, a date of birth in the
future, text holding a NUL character, and null in XML or form data (neither has a
null: Schemathesis writes the text `null`). Rules that are real constraints of the
API are in the documents instead (`pattern` for a non-blank name and for the
Idempotency-Key), so Schemathesis never calls such a request valid.

Generated values repeat (`0`, `00`, the documents' examples), so most valid
requests would be refused as a duplicate e-mail or referenceId, or as an
Idempotency-Key "already used with a different request", before their record is
made and answered. `before_call` tags these values of a valid request with a digest
of the whole request (operation, media type, headers, body): the same request repeated still
repeats them (and is answered as a duplicate, or replayed), while different requests
no longer collide. So most valid requests are created, and a reused key with
another request cannot happen: no rule accepts that refusal. Half of the valid
leads name the organization the run seeded (see ORGANIZATION).

XML has no types: `filter_failure` drops Schemathesis' "schema-violating request
accepted" when the request broke the schema only by a type that XML cannot carry
(a number where a string is declared is the same text as that string), and the body
as the server reads it, every value its text, is valid. Schemathesis does the same
for form data itself.
"""

import atexit
import copy
import hashlib
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import schemathesis
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transforms import to_wire_string
from schemathesis.specs.openapi import checks as openapi_checks
from schemathesis.specs.openapi.checks import is_unexpected_http_status_case

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
XML = "application/xml"
FORM = "application/x-www-form-urlencoded"

# What `str::trim` removes (Unicode's White_Space): Python's `str.strip()` also
# removes U+001C..U+001F, which the server keeps.
WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + (
    "\u2028\u2029\u202f\u205f\u3000"
)

# The token acts for the customer (workspace) `crm serve` makes on a new database;
# a valid request names it. Set here rather than with `--header`, which would also
# overwrite the invalid values Schemathesis sends to see them refused.
CUSTOMER_ID = "1"
ACTS_FOR_A_CUSTOMER = {"/v1/contacts/persons"}

# The organization `cargo xtask schemathesis` seeds. A lead needs a person or an
# organization that exists, and generated ids name none, so no valid lead was ever
# created; half of them (by their digest) name this one instead, and no person or
# pipeline. The other half keep their generated ids and meet the rules for ids.
ORGANIZATION = os.environ.get("CRM_SCHEMATHESIS_ORGANIZATION")

FAMILY_BY_PATH = {
    "/v2/people": "salesmap",
    "/v2/lead": "salesmap",
    "/api/people": "introzy",
    "/v1/contacts/persons": "bigchange",
    "/customers": "maiascore",
}


def is_positive(case) -> bool:
    meta = case.meta
    return (
        meta is not None
        and meta.generation.mode.is_positive
        and not is_unexpected_http_status_case(case)
    )


def tagged_email(email, digest: str):
    """`local+digest@domain`, unless that would pass the 254 characters an address may have."""
    if not isinstance(email, str) or "@" not in email:
        return email
    local, _, domain = email.rpartition("@")
    tagged = f"{local}+{digest}@{domain}"
    return tagged if local and len(tagged) <= 254 else email


@schemathesis.hook
def before_call(context, case, kwargs):
    if not is_positive(case):
        return
    request = json.dumps(
        [case.operation.label, case.media_type, case.headers, case.body],
        sort_keys=True,
        default=repr,
    )
    digest = hashlib.sha256(request.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    # Cases share their values with the cases generated from them: change copies.
    headers = dict(case.headers or {})
    for name in [n for n in headers if n.lower() == "idempotency-key"]:
        if isinstance(headers[name], str):
            # The pattern and maxLength still hold: visible ASCII, at most 255 characters.
            headers[name] = f"{headers[name][: 255 - 17]}-{digest}"
    if case.path in ACTS_FOR_A_CUSTOMER:
        headers["Customer-Id"] = CUSTOMER_ID
    case.headers = headers
    if not isinstance(case.body, dict):
        return
    body = case.body = copy.deepcopy(case.body)
    if case.path == "/v2/lead" and ORGANIZATION and int(digest[0], 16) % 2 == 0:
        body.update(
            organizationId=ORGANIZATION, peopleId=None, pipelineId=None, pipelineStageId=None
        )
    if "email" in body:
        body["email"] = tagged_email(body["email"], digest)
    if isinstance(body.get("referenceId"), str):
        body["referenceId"] = f"{body['referenceId']}-{digest}"
    for field in body.get("fieldList") or []:
        if isinstance(field, dict) and field.get("name") == "이메일":
            field["stringValue"] = tagged_email(field.get("stringValue"), digest)


@dataclass
class Refusal:
    """One error of a refused request, as the family's envelope says it."""

    status: int
    family: str
    message: str  # `field: what`, or the envelope's whole message
    body: dict


@dataclass
class Rule:
    name: str
    # The statuses each family answers the rule with.
    statuses: dict
    pattern: str
    # Checks the match against the request; None when the message says all.
    verify: Callable | None = None

    def accepts(self, refusal: Refusal, case) -> bool:
        if self.statuses.get(refusal.family) != refusal.status:
            return False
        match = re.fullmatch(self.pattern, refusal.message, re.DOTALL)
        if match is None:
            return False
        return self.verify is None or bool(self.verify(match, refusal, case))


def errors_of(family: str, status: int, body) -> list[Refusal]:
    if not isinstance(body, dict):
        return []
    if family == "bigchange" and isinstance(body.get("errors"), dict):
        return [
            Refusal(status, family, f"{field}: {message}", body)
            for field, messages in body["errors"].items()
            for message in messages
        ]
    message = body.get("detail" if family == "bigchange" else "message")
    return [Refusal(status, family, message, body)] if isinstance(message, str) else []


def body_member(case, name):
    return case.body.get(name) if isinstance(case.body, dict) else None


def blank_id(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip(WHITE_SPACE) == "")


def has_nul(value) -> bool:
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def sent_id(member: str):
    """The id in the message is the one the request sent for `member`."""

    def verify(match, refusal, case):
        sent = body_member(case, member)
        return isinstance(sent, (str, int)) and str(sent).strip(WHITE_SPACE) == match.group("id")

    return verify


def null_in_xml_or_form(match, refusal, case):
    return case.media_type in (XML, FORM) and body_member(case, match.group("field")) is None


def not_exactly_one_value(match, refusal, case):
    fields = body_member(case, "fieldList") or []
    index = int(match.group("index"))
    if index >= len(fields) or not isinstance(fields[index], dict):
        return False
    keys = ("stringValue", "numberValue", "booleanValue", "dateValue")
    given = sum(fields[index].get(k) is not None for k in keys)
    return given == int(match.group("count")) and given != 1


def not_a_scalar(match, refusal, case):
    custom = body_member(case, "customFields") or {}
    return isinstance(custom.get(match.group("key")), (list, dict))


# Where a data field sits: SalesMap's `fieldList[0] (name)`, Introzy's
# `customFields.key`, BigChange's `customFields[0]`.
FIELD = r"(?:fieldList\[\d+\] \(.*\)|customFields\..*|customFields\[\d+\])"
INVALID = {"salesmap": 400, "introzy": 400, "bigchange": 422, "maiascore": 400}
NOT_FOUND = {"salesmap": 404, "introzy": 404, "bigchange": 422}

RULES = [
    Rule(
        "a duplicate e-mail (SalesMap's reason)",
        {"salesmap": 400},
        r"Bad Request",
        lambda m, r, c: r.body.get("reason") == "동일한 이메일을 가진 고객이 존재합니다."
        and re.fullmatch(UUID, str((r.body.get("data") or {}).get("id"))),
    ),
    Rule(
        "a duplicate e-mail (Introzy's 409)",
        {"introzy": 409},
        rf"Person already exists\. Existing ID: (?P<id>{UUID})",
        lambda m, r, c: r.body.get("existingId") == m.group("id"),
    ),
    Rule(
        "a duplicate e-mail (BigChange)",
        {"bigchange": 422},
        rf"email: a person with this e-mail already exists \({UUID}\)",
    ),
    Rule(
        "a duplicate referenceId (MaiaScore)",
        {"maiascore": 400},
        rf"referenceId: already used by customer {UUID}",
        # XML and form write a null referenceId as the text `null`, which is a value.
        lambda m, r, c: isinstance(body_member(c, "referenceId"), str)
        or (body_member(c, "referenceId") is None and c.media_type in (XML, FORM)),
    ),
    Rule(
        "an id that names no record of the workspace",
        NOT_FOUND,
        r"(?P<member>organizationId|peopleId|pipelineId|companyId|contactId): "
        r"no (?:organization|person|pipeline|company|contact) with id '(?P<id>.*)' in this workspace",
        lambda m, r, c: sent_id(m.group("member"))(m, r, c),
    ),
    Rule(
        "a lead with neither peopleId nor organizationId",
        {"salesmap": 400},
        r"peopleId: peopleId or organizationId is required \(at least one of them\)",
        lambda m, r, c: blank_id(body_member(c, "peopleId"))
        and blank_id(body_member(c, "organizationId")),
    ),
    Rule(
        "a stage given without its pipeline, or not of it",
        {"salesmap": 400},
        r"pipelineStageId: (?:a stage can only be given together with its pipelineId"
        r"|'.*' is not a stage of pipeline '.*')",
    ),
    Rule(
        "a data field needs exactly one value key",
        {"salesmap": 400},
        r"fieldList\[(?P<index>\d+)\] \(.*\): give exactly one of stringValue, numberValue, "
        r"booleanValue or dateValue \(got (?P<count>\d+)\)",
        not_exactly_one_value,
    ),
    Rule(
        "a custom value that is not a string, number, boolean or null",
        {"introzy": 400},
        r"customFields\.(?P<key>.*): must be a string, number, boolean or null",
        not_a_scalar,
    ),
    Rule(
        "a standard field where only custom fields are set (Introzy's key, BigChange's definition)",
        {"introzy": 400, "bigchange": 422},
        FIELD
        + r": (?:'.*'|definition \d+) is the standard field '.*', not a custom field; "
        r"only custom fields are set here",
    ),
    Rule(
        "a data field the workspace has not defined",
        INVALID,
        FIELD + r": unknown field .*: no such data field is defined in this workspace",
    ),
    Rule(
        "a value its field's definition cannot take",
        INVALID,
        FIELD
        + r": (?:field '.*' is given more than once"
        r"|field '.*' is a \w+ field, but a \w+ value was given"
        r"|field '.*' accepts one of \[.*\]; got '.*'"
        r"|field '.*' is a number field; .*"
        r"|field '.*' is a boolean field; '.*' is not true or false"
        r"|field '.*' is a date field; '.*' is not a date \(YYYY-MM-DD or an RFC 3339 date-time\)"
        r"|'.*' is not a valid e-mail address.*|must not contain .*)",
    ),
    Rule(
        "e-mail, phone or position given both as a field and as a data field",
        INVALID,
        r"(?:e-mail|phone|position): given twice: as a request field and as a data field",
    ),
    Rule(
        "a date of birth in the future",
        {"maiascore": 400},
        r"dateOfBirth: '.*' is in the future \(today is \d{4}-\d{2}-\d{2}\)",
    ),
    Rule(
        "null in XML or form data, which have none (sent as the text null)",
        {"maiascore": 400},
        r"(?:unable to parse (?:XML|form) body: (?P<field>gender|maritalStatus): unknown variant `null`.*"
        r"|(?P<field2>dateOfBirth): 'null' is not a real date written YYYY-MM-DD)",
        lambda m, r, c: c.media_type in (XML, FORM)
        and body_member(c, m.group("field") or m.group("field2")) is None,
    ),
    Rule(
        "text holding a NUL character",
        {"salesmap": 400, "introzy": 400, "bigchange": 400, "maiascore": 400},
        r"body: (?:.*: )?contains a NUL character",
        lambda m, r, c: has_nul(c.body),
    ),
]


# How many refused valid requests each rule explained: printed at the end of the
# run, so a log shows the rules at work (and one that never fires).
EXPLAINED = Counter()


@atexit.register
def report():
    rules = ", ".join(f"{name}: {n}" for name, n in EXPLAINED.most_common()) or "none"
    print(f"valid requests refused by a documented rule: {rules}", file=sys.stderr)


@schemathesis.check
def refusal_names_a_documented_rule(ctx, response, case):
    """A valid request refused (4xx) is acceptable only by a documented rule."""
    if not is_positive(case) or not 400 <= response.status_code < 500:
        return None
    family = FAMILY_BY_PATH.get(case.path)
    try:
        body = response.json()
    except ValueError:
        body = None
    refusals = errors_of(family, response.status_code, body)
    unexplained = []
    for refusal in refusals:
        rule = next((rule for rule in RULES if rule.accepts(refusal, case)), None)
        if rule is None:
            unexplained.append(refusal.message)
        else:
            EXPLAINED[rule.name] += 1
    if not refusals or unexplained:
        raise AssertionError(
            f"A valid request was refused with {response.status_code}, and no documented "
            f"rule explains {unexplained or [response.text]!r} (schemathesis_hooks.py RULES)"
        )
    return None


def xml_text(value):
    """What the server reads from the XML serializer's element for a value: its
    text, or null when the element holds only whitespace and empty elements
    (MaiaScore's document: an empty element is null); a container stays itself."""
    if empty_in_xml(value):
        return None
    if isinstance(value, (dict, list)):
        return value
    return value if isinstance(value, str) else to_wire_string(value)


def empty_in_xml(value):
    """Whether the element written for `value` holds only whitespace and empty
    elements, which the server reads as null."""
    if isinstance(value, dict):
        return all(empty_in_xml(v) for v in value.values())
    if isinstance(value, list):
        return all(empty_in_xml(v) for v in value)
    text = value if isinstance(value, str) else to_wire_string(value)
    return text.strip() == ""


def is_uuid_schema(schema):
    if not isinstance(schema, dict):
        return False
    return schema.get("format") == "uuid" or any(
        is_uuid_schema(s) for key in ("anyOf", "oneOf", "allOf") for s in schema.get(key, [])
    )


def empty_id_accepted(case):
    """Whether the body is valid once each empty string in a uuid property is read
    as null: the documents say an empty id means none (Introzy's `companyId`, whose
    vendor example sends `""`), so accepting it is right."""
    if not isinstance(case.body, dict) or case.meta is None:
        return False
    if any(
        component.mode.is_negative
        for location, component in case.meta.components.items()
        if location != ParameterLocation.BODY
    ):
        return False
    try:
        body = case.operation.get_body_for_media_type(case.media_type)
        schema = body.optimized_schema
        properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
        empties = [
            name
            for name, value in case.body.items()
            if value == "" and is_uuid_schema(properties.get(name))
        ]
        if not empties:
            return False
        validator = openapi_checks.make_validator(
            schema,
            openapi_checks._get_openapi_schema(case).adapter.jsonschema_validator_cls,
        )
        as_read = {name: (None if name in empties else value) for name, value in case.body.items()}
        return validator.is_valid(as_read)
    except Exception:
        return False


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if isinstance(failure, AcceptedNegativeData) and empty_id_accepted(case):
        return False
    if not isinstance(failure, AcceptedNegativeData) or case.media_type != XML:
        return True
    meta = case.meta
    if meta is None or not isinstance(case.body, (dict, list)):
        return True
    if any(
        component.mode.is_negative
        for location, component in meta.components.items()
        if location != ParameterLocation.BODY
    ):
        return True
    try:
        alternative = case.operation.get_body_for_media_type(XML)
        validator = openapi_checks.make_validator(
            alternative.optimized_schema,
            openapi_checks._get_openapi_schema(case).adapter.jsonschema_validator_cls,
        )
        if isinstance(case.body, list):
            # An array has no XML form of its own: Schemathesis writes its items as
            # <element> children of the root, which the server reads as an object
            # with a member it does not have (ignored, as in JSON).
            as_read = {"element": [xml_text(value) for value in case.body]} if case.body else {}
        else:
            as_read = {name: xml_text(value) for name, value in case.body.items()}
        # Valid as the server reads it: the acceptance was right.
        return not validator.is_valid(as_read)
    except Exception:
        return True
