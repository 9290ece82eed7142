"""verify_code: the one place the service checks a code, online, against its own data."""

from __future__ import annotations

import base64
import datetime as dt
import threading
from collections import Counter

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from almerepas.core.errors import DomainError
from almerepas.households import members as households
from almerepas.models import PassStatus, UsedCode
from almerepas.passes import keys as signing
from almerepas.passes.credential_errors import (
    CredentialBadSignature,
    CredentialMalformed,
    CredentialRefused,
    CredentialReplayed,
    CredentialRevoked,
    CredentialStale,
    HolderProofMissing,
    PassBlocked,
    PassExpired,
    PassReplaced,
)
from almerepas.passes.credentials import (
    issue_card_credential,
    issue_phone_credential,
    revoke_pass_credentials,
)
from almerepas.passes.verify import verify_code
from tests.factories import (
    KEYS,
    TEST_ACTOR,
    credential_pass,
    device_jwk,
    device_key,
    forged,
    holder_signature,
    phone_code,
    step_at,
)
from tests.fixtures import START

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def test_a_phone_code_and_a_card_code_find_their_pass(keyed: Session) -> None:
    pass_ = credential_pass(keyed, generation=3)
    device = device_key()
    issued = issue_phone_credential(keyed, pass_, device_jwk(device), keys=KEYS, now=START)
    phone = verify_code(keyed, phone_code(device, issued.token, START), now=START, keys=KEYS)
    card = verify_code(
        keyed, issue_card_credential(keyed, pass_, keys=KEYS, now=START), now=START, keys=KEYS
    )
    for verified, kind in ((phone, "phone"), (card, "card")):
        assert (verified.pass_id, verified.kind, verified.generation) == (pass_.id, kind, 3)
        assert verified.pass_number == pass_.number
    assert phone.pseudonym != card.pseudonym


def test_a_phone_code_works_once_a_card_every_time(keyed: Session) -> None:
    pass_ = credential_pass(keyed)
    device = device_key()
    issued = issue_phone_credential(keyed, pass_, device_jwk(device), keys=KEYS, now=START)
    code = phone_code(device, issued.token, START)
    verify_code(keyed, code, now=START, keys=KEYS)
    with pytest.raises(CredentialReplayed):
        verify_code(keyed, code, now=START + dt.timedelta(seconds=5), keys=KEYS)
    # the next step of the same credential is the next code
    later = START + dt.timedelta(seconds=30)
    assert verify_code(keyed, phone_code(device, issued.token, later), now=later, keys=KEYS)
    card = issue_card_credential(keyed, pass_, keys=KEYS, now=START)
    for _ in range(3):
        assert verify_code(keyed, card, now=START, keys=KEYS).kind == "card"


def test_an_altered_signature_copy_is_still_a_replay(keyed: Session) -> None:
    pass_ = credential_pass(keyed)
    device = device_key()
    issued = issue_phone_credential(keyed, pass_, device_jwk(device), keys=KEYS, now=START)
    step = step_at(START)
    signature = holder_signature(device, issued.token, step)
    raw = base64.urlsafe_b64decode(signature + "==")
    s = (P256_ORDER - int.from_bytes(raw[32:], "big")).to_bytes(32, "big")
    altered = base64.urlsafe_b64encode(raw[:32] + s).rstrip(b"=").decode()
    verify_code(keyed, f"{issued.token}~{step}~{signature}", now=START, keys=KEYS)
    with pytest.raises(CredentialReplayed):
        verify_code(keyed, f"{issued.token}~{step}~{altered}", now=START, keys=KEYS)


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ("blocked", PassBlocked),
        ("replaced", PassReplaced),
        ("newer generation", PassReplaced),
        ("expired status", PassExpired),
        ("past its last day", PassExpired),
    ],
)
def test_a_genuine_code_of_a_pass_that_may_not_be_used_is_refused(
    keyed: Session, change: str, refusal: type[DomainError]
) -> None:
    pass_ = credential_pass(keyed)
    card = issue_card_credential(keyed, pass_, keys=KEYS, now=START)
    now = START
    if change == "blocked":
        pass_.status = PassStatus.blocked
    elif change == "replaced":
        pass_.status = PassStatus.replaced
    elif change == "newer generation":
        pass_.generation = 2
    elif change == "expired status":
        pass_.status = PassStatus.expired
    else:
        pass_.valid_until = dt.date(2026, 3, 1)  # START is the next day in Almere
    keyed.flush()
    with pytest.raises(refusal):
        verify_code(keyed, card, now=now, keys=KEYS)


def test_online_the_pass_says_more_than_the_revocation(keyed: Session) -> None:
    """Blocking revokes the credentials; the desk then hears 'blocked', not just 'revoked'."""
    pass_ = credential_pass(keyed)
    card = issue_card_credential(keyed, pass_, keys=KEYS, now=START)
    revoke_pass_credentials(keyed, pass_, now=START)
    with pytest.raises(CredentialRevoked):
        verify_code(keyed, card, now=START, keys=KEYS)
    pass_.status = PassStatus.blocked
    keyed.flush()
    with pytest.raises(PassBlocked):
        verify_code(keyed, card, now=START, keys=KEYS)


def test_a_refusal_of_the_kit_comes_as_its_domain_error(keyed: Session) -> None:
    pass_ = credential_pass(keyed)
    device = device_key()
    issued = issue_phone_credential(keyed, pass_, device_jwk(device), keys=KEYS, now=START)
    cases: list[tuple[str, type[CredentialRefused]]] = [
        ("garbage", CredentialMalformed),
        (issued.token, HolderProofMissing),
        (phone_code(device, forged(issued.token), START), CredentialBadSignature),
        (phone_code(device, issued.token, step_at(START) - 2), CredentialStale),
    ]
    for code, refusal in cases:
        with pytest.raises(refusal) as refused:
            verify_code(keyed, code, now=START, keys=KEYS)
        assert refused.value.status == 422 and refused.value.code == refusal.code


def test_a_refused_code_uses_no_step(keyed: Session) -> None:
    pass_ = credential_pass(keyed)
    device = device_key()
    issued = issue_phone_credential(keyed, pass_, device_jwk(device), keys=KEYS, now=START)
    with pytest.raises(HolderProofMissing):
        verify_code(keyed, issued.token, now=START, keys=KEYS)
    assert keyed.scalar(select(func.count()).select_from(UsedCode)) == 0


# -- two desks, one code, the same moment ----------------------------------------------------------

THREADS = 8


def test_the_same_code_at_many_desks_at_once_passes_exactly_once(fresh_engine: Engine) -> None:
    with Session(fresh_engine) as session:
        signing.ensure_keys(session, keys=KEYS, actor=TEST_ACTOR, now=START)
        person = households.create_person(
            session,
            given_name="Sara",
            family_name="Bakker",
            date_of_birth=dt.date(1990, 4, 1),
            keys=KEYS,
        )
        pass_ = credential_pass(session, person.id)
        device = device_key()
        issued = issue_phone_credential(session, pass_, device_jwk(device), keys=KEYS, now=START)
        session.commit()
    code = phone_code(device, issued.token, START)

    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def desk() -> None:
        start.wait()
        with Session(fresh_engine) as session:
            try:
                verify_code(session, code, now=START, keys=KEYS)
                session.commit()
                outcome = "ok"
            except CredentialRefused as refusal:
                session.rollback()
                outcome = refusal.code
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=desk) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == Counter({"ok": 1, "credential_replayed": THREADS - 1})
    with Session(fresh_engine) as session:
        assert session.scalar(select(func.count()).select_from(UsedCode)) == 1
