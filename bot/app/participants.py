"""Who is writing, and what they agreed to: identifying participants, consent, language, blocking."""

from __future__ import annotations

from dataclasses import dataclass

from ..storage import Storage
from ..storage.rows import Consent, Participant

CONSENT_VERSION = "4"
"""Raise when consent.text changes in substance: everyone who decided on an earlier version is asked
again (version 4 names facilitators' comments, reminders and sharing with peers). Each consent
record keeps the version it saw, as "<version>-<locale>"."""


@dataclass(frozen=True)
class Person:
    """A participant as a shell needs them for one update: read once, with their latest consent."""

    id: int
    name: str
    locale: str | None
    """Their chosen language, if they chose one."""
    consent: Consent | None

    @property
    def asked(self) -> bool:
        return self.consent is not None

    @property
    def asked_current(self) -> bool:
        """They decided on the consent text as it is now; someone who decided on an earlier version
        is asked again (their earlier decision stands until then)."""
        return self.consent is not None and self.consent.version.split("-")[0] == CONSENT_VERSION

    @property
    def consents(self) -> bool:
        return bool(self.consent and self.consent.given)


class Participants:
    def __init__(self, storage: Storage):
        self.storage = storage

    def identify(self, platform: str, external_id: str, name: str | None = None, locale: str | None = None) -> Person:
        """The participant behind a platform id, created on first sight; someone who writes has
        evidently not blocked the bot (any more)."""
        row = self.storage.participants.get_or_create(platform, external_id, name=name, locale=locale)
        if row.blocked:
            self.storage.participants.mark_blocked(row.id, False)
        return _person(row, self.storage.participants.consent(row.id))

    def get(self, participant_id: int) -> Person | None:
        row = self.storage.participants.get(participant_id)
        return _person(row, self.storage.participants.consent(row.id)) if row else None

    def decide(self, participant_id: int, version: str, given: bool) -> None:
        self.storage.participants.record_consent(participant_id, version, given)

    def consents(self, participant_id: int) -> bool:
        return self.storage.participants.has_consent(participant_id)

    def set_locale(self, participant_id: int, locale: str) -> None:
        self.storage.participants.set_locale(participant_id, locale)

    def blocked(self, participant_id: int) -> None:
        """They blocked the bot: recorded, so nothing more is sent until they write again."""
        self.storage.participants.mark_blocked(participant_id)

    def cohort_id(self, participant_id: int) -> int | None:
        """The cohort they belong to now (the one they joined last), if any."""
        row = self.storage.participants.get(participant_id)
        return row.cohort_id if row else None

    def platform_id(self, participant_id: int) -> tuple[str, str] | None:
        row = self.storage.participants.get(participant_id)
        return (row.platform, row.external_id) if row else None


def _person(row: Participant, consent: Consent | None) -> Person:
    return Person(row.id, row.name or "", row.locale, consent)
