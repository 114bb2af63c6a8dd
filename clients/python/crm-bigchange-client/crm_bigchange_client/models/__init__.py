"""Contains all the data models used in inputs/outputs"""

from .create_person_model import CreatePersonModel
from .created_record import CreatedRecord
from .custom_field_value_model import CustomFieldValueModel
from .problem_details import ProblemDetails
from .problem_details_errors import ProblemDetailsErrors

__all__ = (
    "CreatedRecord",
    "CreatePersonModel",
    "CustomFieldValueModel",
    "ProblemDetails",
    "ProblemDetailsErrors",
)
