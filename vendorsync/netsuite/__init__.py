"""NetSuite SuiteTalk REST connector (TBA-signed httpx client). HTTP only: no domain imports.

Public API: ``NetSuiteConfig``, ``NetSuiteClient``, the signer in ``auth`` (``sign_request``,
``verify_authorization``, ``TbaCredentials``, ``TbaAuth``), the typed errors, and the SuiteQL
helpers ``to_decimal`` / ``decimal_fields``.
"""

from vendorsync.netsuite.auth import (
    TbaAuth,
    TbaCredentials,
    parse_authorization_header,
    sign_request,
    verify_authorization,
)
from vendorsync.netsuite.client import NetSuiteClient, SuiteQLPage, encode_json, id_from_location
from vendorsync.netsuite.config import NetSuiteConfig, account_slug, canonical_account_id
from vendorsync.netsuite.errors import (
    NetSuiteAmbiguousWriteError,
    NetSuiteAuthError,
    NetSuiteConcurrencyError,
    NetSuiteError,
    NetSuiteNotFoundError,
    NetSuiteRejectedError,
    NetSuiteRetryableError,
)
from vendorsync.netsuite.suiteql import decimal_fields, require_stable_order, to_decimal

__all__ = [
    "NetSuiteAmbiguousWriteError",
    "NetSuiteAuthError",
    "NetSuiteClient",
    "NetSuiteConcurrencyError",
    "NetSuiteConfig",
    "NetSuiteError",
    "NetSuiteNotFoundError",
    "NetSuiteRejectedError",
    "NetSuiteRetryableError",
    "SuiteQLPage",
    "TbaAuth",
    "TbaCredentials",
    "account_slug",
    "canonical_account_id",
    "decimal_fields",
    "encode_json",
    "id_from_location",
    "parse_authorization_header",
    "require_stable_order",
    "sign_request",
    "to_decimal",
    "verify_authorization",
]
