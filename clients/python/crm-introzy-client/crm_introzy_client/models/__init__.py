"""Contains all the data models used in inputs/outputs"""

from .create_person_request import CreatePersonRequest
from .create_person_request_custom_fields_type_0 import CreatePersonRequestCustomFieldsType0
from .create_person_response import CreatePersonResponse
from .error import Error
from .person import Person
from .person_company_type_0 import PersonCompanyType0
from .person_company_type_0_custom_fields import PersonCompanyType0CustomFields
from .person_custom_fields import PersonCustomFields

__all__ = (
    "CreatePersonRequest",
    "CreatePersonRequestCustomFieldsType0",
    "CreatePersonResponse",
    "Error",
    "Person",
    "PersonCompanyType0",
    "PersonCompanyType0CustomFields",
    "PersonCustomFields",
)
