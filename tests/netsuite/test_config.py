"""Configuration: the realm and the host spell the account differently, both derived here."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from vendorsync.netsuite import NetSuiteConfig


def test_host_slug_and_realm_are_derived_from_the_account_id():
    cfg = NetSuiteConfig("1234567_sb1", "ck", "cs", "tid", "ts")
    assert cfg.base_url == "https://1234567-sb1.suitetalk.api.netsuite.com"
    assert cfg.realm == "1234567_SB1"
    assert cfg.credentials.realm == "1234567_SB1"

    production = NetSuiteConfig("1234567", "ck", "cs", "tid", "ts")
    assert production.base_url == "https://1234567.suitetalk.api.netsuite.com"


def test_an_explicit_base_url_overrides_the_derived_host():
    cfg = NetSuiteConfig("1234567_SB1", "ck", "cs", "tid", "ts", base_url="http://netsuite.sandbox:8001/")
    assert cfg.base_url == "http://netsuite.sandbox:8001"
    assert cfg.realm == "1234567_SB1"


def test_from_settings_reads_the_netsuite_settings(settings):
    settings.NETSUITE_ACCOUNT_ID = "7654321-sb2"
    settings.NETSUITE_CONSUMER_KEY = "ck"
    settings.NETSUITE_CONSUMER_SECRET = "cs"
    settings.NETSUITE_TOKEN_ID = "tid"
    settings.NETSUITE_TOKEN_SECRET = "ts"
    settings.NETSUITE_BASE_URL = ""
    settings.HTTP_TIMEOUT_SECONDS = 12.5

    cfg = NetSuiteConfig.from_settings()

    assert cfg.account_id == "7654321_SB2"
    assert cfg.base_url == "https://7654321-sb2.suitetalk.api.netsuite.com"
    assert (cfg.consumer_key, cfg.consumer_secret, cfg.token_id, cfg.token_secret) == (
        "ck",
        "cs",
        "tid",
        "ts",
    )
    assert cfg.timeout == 12.5
    assert cfg.max_concurrency == 5

    settings.NETSUITE_BASE_URL = "http://localhost:9000"
    assert NetSuiteConfig.from_settings().base_url == "http://localhost:9000"


def test_from_settings_names_every_missing_setting(settings):
    settings.NETSUITE_ACCOUNT_ID = "1234567"
    settings.NETSUITE_CONSUMER_KEY = ""
    settings.NETSUITE_CONSUMER_SECRET = "cs"
    settings.NETSUITE_TOKEN_ID = "tid"
    settings.NETSUITE_TOKEN_SECRET = ""
    with pytest.raises(ImproperlyConfigured, match="NETSUITE_CONSUMER_KEY, NETSUITE_TOKEN_SECRET"):
        NetSuiteConfig.from_settings()
