"""Contains all the data models used in inputs/outputs"""

from .customer import Customer
from .customer_input import CustomerInput
from .error import Error

__all__ = (
    "Customer",
    "CustomerInput",
    "Error",
)
