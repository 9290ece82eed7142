"""Passes for caseworkers: the passes of a household; issue, block, replace and reissue one.

Each change is a domain operation in almerepas.passes.operations, which writes its audit row;
reading a household's passes is a read of its personal data (``household.view``). A pass is
named in the URL by its number, with the check digit: a typing mistake is
``invalid_pass_number``, not somebody else's pass.
"""

from __future__ import annotations

from typing import Any

from almerepas.api.schemas.passes import (
    BlockInSchema,
    HouseholdPassesSchema,
    IssueInSchema,
    PassSchema,
    ReissueInSchema,
    ReplaceInSchema,
)
from almerepas.casework import operations as casework
from almerepas.core import clock
from almerepas.core.session import get_session, transactional
from almerepas.households import members as households
from almerepas.http.guard import current_actor, require_role
from almerepas.http.rest import Blueprint
from almerepas.passes import operations as passes
from almerepas.passes.models import Pass
from almerepas.passes.queries import household_passes

blp = Blueprint("passes", __name__, description="Passen (voor consulenten)")


@blp.route("/households/<int:household_id>/passes", operation_id="listHouseholdPasses")
@require_role("passes.read")
@blp.response(200, HouseholdPassesSchema)
@transactional
def list_household_passes(household_id: int) -> dict[str, Any]:
    """De passen van wie er vandaag in dit huishouden woont, ook oude."""
    session = get_session()
    household = households.get_household(session, household_id)
    casework.viewed(session, household, actor=current_actor())
    day = clock.today()
    return {"date": day, "items": household_passes(session, household.id, day)}


@blp.route("/persons/<int:person_id>/passes", methods=["POST"], operation_id="issuePass")
@require_role("passes.write")
@blp.arguments(IssueInSchema)
@blp.response(201, PassSchema)
@transactional
def issue_pass(_body: dict[str, Any], person_id: int) -> Pass:
    """Geef iemand die in de gemeente woont een pas (één pas die werkt per persoon)."""
    session = get_session()
    person = passes.get_person(session, person_id)
    return passes.issue_pass(session, person, actor=current_actor(), now=clock.now())


@blp.route("/passes/<number>/blocks", methods=["POST"], operation_id="blockPass")
@require_role("passes.write")
@blp.arguments(BlockInSchema)
@blp.response(201, PassSchema)
@transactional
def block_pass(body: dict[str, Any], number: str) -> Pass:
    """Blokkeer een pas die kwijt of gestolen is: hij werkt meteen niet meer."""
    session = get_session()
    pass_ = passes.find_pass(session, number)
    return passes.block_pass(
        session, pass_, reason=body["reason"], actor=current_actor(), now=clock.now()
    )


@blp.route("/passes/<number>/replacements", methods=["POST"], operation_id="replacePass")
@require_role("passes.write")
@blp.arguments(ReplaceInSchema)
@blp.response(201, PassSchema)
@transactional
def replace_pass(_body: dict[str, Any], number: str) -> Pass:
    """Vervang een pas die nog geldig is: een nieuw nummer, de oude werkt meteen niet meer."""
    session = get_session()
    pass_ = passes.find_pass(session, number)
    return passes.replace_pass(session, pass_, actor=current_actor(), now=clock.now())


@blp.route("/passes/<number>/reissues", methods=["POST"], operation_id="reissuePass")
@require_role("passes.write")
@blp.arguments(ReissueInSchema)
@blp.response(201, PassSchema)
@transactional
def reissue_pass(_body: dict[str, Any], number: str) -> Pass:
    """Maak een nieuwe pas na een verlopen of geblokkeerde pas, geldig volgens het schema."""
    session = get_session()
    pass_ = passes.find_pass(session, number)
    return passes.reissue_pass(session, pass_, actor=current_actor(), now=clock.now())
