"""The four redaction rules of SPEC section 10, one behaviour per test."""

from __future__ import annotations

import copy
from typing import Any

from workflow_core.redaction import (
    MASK,
    format_pointer,
    parse_pointer,
    redact,
    redact_envelope,
)
from workflow_core.registry import EMAIL_PAYLOAD_SCHEMA


def test_pointer_target_is_masked_when_it_exists() -> None:
    value = {"payload": {"secret": "hunter22", "kept": "x"}}
    assert redact(value, pointers=["/payload/secret"]) == {"payload": {"secret": MASK, "kept": "x"}}


def test_pointer_into_array_masks_one_element() -> None:
    value = {"a": [{"t": "one1"}, {"t": "two2"}]}
    assert redact(value, pointers=["/a/1/t"]) == {"a": [{"t": "one1"}, {"t": MASK}]}


def test_pointer_masks_a_whole_subtree() -> None:
    value = {"a": {"b": [1, 2], "c": {"d": True}}, "e": 1}
    assert redact(value, pointers=["/a"]) == {"a": MASK, "e": 1}


def test_pointers_that_do_not_resolve_are_ignored() -> None:
    value = {"a": [1, 2], "s": "text"}
    pointers = ["/a/-", "/a/2", "/a/01", "/missing/x", "/s/0", "no-slash", "/a/~2"]
    assert redact(value, pointers=pointers) == value


def test_escaped_pointer_tokens_name_keys_with_slash_and_tilde() -> None:
    value = {"a/b": "slash-secret", "c~d": "tilde-secret", "keep": 1}
    result = redact(value, pointers=["/a~1b", "/c~0d"])
    assert result == {"a/b": MASK, "c~d": MASK, "keep": 1}


def test_empty_pointer_masks_the_whole_document() -> None:
    assert redact({"a": 1}, pointers=[""]) == MASK


def test_parse_and_format_pointer_round_trip() -> None:
    assert parse_pointer("/a~1b/c~0d/0") == ("a/b", "c~d", "0")
    assert parse_pointer("/~01") == ("~1",)
    assert format_pointer(["a/b", "c~d", 0]) == "/a~1b/c~0d/0"


def test_secret_ref_object_masks_every_other_field() -> None:
    value = {"conn": {"secretRef": "vault:smtp", "user": "ops", "password": {"x": "pw12345"}}}
    assert redact(value) == {"conn": {"secretRef": "vault:smtp", "user": MASK, "password": MASK}}


def test_secret_ref_siblings_are_scrubbed_from_other_strings() -> None:
    value = {
        "conn": {"secretRef": "vault:smtp", "token": "tok-98765"},
        "error": {"message": "login with tok-98765 refused"},
    }
    result = redact(value)
    assert result["error"] == {"message": f"login with {MASK} refused"}


def test_sensitive_pointers_are_masked() -> None:
    value = {"payload": {"card": "4111111111111111"}}
    assert redact(value, sensitive_pointers=["/payload/card"]) == {"payload": {"card": MASK}}


def test_equal_strings_elsewhere_are_masked_even_when_short() -> None:
    value = {"a": "abc", "b": "abc", "c": "abcd-not-equal", "d": ["abc"]}
    result = redact(value, pointers=["/a"])
    assert result == {"a": MASK, "b": MASK, "c": "abcd-not-equal", "d": [MASK]}


def test_short_masked_values_are_not_scrubbed_as_substrings() -> None:
    value = {"a": "yes", "msg": "yes, yesterday"}
    assert redact(value, pointers=["/a"]) == {"a": MASK, "msg": "yes, yesterday"}


def test_masked_value_is_scrubbed_inside_error_messages() -> None:
    value = {
        "payload": {"apiKey": "sk_live_abc123"},
        "error": {"message": "401 for key sk_live_abc123 (sk_live_abc123)"},
    }
    result = redact(value, pointers=["/payload/apiKey"])
    assert result["error"] == {"message": f"401 for key {MASK} ({MASK})"}


def test_masked_numbers_scrub_their_text_and_equal_long_numbers() -> None:
    value = {"pin": 123456, "copy": 123456, "msg": "pin 123456 wrong", "small": 3, "n": 3}
    result = redact(value, pointers=["/pin", "/small"])
    assert result == {"pin": MASK, "copy": MASK, "msg": f"pin {MASK} wrong", "small": MASK, "n": 3}


def test_longer_secret_is_replaced_before_its_prefix() -> None:
    value = {"a": "hunter22", "b": "hunter22!", "msg": "was hunter22! then hunter22"}
    result = redact(value, pointers=["/a", "/b"])
    assert result["msg"] == f"was {MASK} then {MASK}"


def test_secret_spliced_with_the_mask_is_still_removed() -> None:
    value = {"a": "b***", "b": "SECRET", "msg": "bSECRET"}
    result = redact(value, pointers=["/a", "/b"])
    assert "b***" not in str(result["msg"])


def test_custom_mask_is_used_everywhere() -> None:
    value = {"a": "topsecret", "b": "the topsecret", "o": {"secretRef": "r", "k": 1}}
    result = redact(value, pointers=["/a"], mask="[redacted]")
    assert result == {
        "a": "[redacted]",
        "b": "the [redacted]",
        "o": {"secretRef": "r", "k": "[redacted]"},
    }


def test_keys_are_never_rewritten() -> None:
    value = {"a": "keyname", "keyname": 1}
    assert redact(value, pointers=["/a"]) == {"a": MASK, "keyname": 1}


def test_redact_does_not_mutate_its_input() -> None:
    value: dict[str, Any] = {"a": {"b": "secret-1"}, "o": {"secretRef": "x", "v": [1]}}
    before = copy.deepcopy(value)
    redact(value, pointers=["/a/b"])
    assert value == before


def test_envelope_redactions_and_payload_schema_are_both_applied() -> None:
    schema = copy.deepcopy(EMAIL_PAYLOAD_SCHEMA)
    schema["properties"]["emailData"]["properties"]["subject"]["x-sensitive"] = True
    envelope = {
        "v": 1,
        "payload": {"emailData": {"subject": "Password reset 9911"}, "token": "abcd-efgh"},
        "vars": {"note": "subject was Password reset 9911"},
        "meta": {"redactions": ["/payload/token", 7, "/vars/missing"]},
        "error": {"message": "bad token abcd-efgh"},
    }
    result = redact_envelope(envelope, payload_schema=schema)
    assert result == {
        "v": 1,
        "payload": {"emailData": {"subject": MASK}, "token": MASK},
        "vars": {"note": f"subject was {MASK}"},
        "meta": {"redactions": ["/payload/token", 7, "/vars/missing"]},
        "error": {"message": f"bad token {MASK}"},
    }


def test_envelope_extra_sensitive_pointers_are_masked() -> None:
    envelope = {"vars": {"contact": {"phone": "+1 555 0100"}}, "meta": {}}
    result = redact_envelope(envelope, extra_sensitive=["/vars/contact/phone"])
    assert result == {"vars": {"contact": {"phone": MASK}}, "meta": {}}


def test_envelope_without_meta_is_still_redacted() -> None:
    assert redact_envelope({"vars": {"c": {"secretRef": "s", "k": "v"}}}) == {
        "vars": {"c": {"secretRef": "s", "k": MASK}}
    }


def test_scrub_removes_resolved_values_from_strings_and_keeps_the_rest() -> None:
    from workflow_core.redaction import scrub

    value = {"auth": "Bearer tok-12345", "exact": "tok-12345", "n": 7, "k": "ok"}
    assert scrub(value, ["tok-12345"]) == {"auth": "Bearer ***", "exact": "***", "n": 7, "k": "ok"}
    assert scrub(value, []) == value
    assert scrub(value, []) is not value
