"""Temporary hunting harness (not kept): coverage-phase cases for every role."""
from collections import Counter
import schemathesis
from schemathesis import GenerationMode
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi import checks as oc
from schemathesis.checks import not_a_server_error
import pytest
from tests.api.test_fuzz import CONFIG, world, operation_permissions, problem_code, stable_codes  # noqa
from tests.factories import make_staff, token_headers
from almerepas.models import Role
from almerepas.staff.permissions import PERMISSIONS

CHECKS = [not_a_server_error, oc.status_code_conformance, oc.content_type_conformance, oc.response_schema_conformance, oc.response_headers_conformance]

@pytest.mark.parametrize("role", list(Role))
def test_hunt(app, reference, world, frozen_clock, role):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)
    perms = operation_permissions(app)
    codes = stable_codes()
    user, _, _ = make_staff(reference, role, app=app)
    failures = []
    for result in schema.get_all_operations():
        op = result.ok()
        p = perms[(op.method.upper(), op.path)]
        if p is None or role not in PERMISSIONS[p]:
            continue
        gen = CoverageGenerator(operation=op, generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=schema.config.generation_for(operation=op, phase="coverage"), auth_storage=None,
            override=Override(), feedback=NO_FEEDBACK)
        n = Counter()
        for case in gen:
            for params in ({}, {k: v for k, v in world.path_parameters.items() if k in case.path_parameters}):
                if params:
                    case.path_parameters.update(params)
                headers = token_headers(reference, user)
                try:
                    r = case.call_and_validate(headers=headers, checks=CHECKS)
                    n[(r.status_code, problem_code(r, codes))] += 1
                except BaseException as exc:
                    failures.append(f"{op.label} as {role}: {exc}")
        print(role, op.label, dict(n))
    assert not failures, "\n\n".join(failures[:40])
