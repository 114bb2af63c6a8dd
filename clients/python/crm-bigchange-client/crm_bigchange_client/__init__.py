"""A client library for accessing BigChange contacts API (crm)"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
