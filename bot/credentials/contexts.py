"""The JSON-LD contexts a credential uses, vendored in contexts/ and served from there: signing
and verifying never go to the network (a context fetched at verification time could be changed
under us, and the bot may run without outbound access). Any other URL is refused."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from pyld.jsonld import JsonLdError

FOLDER = Path(__file__).resolve().parent / "contexts"

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"

FILES = {
    VC_V2: "credentials-v2.json",
    OB_V3: "ob-v3p0-context-3.0.3.json",
    DATA_INTEGRITY_V2: "data-integrity-v2.json",
}
"""URL -> vendored file. tests/support/verifier/ serves the same files to the independent verifier."""


@cache
def document(url: str) -> dict[str, Any]:
    name = FILES.get(url)
    if name is None:
        raise JsonLdError(
            f"the context {url} is not one Elenchus knows; it loads no context from the network.",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        )
    return json.loads((FOLDER / name).read_text(encoding="utf-8"))


def loader(url: str, options: Any = None) -> dict[str, Any]:
    """A pyld document loader over the vendored contexts."""
    return {"contextUrl": None, "documentUrl": url, "document": document(url)}
