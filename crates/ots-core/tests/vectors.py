#!/usr/bin/env python3
"""Writes vectors.json from an independent implementation of the ots1 envelope.

It follows docs/ENVELOPE.md only (not the Rust code), using Python's `cryptography`
package (>= 44, for Argon2id): `python3 vectors.py > vectors.json`. The Rust test
tests/vectors.rs then checks that ots-core produces and opens exactly these texts.
"""
import base64
import json
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hkdf(ikm, info, length):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=b"", info=info).derive(ikm)


def derive(passphrase, fk, m, t, p):
    """Returns (access, pk)."""
    salt = hkdf(fk, b"ots1 argon2id salt", 16)
    a = Argon2id(salt=salt, length=64, iterations=t, lanes=p, memory_cost=m).derive(
        passphrase.encode()
    )
    return b64(a[:32]), a[32:]


def seal(fk, nonce, plaintext, passphrase=None, kdf=None):
    """Returns (envelope, access)."""
    if passphrase is None:
        header, ikm, access = "ots1.", fk, None
    else:
        m, t, p = kdf
        access, pk = derive(passphrase, fk, m, t, p)
        header, ikm = f"ots1.a2id.{m}.{t}.{p}.", fk + pk
    k = hkdf(ikm, b"ots1 content key", 32)
    sealed = AESGCM(k).encrypt(nonce, plaintext, header.encode())
    return header + b64(nonce + sealed), access


def main():
    fk = bytes(range(32))
    nonce = bytes(range(0xA0, 0xAC))
    passphrase = "correct horse battery staple"
    good = []
    for name, plaintext, pw, kdf in [
        ("no passphrase", "hello, world", None, None),
        ("no passphrase, empty plaintext", "", None, None),
        ("no passphrase, non-ASCII plaintext", "p\u00e4ssw\u00f6rd \u2603 \U0001f510\nline 2", None, None),
        ("passphrase, small Argon2id", "hello, world", passphrase, (64, 1, 1)),
        ("passphrase, non-ASCII passphrase", "hello, world", "\u00fcber \u00e9t\u00e9 \u2603", (64, 1, 1)),
        ("passphrase, default Argon2id", "hello, world", passphrase, (19456, 2, 1)),
    ]:
        envelope, access = seal(fk, nonce, plaintext.encode(), pw, kdf)
        v = {"name": name, "key": b64(fk), "nonce": nonce.hex(), "plaintext": plaintext}
        if pw is not None:
            v.update(passphrase=pw, kdf="%d.%d.%d" % kdf, access=access)
        v["envelope"] = envelope
        good.append(v)

    plain = good[0]["envelope"]
    protected = good[3]["envelope"]
    payload = plain[len("ots1."):]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    flipped_tag = "ots1." + b64(raw[:-1] + bytes([raw[-1] ^ 1]))
    flipped_nonce = "ots1." + b64(bytes([raw[0] ^ 0x80]) + raw[1:])
    key = b64(fk)
    bad = [
        ("wrong key", plain, b64(bytes(32)), None, "decrypt"),
        ("flipped tag bit", flipped_tag, key, None, "decrypt"),
        ("flipped nonce bit", flipped_nonce, key, None, "decrypt"),
        ("truncated by 3 bytes", "ots1." + b64(raw[:-3]), key, None, "decrypt"),
        ("wrong passphrase", protected, key, passphrase + "!", "decrypt"),
        ("header parameters changed", protected.replace("a2id.64.1.1.", "a2id.72.1.1."), key, passphrase, "decrypt"),
        ("passphrase header removed", protected.replace("a2id.64.1.1.", ""), key, None, "decrypt"),
        ("passphrase missing", protected, key, None, "passphrase_required"),
        ("unknown version", "ots2." + payload, key, None, "malformed"),
        ("padded base64", plain + "==", key, None, "malformed"),
        ("standard base64 alphabet", protected.replace("-", "+").replace("_", "/"), key, passphrase, "malformed"),
        ("Argon2id memory over the limit", "ots1.a2id.262145.1.1." + payload, key, passphrase, "malformed"),
        ("shorter than nonce and tag", "ots1." + b64(raw[:27]), key, None, "malformed"),
    ]
    failures = []
    for name, envelope, k, pw, error in bad:
        f = {"name": name, "key": k, "envelope": envelope}
        if pw is not None:
            f["passphrase"] = pw
        f["error"] = error
        failures.append(f)

    json.dump({"version": "ots1", "vectors": good, "failures": failures}, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
