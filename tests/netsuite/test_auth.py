"""Token-Based Authentication: the header our signer produces is the one the spec demands."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest

from tests.netsuite.oauth_reference import header_params, signature
from vendorsync.netsuite import NetSuiteConfig, TbaCredentials, sign_request, verify_authorization

SUITEQL_URL = (
    "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/query/v1/suiteql?limit=5&offset=10"
)


@pytest.mark.parametrize(
    ("oauth_params", "expected"),
    [
        # RFC 5849 §1.2 (HMAC-SHA1, no oauth_version).
        (
            {
                "oauth_consumer_key": "dpf43f3p2l4k3l03",
                "oauth_token": "nnch734d00sl2jdk",
                "oauth_signature_method": "HMAC-SHA1",
                "oauth_timestamp": "137131202",
                "oauth_nonce": "chapoH",
            },
            "MdpQcU8iPSUjWoN/UDMsK2sui9I=",
        ),
        # OAuth Core 1.0 Appendix A.5 (same credentials, with oauth_version).
        (
            {
                "oauth_consumer_key": "dpf43f3p2l4k3l03",
                "oauth_token": "nnch734d00sl2jdk",
                "oauth_signature_method": "HMAC-SHA1",
                "oauth_timestamp": "1191242096",
                "oauth_nonce": "kllo9940pd9333jh",
                "oauth_version": "1.0",
            },
            "tR3+Ty81lMeYAr/Fid0kMTYa/WM=",
        ),
    ],
)
def test_the_independent_reference_signer_reproduces_the_published_rfc_vectors(oauth_params, expected):
    # The NetSuite reference carries no signature vector; RFC 5849 does (SHA1 only). This pins
    # the hand-written signer the SHA256 test below relies on to the standard.
    got = signature(
        "GET",
        "http://photos.example.net/photos?file=vacation.jpg&size=original",
        oauth_params,
        "kd94hf93k423kf44",
        "pfkkdhi9sl3r4s00",
        digest=hashlib.sha1,
    )
    assert got == expected


def test_authorization_header_equals_one_computed_independently_for_a_fixed_nonce_and_timestamp(config):
    header = sign_request(
        config.credentials, "POST", SUITEQL_URL, nonce="qUwlmPvtGCS4sHJe8F7x", timestamp=1462453273
    )

    oauth = {
        "oauth_consumer_key": "ck-4a3f",
        "oauth_token": "tid-52cf",
        "oauth_nonce": "qUwlmPvtGCS4sHJe8F7x",
        "oauth_timestamp": "1462453273",
        "oauth_signature_method": "HMAC-SHA256",
        "oauth_version": "1.0",
    }
    # limit=5 and offset=10 are part of the base string; the realm is not.
    expected_signature = signature(
        "POST", SUITEQL_URL, oauth, "cs-secret/with+chars", "ts-secret&more", digest=hashlib.sha256
    )
    expected = {"realm": "1234567_SB1", **oauth, "oauth_signature": quote(expected_signature, safe="")}
    assert header_params(header) == expected
    assert header.startswith('OAuth realm="1234567_SB1", ')


def test_query_parameters_are_part_of_the_signature(config):
    creds = config.credentials
    page_1 = sign_request(creds, "POST", SUITEQL_URL, nonce="n", timestamp=1)
    page_2 = sign_request(
        creds, "POST", SUITEQL_URL.replace("offset=10", "offset=20"), nonce="n", timestamp=1
    )
    assert header_params(page_1)["oauth_signature"] != header_params(page_2)["oauth_signature"]


def test_each_signature_gets_a_fresh_nonce_unless_one_is_given(config):
    headers = [sign_request(config.credentials, "GET", SUITEQL_URL) for _ in range(20)]
    assert len({header_params(h)["oauth_nonce"] for h in headers}) == 20


def test_the_realm_is_the_canonical_account_id_whatever_spelling_was_configured():
    for spelling in ("1234567_sb1", "1234567-SB1", "1234567_SB1 "):
        cfg = NetSuiteConfig(spelling, "ck", "cs", "tid", "ts")
        assert header_params(sign_request(cfg.credentials, "GET", SUITEQL_URL))["realm"] == "1234567_SB1"


def test_verify_accepts_what_sign_produced_and_rejects_any_change(config):
    creds = config.credentials
    header = sign_request(creds, "POST", SUITEQL_URL)

    assert verify_authorization(creds, "POST", SUITEQL_URL, header) is True
    assert verify_authorization(creds, "GET", SUITEQL_URL, header) is False
    assert verify_authorization(creds, "POST", SUITEQL_URL.replace("offset=10", "offset=11"), header) is False
    other_secret = TbaCredentials("1234567_SB1", "ck-4a3f", "cs-secret/with+chars", "tid-52cf", "wrong")
    assert verify_authorization(other_secret, "POST", SUITEQL_URL, header) is False
    lowercase_realm = header.replace('realm="1234567_SB1"', 'realm="1234567_sb1"')
    assert verify_authorization(creds, "POST", SUITEQL_URL, lowercase_realm) is False
    assert verify_authorization(creds, "POST", SUITEQL_URL, "Bearer abc") is False


def test_secrets_stay_out_of_repr(config):
    assert "cs-secret" not in repr(config)
    assert "ts-secret" not in repr(config.credentials)
