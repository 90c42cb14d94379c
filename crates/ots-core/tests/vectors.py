#!/usr/bin/env python3
"""Writes vectors.json from an independent implementation of the ots1 and ots2 envelopes.

It follows docs/ENVELOPE.md only (not the Rust code), using Python's `cryptography`
package (>= 44, for Argon2id): `python3 vectors.py > vectors.json`. The Rust test
tests/vectors.rs then checks that ots-core produces and opens exactly these texts.
"""
import base64
import json
import struct
import sys
import unicodedata

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


# ---- ots2 -------------------------------------------------------------------------

WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(10)} | {f"LPT{i}" for i in range(10)}
INVISIBLE = {0x061C, 0xFEFF} | set(range(0x200B, 0x2010)) | set(range(0x202A, 0x202F)) | set(range(0x2060, 0x206A))


def trim(name):
    name = name.lstrip()
    while name and (name[-1] == "." or name[-1].isspace()):
        name = name[:-1]
    return name


def cut(name):
    """At most 255 UTF-8 bytes, keeping an extension of up to 16 bytes."""
    if len(name.encode()) <= 255:
        return name
    dot = name.rfind(".")
    ext = name[dot:] if dot > 0 and len(name[dot:].encode()) <= 16 else ""
    budget = 255 - len(ext.encode())
    stem = name.encode()[:budget].decode("utf-8", "ignore")
    return trim(stem) + ext


def sanitize(name):
    last = name.replace("\\", "/").split("/")[-1]
    kept = "".join(
        "_" if c in '<>:"|?*' else c
        for c in last
        if unicodedata.category(c) != "Cc" and ord(c) not in INVISIBLE
    )
    out = cut(trim(kept))
    if out.split(".")[0].rstrip().upper() in WINDOWS_DEVICES:
        out = cut("_" + out)
    return "secret.bin" if set(out) <= {"."} else out


def padme(n):
    if n < 2:
        return n
    e = n.bit_length() - 1
    s = e.bit_length()  # floor(log2 e) + 1
    mask = (1 << (e - s)) - 1
    return (n + mask) & ~mask


def padded_len(n):
    return padme(max(n, 1024))


def encode(text=None, file=None):
    """file = (name, media type, bytes), already clean."""
    kind = (1 if text is not None else 0) | (2 if file is not None else 0)
    out = bytes([kind])
    if text is not None:
        t = text.encode()
        out += struct.pack(">I", len(t)) + t
    if file is not None:
        name, mtype, data = file
        out += bytes([len(name.encode())]) + name.encode()
        out += bytes([len(mtype)]) + mtype.encode()
        out += struct.pack(">I", len(data)) + data
    return out


def access2(fk, gate=None):
    return b64(hkdf(fk + (gate or b""), b"ots2 access", 32))


def seal2(fk, nonce, plaintext, passphrase=None, kdf=None, pad=True):
    """Returns (envelope, access). `plaintext` is the encoded payload."""
    if pad:
        plaintext = plaintext + bytes(padded_len(len(plaintext)) - len(plaintext))
    if passphrase is None:
        header, ikm, gate = "ots2.", fk, None
    else:
        m, t, p = kdf
        salt = hkdf(fk, b"ots1 argon2id salt", 16)
        a = Argon2id(salt=salt, length=64, iterations=t, lanes=p, memory_cost=m).derive(passphrase.encode())
        header, ikm, gate = f"ots2.a2id.{m}.{t}.{p}.", fk + a[32:], a[:32]
    k = hkdf(ikm, b"ots2 content key", 32)
    return header + b64(nonce + AESGCM(k).encrypt(nonce, plaintext, header.encode())), access2(fk, gate)


def ots2(fk, nonce):
    binary = bytes(i * 7 % 256 for i in range(3000))
    cases = [
        ("text", "hello, world", None, None, None),
        ("empty text", "", None, None, None),
        ("a .env file", None, (".env", "text/plain", b"A=1\nB=2\n"), None, None),
        ("a 3,000-byte binary file", None, ("blob.bin", "application/octet-stream", binary), None, None),
        ("text and a key file, passphrase", "for the deploy box", ("id_ed25519", "application/octet-stream", b"-----BEGIN OPENSSH PRIVATE KEY-----\n"), "correct horse battery staple", (64, 1, 1)),
    ]
    vectors = []
    for name, text, file, pw, kdf in cases:
        payload = encode(text, file)
        envelope, access = seal2(fk, nonce, payload, pw, kdf)
        v = {"name": name, "key": b64(fk), "nonce": nonce.hex()}
        if text is not None:
            v["text"] = text
        if file is not None:
            v["file"] = {"name": file[0], "type": file[1], "bytes_hex": file[2].hex()}
        if pw is not None:
            v.update(passphrase=pw, kdf="%d.%d.%d" % kdf)
        v.update(payload_hex=payload.hex(), padded_len=padded_len(len(payload)), access=access, envelope=envelope)
        vectors.append(v)

    good = vectors[0]["envelope"]
    raw = base64.urlsafe_b64decode(good[5:] + "=" * (-len(good[5:]) % 4))
    key = b64(fk)
    ots1_text, _ = seal(fk, nonce, encode("x") + bytes(1019))

    def sealed(payload):
        return seal2(fk, nonce, payload, pad=False)[0]

    failures = [
        ("wrong key", good, b64(bytes(32)), "decrypt"),
        ("flipped tag bit", "ots2." + b64(raw[:-1] + bytes([raw[-1] ^ 1])), key, "decrypt"),
        ("ots1 envelope relabelled ots2", "ots2." + ots1_text[5:], key, "decrypt"),
        ("ots2 envelope relabelled ots1", "ots1." + good[5:], key, "decrypt"),
        ("unknown version", "ots3." + good[5:], key, "malformed"),
        ("empty payload", sealed(b""), key, "malformed"),
        ("unknown kind", sealed(b"\x04" + bytes(1023)), key, "malformed"),
        ("no kind", sealed(bytes(1024)), key, "malformed"),
        ("text longer than the payload", sealed(b"\x01\x00\x00\x10\x00hi" + bytes(1017)), key, "malformed"),
        ("text not UTF-8", sealed(b"\x01\x00\x00\x00\x02\xff\xfe" + bytes(1017)), key, "malformed"),
        ("non-zero padding", sealed(encode("hi") + b"\x00\x01" + bytes(1015)), key, "malformed"),
        ("file cut short", sealed(b"\x02\x04abcd"), key, "malformed"),
    ]
    plain_file = (".env", "text/plain", b"A=1\n")
    plain = {
        "name": "unencrypted file",
        "file": {"name": plain_file[0], "type": plain_file[1], "bytes_hex": plain_file[2].hex()},
        "text": "ots2-plain." + b64(encode(None, plain_file)),
    }
    names = [
        [raw_name, sanitize(raw_name)]
        for raw_name in [
            "id_ed25519", ".env", "../../etc/passwd", "C:\\Users\\me\\cert.pem", "dir/", "", "..",
            "  report.pdf . ", "a\x00b\nc\x7fd.txt", "invoice\u202efdp.exe", "x\u2067y\u200bz\ufeff",
            "a<b>c:d\"e|f?g*h", "CON", "nul.txt", "com1.log", "console.txt", "na\u00efve \u6771\u4eac.key",
            "\u00e9" * 200 + ".pem", "x" * 400,
        ]
    ]
    classes = [[n, padded_len(n)] for n in [0, 1, 1024, 1025, 1500, 2048, 2049, 3000, 4096, 4097, 7424, 7425, 10000, 65536, 100000]]
    return {
        "vectors": vectors,
        "failures": [{"name": n, "key": k, "envelope": e, "error": err} for n, e, k, err in failures],
        "plain": plain,
        "names": names,
        "classes": classes,
    }


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
        ("unknown version", "ots3." + payload, key, None, "malformed"),
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

    out = {"version": "ots1", "vectors": good, "failures": failures, "ots2": ots2(fk, nonce)}
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
