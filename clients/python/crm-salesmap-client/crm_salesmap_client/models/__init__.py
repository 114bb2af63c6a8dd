"""Contains all the data models used in inputs/outputs"""

from .create_lead_data import CreateLeadData
from .create_lead_request import CreateLeadRequest
from .create_lead_response import CreateLeadResponse
from .create_people_data import CreatePeopleData
from .create_people_request import CreatePeopleRequest
from .create_people_response import CreatePeopleResponse
from .duplicate_people import DuplicatePeople
from .error import Error
from .field_value import FieldValue
from .lead_summary import LeadSummary
from .people_summary import PeopleSummary

__all__ = (
    "CreateLeadData",
    "CreateLeadRequest",
    "CreateLeadResponse",
    "CreatePeopleData",
    "CreatePeopleRequest",
    "CreatePeopleResponse",
    "DuplicatePeople",
    "Error",
    "FieldValue",
    "LeadSummary",
    "PeopleSummary",
)
