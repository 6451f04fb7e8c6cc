"""Secrets never leave in clear: labels for keys, masks for headers and fields, stand-ins in the log."""

from __future__ import annotations

import base64
import json

from mockserver.core.services.masking import (
    MASK,
    REDACTED,
    mask_header,
    mask_value,
    names_sandbox,
    scrub_basic,
    scrub_body,
    tenant_label,
)


def test_a_label_is_a_digest_of_the_key_and_stays_itself() -> None:
    label = tenant_label("victim-key")
    assert label.startswith("key-") and len(label) == 16 and "victim" not in label
    assert tenant_label(label) == label
    assert names_sandbox("victim-key", label) and names_sandbox(label, label)
    assert not names_sandbox("other-key", label)
    assert names_sandbox(None, label)


def test_credential_headers_keep_their_scheme_only() -> None:
    assert mask_header("Authorization", "Bearer abc") == f"Bearer {MASK}"
    assert mask_header("access_token", "abc") == MASK
    assert mask_header("Accept", "application/json") == "application/json"


def test_secret_fields_are_masked_at_any_depth_and_long_strings_shortened() -> None:
    shown = mask_value({"a": [{"passwordSII": "x"}], "client_secret": "y", "xml": "A" * 600})
    assert shown["a"] == [{"passwordSII": MASK}] and shown["client_secret"] == MASK
    assert shown["xml"].endswith("(600 chars)") and len(shown["xml"]) < 100


def test_the_write_log_keeps_a_stand_in_for_each_secret_field_and_the_body_otherwise() -> None:
    rules = {"passwordSII": lambda v: REDACTED}
    raw = json.dumps({"rutUsuario": "1-9", "passwordSII": "clave"}).encode()
    kept = scrub_body(raw, "application/json", rules)
    assert json.loads(kept) == {"rutUsuario": "1-9", "passwordSII": REDACTED}
    untouched = json.dumps({"rutUsuario": "1-9"}).encode()
    assert scrub_body(untouched, "application/json", rules) is untouched
    form = scrub_body(b"passwordSII=clave&x=1", "application/x-www-form-urlencoded", rules)
    assert form == f"passwordSII={REDACTED}&x=1".encode()


def test_an_already_decoded_body_is_scrubbed_without_decoding_it_again() -> None:
    rules = {"password": lambda v: REDACTED}
    raw = b'{"password": "p", "n": 1}'
    assert json.loads(scrub_body(raw, "application/json", rules, parsed={"password": "p", "n": 1})) == {
        "password": REDACTED,
        "n": 1,
    }


def test_a_basic_client_secret_is_replaced_but_its_client_id_kept() -> None:
    value = "Basic " + base64.b64encode(b"client:top-secret").decode()
    scrubbed = scrub_basic(value, lambda v: "stand-in")
    assert base64.b64decode(scrubbed[6:]) == b"client:stand-in"
    not_text = "Basic " + base64.b64encode(b"\xff:x").decode()
    assert scrub_basic(not_text, lambda v: v) == "Basic " + MASK
