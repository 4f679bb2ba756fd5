"""The installation's issuer key: an Ed25519 key made at first use and kept in a file of its own
beside the database (never in it), readable by the bot's user only; and its public half as a
`did:key` (Ed25519 multikey, base58btc multibase, `z6Mk...`).

Losing the file means credentials already issued still verify (their key is in their `did:key`),
but new ones are signed by a new key, i.e. a new issuer: docs/deployment.md says to back it up.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "elenchus-issuer.key"
"""Its name in the data directory (the database's folder) unless ELENCHUS_ISSUER_KEY says otherwise."""
ED25519_PUB = b"\xed\x01"
"""The multicodec prefix of an Ed25519 public key."""
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class IssuerKeyError(ValueError):
    """A key file or a did:key that cannot be used; the message says why."""


def load_or_create(path: Path) -> Ed25519PrivateKey:
    """The key in `path`, made (mode 0600, written atomically) when there is none yet."""
    if path.exists():
        return _read(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".new")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(partial, path)  # never replaces a key another process made meanwhile
    except FileExistsError:
        pass
    finally:
        partial.unlink()
    return _read(path)


def _read(path: Path) -> Ed25519PrivateKey:
    if path.stat().st_mode & 0o077:
        raise IssuerKeyError(f"{path} may be read by others; make it private with chmod 600 {path}.")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise IssuerKeyError(f"{path} does not hold an Ed25519 key.")
    return key


def public_multibase(key: Ed25519PublicKey) -> str:
    """The Multikey form of a public key: 'z' + base58btc(0xed01 + 32 bytes)."""
    return "z" + b58encode(ED25519_PUB + key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def did_key(key: Ed25519PublicKey) -> str:
    return "did:key:" + public_multibase(key)


def verification_method(key: Ed25519PublicKey) -> str:
    """The id of the key in its DID document: did:key:z6Mk...#z6Mk..."""
    multibase = public_multibase(key)
    return f"did:key:{multibase}#{multibase}"


def public_key_of(method: str) -> Ed25519PublicKey:
    """The public key a did:key (with or without its #fragment) stands for."""
    did, _, fragment = method.partition("#")
    multibase = did.removeprefix("did:key:")
    if not did.startswith("did:key:") or not multibase.startswith("z") or fragment not in ("", multibase):
        raise IssuerKeyError(f"not an Ed25519 did:key: {method!r}.")
    raw = b58decode(multibase[1:])
    if not raw.startswith(ED25519_PUB) or len(raw) != 34:
        raise IssuerKeyError(f"not an Ed25519 did:key: {method!r}.")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _ALPHABET[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        digit = _ALPHABET.find(char)
        if digit < 0:
            raise IssuerKeyError(f"not base58: {text!r}.")
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body
