#!/usr/bin/env python3
"""Writes request_vectors.json from an independent implementation of requests (otsq1).

It follows the "Requests" part of docs/ENVELOPE.md only (not the Rust code), using
Python's `cryptography` package for X25519, HKDF and AES-GCM:
`python3 request_vectors.py > request_vectors.json`. The Rust test
tests/request_vectors.rs then checks that ots-core derives, seals and opens exactly these.
"""
import base64
import hashlib
import json
import sys
from urllib.parse import quote

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# The ots2 payload and its padding, from the same independent implementation.
from vectors import encode, padded_len

PREFIX = "otsq1."
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
KEY = "ou88al7nsj14a2pancybh3w3378r0we476bl9wysaj2w55hleccvknxckr7bb3"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public(sk):
    return X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def agree(sk, pk):
    # cryptography refuses an all-zero result itself (ValueError), as the spec requires.
    return X25519PrivateKey.from_private_bytes(sk).exchange(X25519PublicKey.from_public_bytes(pk))


def fingerprint(pk):
    n = int.from_bytes(hashlib.sha256(b"otsq1 fingerprint" + pk).digest()[:8], "big") >> 4
    digits = "".join(CROCKFORD[(n >> (5 * i)) & 31] for i in reversed(range(12)))
    return digits, f"{digits[0:4]}-{digits[4:8]}-{digits[8:12]}"


def hkdf(ikm, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def keys(ss, epk, pk):
    """Returns (content key, access)."""
    salt = epk + pk
    return hkdf(ss, salt, b"otsq1 content key"), b64(hkdf(ss, salt, b"otsq1 access"))


def seal_raw(k, padded):
    return PREFIX + b64(AESGCM(k).encrypt(bytes(12), padded, PREFIX.encode()))


def seal(k, text=None, file=None):
    payload = encode(text, file)
    return seal_raw(k, payload + bytes(padded_len(len(payload)) - len(payload)))


def main():
    sk = bytes(range(0x40, 0x60))
    esk = bytes(range(0x60, 0x80))
    pk, epk = public(sk), public(esk)
    ss = agree(esk, pk)
    assert ss == agree(sk, epk)
    k, access = keys(ss, epk, pk)
    compact, shown = fingerprint(pk)
    note = "VPN password, Berlin office \u2603"
    answers = []
    for name, text, file in [
        ("text", "hello, world", None),
        ("empty text", "", None),
        ("non-ASCII", "p\u00e4ssw\u00f6rd \u2603 \U0001f510\nline 2", None),
        ("a file", None, ("id_ed25519", "application/octet-stream", bytes(range(256)) * 5)),
    ]:
        a = {"name": name, "sealed": seal(k, text, file)}
        if text is not None:
            a["text"] = text
        if file is not None:
            a.update(file_name=file[0], media_type=file[1], file_hex=file[2].hex())
        answers.append(a)
    sealed = answers[0]["sealed"]
    raw = unb64(sealed[len(PREFIX):])
    other_sk = bytes(range(0x80, 0xA0))
    other_pk = public(other_sk)
    # The same one-time key, sealed to another request's key: the asker's keys do not open it.
    k_other, _ = keys(agree(esk, other_pk), epk, other_pk)
    # Authentic, but not a payload (kind byte 7): refused after decryption.
    not_payload = seal_raw(k, bytes([7]) + bytes(1023))
    failures = [
        ("flipped tag bit", PREFIX + b64(raw[:-1] + bytes([raw[-1] ^ 1])), "decrypt"),
        ("flipped first byte", PREFIX + b64(bytes([raw[0] ^ 0x80]) + raw[1:]), "decrypt"),
        ("truncated by 1 byte", PREFIX + b64(raw[:-1]), "decrypt"),
        ("sealed to another request", seal(k_other, "hello, world"), "decrypt"),
        ("the access value used as the content key", seal(unb64(access), "hello, world"), "decrypt"),
        ("not a payload", not_payload, "malformed"),
        ("ots1 tag", "ots1." + sealed[len(PREFIX):], "malformed"),
        ("padded base64", sealed + "=" * (-len(sealed[len(PREFIX):]) % 4 or 4), "malformed"),
        ("shorter than the tag", PREFIX + b64(raw[:15]), "malformed"),
    ]
    low_order = [b64(bytes(32)), b64(bytes([1]) + bytes(31))]
    fp_epk, _ = fingerprint(epk)
    out = {
        "version": "otsq1",
        "asker_secret": b64(sk),
        "public_key": b64(pk),
        "fingerprint": shown,
        "fingerprint_compact": compact,
        "ephemeral_secret": b64(esk),
        "ephemeral_public": b64(epk),
        "shared": ss.hex(),
        "access": access,
        "other_secret": b64(other_sk),
        "request_link": f"#/q/{b64(pk)}?e=1800000000&n={quote(note, safe='')}",
        "note": note,
        "expires": 1800000000,
        "answer_link": f"#/a/{KEY}/{b64(epk)}?f={compact}",
        "secret_key": KEY,
        "answers": answers,
        "failures": [{"name": n, "sealed": s, "error": e} for n, s, e in failures],
        "low_order_keys": low_order,
    }
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
