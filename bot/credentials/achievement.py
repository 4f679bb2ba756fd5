"""The course as an Open Badges 3.0 `OpenBadgeCredential` (1EdTech OB 3.0 over the W3C VC Data
Model 2.0), unsigned: what proof.py signs.

The EU's Council Recommendation on micro-credentials (2022/C 243/02, Annex I) lists the elements a
micro-credential states. Where OB 3.0 has a field for one, it is used: awarding body -> `issuer`
(a Profile), country -> `issuer.address.addressCountryCode`, date of issue -> `validFrom` and
`awardedDate`, title -> `achievement.name`, the type -> `achievementType: MicroCredential`, the
language -> `inLanguage`. The rest has no OB 3.0 field and is an extension on the achievement, named
after the Recommendation's wording and defined in an inline JSON-LD context (EXTENSION_CONTEXT):
`learningOutcomes`, `notionalWorkload` (an ISO 8601 duration from the dialogues' minutes),
`typeOfAssessment`, `formOfParticipation` and `qualityAssurance`. The learning outcomes are also in
the criteria's narrative, where every OB 3.0 reader shows them.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from ..engine import Course, Dialogue
from ..engine.texts import localize
from . import contexts

EXTENSION_NS = "https://elenchus.invalid/ns/eu-microcredential#"
"""The extension terms' IRIs. `.invalid`: a name only, never fetched (nothing needs to be)."""
EXTENSION_TERMS = (
    "learningOutcomes",
    "notionalWorkload",
    "typeOfAssessment",
    "formOfParticipation",
    "qualityAssurance",
)
EXTENSION_CONTEXT: dict[str, Any] = {
    "eumc": EXTENSION_NS,
    "learningOutcomes": {"@id": "eumc:learningOutcomes", "@container": "@list"},
    "notionalWorkload": {"@id": "eumc:notionalWorkload", "@type": "http://www.w3.org/2001/XMLSchema#duration"},
    "typeOfAssessment": "eumc:typeOfAssessment",
    "formOfParticipation": "eumc:formOfParticipation",
    "qualityAssurance": "eumc:qualityAssurance",
}
ONLINE = {"en": "online", "de": "online"}


@dataclass(frozen=True)
class Issuer:
    """The awarding body: its id (the issuer key's did:key), name, web site, country."""

    id: str
    name: str
    url: str | None = None
    country: str | None = None
    """ISO 3166-1 alpha-2, e.g. DE."""


@dataclass(frozen=True)
class Earner:
    id: str
    """A URN that stands for the participant in every credential of this installation."""
    name: str | None = None
    """The name they chose to appear on it, or None: the credential names them by id only."""


def build(
    course: Course, issuer: Issuer, earner: Earner, locale: str, now: str, required: tuple[Dialogue, ...] = ()
) -> dict[str, Any]:
    """The unsigned credential for `earner`, in `locale`, issued at `now` (ISO 8601, UTC, with Z),
    for finishing `required` (default: every dialogue of the course)."""
    required = required or course.dialogues
    name = localize(course.title, locale)
    profile: dict[str, Any] = {"id": issuer.id, "type": ["Profile"], "name": issuer.name}
    if issuer.url:
        profile["url"] = issuer.url
    if issuer.country:
        profile["address"] = {"type": ["Address"], "addressCountryCode": issuer.country}
    subject: dict[str, Any] = {
        "id": earner.id,
        "type": ["AchievementSubject"],
        "achievement": achievement(course, issuer, locale, required),
    }
    if earner.name:
        subject["identifier"] = [
            {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": earner.name}
        ]
    return {
        "@context": [contexts.VC_V2, contexts.OB_V3, EXTENSION_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": profile,
        "validFrom": now,
        "awardedDate": now,
        "name": name,
        "credentialSubject": subject,
    }


def achievement(course: Course, issuer: Issuer, locale: str, required: tuple[Dialogue, ...]) -> dict[str, Any]:
    terms = course.credential
    outcomes = [localize(o, locale) for o in course.outcomes]
    criteria = localize(terms.criteria, locale) if terms.criteria else ""
    dialogues = [f"- {localize(d.title, locale)}" for d in required]
    narrative = "\n".join([criteria, "", *dialogues, "", *(f"- {o}" for o in outcomes)]).strip()
    found: dict[str, Any] = {
        "id": achievement_id(course, issuer, required),
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": localize(course.title, locale),
        "description": localize(course.summary, locale),
        "criteria": {"narrative": narrative},
        "inLanguage": locale,
        "learningOutcomes": outcomes,
        "notionalWorkload": f"PT{sum(d.minutes for d in required)}M",
        "formOfParticipation": localize(ONLINE, locale),
    }
    if terms.assessment:
        found["typeOfAssessment"] = localize(terms.assessment, locale)
    if terms.quality_assurance:
        found["qualityAssurance"] = localize(terms.quality_assurance, locale)
    return found


def achievement_id(course: Course, issuer: Issuer, required: tuple[Dialogue, ...]) -> str:
    """The same for every credential of this course (and required set) by this issuer, so wallets
    group them; a cohort's own set of dialogues is an achievement of its own."""
    name = course.id
    if {d.id for d in required} != {d.id for d in course.dialogues}:
        name += "-" + hashlib.sha256(",".join(sorted(d.id for d in required)).encode()).hexdigest()[:12]
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{issuer.id}/achievements/{name}')}"
