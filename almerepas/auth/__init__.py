"""Staff authentication and authorisation: accounts, tokens, the role table and the guards.

See docs/login.md (how login works) and docs/roles.md (who may do what).
"""

from almerepas.auth.accounts import (
    LOCKOUT,
    MAX_FAILURES,
    MIN_PASSWORD_LENGTH,
    authenticate,
    create_staff_user,
    provisioning_uri,
)
from almerepas.auth.guard import (
    SESSION_TOKEN_KEY,
    current_actor,
    current_staff,
    endpoint_permissions,
    require_role,
)
from almerepas.auth.permissions import PERMISSIONS, ROLE_LABELS, SIGNED_IN, allowed
from almerepas.auth.tokens import (
    TOKEN_LIFETIME,
    issue_token,
    revoke_token,
    token_record,
    user_for_token,
)

__all__ = [
    "LOCKOUT",
    "MAX_FAILURES",
    "MIN_PASSWORD_LENGTH",
    "PERMISSIONS",
    "ROLE_LABELS",
    "SESSION_TOKEN_KEY",
    "SIGNED_IN",
    "TOKEN_LIFETIME",
    "allowed",
    "authenticate",
    "create_staff_user",
    "current_actor",
    "current_staff",
    "endpoint_permissions",
    "issue_token",
    "provisioning_uri",
    "require_role",
    "revoke_token",
    "token_record",
    "user_for_token",
]
