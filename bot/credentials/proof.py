"""Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite (W3C vc-di-eddsa): sign a
credential with the issuer key, and verify one.

The algorithm (vc-di-eddsa, sections 3.3.x): canonicalise the proof options (the proof without
its proofValue, carrying the document's @context) and the document without its proof with RDFC-1.0
(URDNA2015, which pyld implements), hash each with SHA-256, sign proofHash + documentHash with
Ed25519, and write the signature as base58btc multibase.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyld import jsonld
from pyld.jsonld import JsonLdError

from . import contexts
from .keys import IssuerKeyError, b58decode, b58encode, public_key_of, verification_method

CRYPTOSUITE = "eddsa-rdfc-2022"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str
    """Why not, or what was checked, in one sentence."""


def sign(document: dict[str, Any], key: Ed25519PrivateKey, created: str) -> dict[str, Any]:
    """The document with a DataIntegrityProof by `key` (its did:key as verificationMethod)."""
    dropped = undefined_terms(document)
    if dropped:
        raise ValueError(f"terms no context defines would go unsigned: {', '.join(dropped)}")
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method(key.public_key()),
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(_hash_data(document, options))
    # A list of one: Open Badges 3.0's JSON Schema wants `proof` as an array (Data Integrity allows both).
    return {**document, "proof": [{**options, "proofValue": "z" + b58encode(signature)}]}


def verify(credential: Any) -> Verdict:
    """Whether the credential's proof holds for its content under the key it names (each proof, when
    it has several)."""
    proofs = credential.get("proof") if isinstance(credential, dict) else None
    proofs = [proofs] if isinstance(proofs, dict) else proofs
    if not proofs or not isinstance(proofs, list) or not all(isinstance(p, dict) for p in proofs):
        return Verdict(False, "it has no proof (not a signed credential).")
    verdicts = [_verify_one(credential, p) for p in proofs]
    return next((v for v in verdicts if not v.ok), verdicts[0])


def _verify_one(credential: dict[str, Any], given: dict[str, Any]) -> Verdict:
    proof = dict(given)
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        return Verdict(False, f"its proof is not a DataIntegrityProof with the {CRYPTOSUITE} cryptosuite.")
    if proof.get("proofPurpose") != "assertionMethod":
        return Verdict(False, "its proof is not made for assertionMethod.")
    value = proof.pop("proofValue", None)
    if not isinstance(value, str) or not value.startswith("z"):
        return Verdict(False, "its proofValue is missing or not base58btc multibase.")
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    signer = str(proof.get("verificationMethod", "")).partition("#")[0]
    if issuer_id != signer:
        return Verdict(False, f"it names {issuer_id!r} as its issuer but is signed by another key ({signer}).")
    try:
        key = public_key_of(str(proof.get("verificationMethod", "")))
        signature = b58decode(value[1:])
        document = {k: v for k, v in credential.items() if k != "proof"}
        dropped = undefined_terms(credential)
        if dropped:
            return Verdict(
                False, f"it has terms that no context defines, which no signature covers: {', '.join(dropped)}."
            )
        key.verify(signature, _hash_data(document, proof))
    except IssuerKeyError as exc:
        return Verdict(False, str(exc))
    except InvalidSignature:
        return Verdict(False, "the signature does not match the content: it was changed after signing, or forged.")
    except (JsonLdError, TypeError, ValueError) as exc:
        return Verdict(False, f"it cannot be read as JSON-LD with the known contexts ({_first_line(exc)}).")
    return Verdict(True, f"signed by its issuer, {signer}.")


def undefined_terms(document: dict[str, Any]) -> list[str]:
    """Properties JSON-LD expansion would drop because no context defines them (so canonicalisation
    leaves them out, and a signature does not cover them): what jsonld.js's "safe mode" refuses."""
    dropped: list[str] = []
    jsonld.expand(
        document,
        {"documentLoader": contexts.loader},
        on_property_dropped=lambda term: dropped.append(str(term)),
    )
    return dropped


def _hash_data(document: dict[str, Any], options: dict[str, Any]) -> bytes:
    with_context = {"@context": document.get("@context"), **{k: v for k, v in options.items() if k != "@context"}}
    return _sha256_canonical(with_context) + _sha256_canonical(document)


def _sha256_canonical(data: dict[str, Any]) -> bytes:
    nquads = jsonld.normalize(
        data, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": contexts.loader}
    )
    return hashlib.sha256(nquads.encode("utf-8")).digest()


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200]
