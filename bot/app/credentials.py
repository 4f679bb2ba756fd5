"""Issuing a participant the course's Open Badges 3.0 credential once they have finished it, and
checking one. Nothing is stored: a credential is made, signed and handed over on request, so
there is nothing of it to show in /mydata or to erase with /forget (its holder keeps it).

The earner's id in the credential is `urn:uuid:` of an HMAC, keyed by the issuer key, of the
participant's number and creation time: the same in each credential one participant gets here,
unlinkable to them without the key, and not inherited by a later participant with the same number.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from ..credentials import achievement, keys, proof
from ..engine import Course, Dialogue
from ..storage import Storage
from ..storage.rows import Cohort

NAME_MAX = 100
"""Characters of a chosen name: enough for anyone's full name, not for a message."""


@dataclass(frozen=True)
class IssuerConfig:
    key_file: Path
    name: str = "Elenchus"
    url: str | None = None
    country: str | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> IssuerConfig:
        """From bot.config.Settings: the key file beside the database unless one is set."""
        key_file = settings.issuer_key or Path(settings.db).resolve().parent / keys.KEY_FILE
        return cls(key_file, settings.issuer_name, settings.issuer_url, settings.issuer_country)


@dataclass(frozen=True)
class NotYet:
    """The participant has not finished what the credential requires."""

    missing: tuple[Dialogue, ...]


@dataclass(frozen=True)
class Issued:
    credential: dict[str, Any]


class Credentials:
    def __init__(self, course: Course, storage: Storage, config: IssuerConfig):
        self.course, self.storage, self.config = course, storage, config

    @cached_property
    def key(self):
        """The issuer key, made on first use (not at start-up: an installation that never issues
        a credential never has one)."""
        return keys.load_or_create(self.config.key_file)

    def issuer(self) -> achievement.Issuer:
        """The awarding body, identified by the key's did:key: a verifier needs nothing but the
        credential (an https issuer id would need a controller document published at that URL, and
        verifiers such as Digital Bazaar's insist that the issuer controls the signing key)."""
        issuer_id = keys.did_key(self.key.public_key())
        return achievement.Issuer(issuer_id, self.config.name, self.config.url, self.config.country)

    def required(self, participant_id: int) -> tuple[Dialogue, ...]:
        """What the participant's credential requires: their cohort's set as its facilitators made
        it (/badgeset), else course.yaml's for the cohort, else the course's."""
        person = self.storage.participants.get(participant_id)
        cohort = self.storage.cohorts.get(person.cohort_id) if person and person.cohort_id else None
        return self.required_for(cohort)

    def required_for(self, cohort: Cohort | None) -> tuple[Dialogue, ...]:
        stored = self.storage.badges.of(cohort.id) if cohort else None
        if stored:
            found = tuple(d for i in stored if (d := self.course.get(i)) is not None)
            if found:  # a dialogue removed from the content since is left out
                return found
        return self.course.required(cohort.name if cohort else None)

    def set_required(self, cohort: Cohort, dialogue_ids: tuple[str, ...] | None) -> tuple[str, ...]:
        """Make `dialogue_ids` the cohort's requirement (None: back to course.yaml's); returns the
        ids that are no dialogue of the course, and changes nothing if there are any. The caller
        has checked that the person asking may see the cohort (Cohorts.find_visible)."""
        if dialogue_ids is not None:
            unknown = tuple(i for i in dialogue_ids if self.course.get(i) is None)
            if unknown or not dialogue_ids:
                return unknown
            dialogue_ids = tuple(dict.fromkeys(dialogue_ids))
        self.storage.badges.set(cohort.id, dialogue_ids)
        return ()

    def missing(self, participant_id: int) -> tuple[Dialogue, ...]:
        """The required dialogues the participant has not finished yet (in the course's order)."""
        finished = {r.dialogue_id for r in self.storage.runs.of(participant_id) if r.status == "finished"}
        return tuple(d for d in self.required(participant_id) if d.id not in finished)

    def issue(self, participant_id: int, locale: str, name: str | None, now: str) -> Issued | NotYet:
        """A signed credential for a participant who has finished, named `name` (or by id only);
        `now` in ISO 8601 UTC (its milliseconds are dropped)."""
        now = now[:19] + "Z"
        missing = self.missing(participant_id)
        if missing:
            return NotYet(missing)
        earner = achievement.Earner(self.earner_id(participant_id), clean_name(name))
        document = achievement.build(self.course, self.issuer(), earner, locale, now, self.required(participant_id))
        return Issued(proof.sign(document, self.key, now))

    def earner_id(self, participant_id: int) -> str:
        person = self.storage.participants.get(participant_id)
        assert person is not None
        secret = self.key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        digest = hmac.new(secret, f"earner:{person.id}:{person.created}".encode(), hashlib.sha256).digest()
        return f"urn:uuid:{uuid.UUID(bytes=digest[:16], version=4)}"


def clean_name(name: str | None) -> str | None:
    """A typed name as it may appear on the credential: one line, trimmed, at most NAME_MAX characters."""
    if not name:
        return None
    words = ("".join(c for c in word if c.isprintable()) for word in name.split())
    cleaned = " ".join(w for w in words if w)[:NAME_MAX].strip()
    return cleaned or None


def verify(credential: Any) -> proof.Verdict:
    """Whether a credential (any issuer's, as parsed JSON) carries a valid eddsa-rdfc-2022 proof."""
    verdict = proof.verify(credential)
    if verdict.ok and "OpenBadgeCredential" not in (credential.get("type") or ()):
        return proof.Verdict(False, "its proof holds, but it is not an OpenBadgeCredential.")
    return verdict
