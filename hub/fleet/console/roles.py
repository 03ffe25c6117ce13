"""Console roles and what each may do (三权分立, GB/T 22239-2019 8.1.4.2).

Administration is split three ways so that no single account can act and
cover its tracks:

- 系统管理员 ``system_admin``: terminals (enrolment codes, revocation),
  commands, content and settings; everything an operator does;
- 安全管理员 ``security_admin``: operator accounts, roles, unlocks, password
  and second-factor resets; nothing on the fleet;
- 审计管理员 ``auditor``: reads and exports the audit log; changes nothing.

plus the day-to-day ``operator`` (commands, alerts, announcements, catalogue
switches) and ``viewer`` (reads the fleet), and ``staff`` (窗口/部门工作人员):
works the applications of the departments and items its account is scoped
to (``hub/backoffice/scopes.py``) on the workbench, and nothing else. Nobody, in any role, edits or
deletes audit entries: no route does (``hub/fleet/audit.py`` refuses it).

Routes ask for a *permission*, not a role (:data:`PERMISSIONS`); the three
administrator roles need a TOTP second factor (:data:`SECOND_FACTOR_ROLES`).
"""

from __future__ import annotations

VIEWER = "viewer"
OPERATOR = "operator"
SYSTEM_ADMIN = "system_admin"
SECURITY_ADMIN = "security_admin"
AUDITOR = "auditor"

STAFF = "staff"

ROLES = (VIEWER, OPERATOR, SYSTEM_ADMIN, SECURITY_ADMIN, AUDITOR, STAFF)
ROLE_LABELS = {
    VIEWER: "只读",
    OPERATOR: "运维",
    SYSTEM_ADMIN: "系统管理员",
    SECURITY_ADMIN: "安全管理员",
    AUDITOR: "审计管理员",
    STAFF: "窗口人员",
}

# Permissions. LOGGED_IN: any account with a console session (whoami, logout).
LOGGED_IN = "logged_in"
VIEW = "view"  # the fleet, alerts, terminals, content, statistics, notifications
OPERATE = "operate"  # commands, alerts, announcements, catalogue switches
ADMINISTER = "administer"  # enrolment codes, terminal revocation
ACCOUNTS = "accounts"  # operator accounts, roles, unlocks, resets
AUDIT = "audit"  # read and export the audit log
WORK = "work"  # the workbench: applications of the account's own departments and items

PERMISSIONS: dict[str, frozenset[str]] = {
    VIEWER: frozenset({VIEW}),
    OPERATOR: frozenset({VIEW, OPERATE}),
    SYSTEM_ADMIN: frozenset({VIEW, OPERATE, ADMINISTER}),
    SECURITY_ADMIN: frozenset({ACCOUNTS}),
    AUDITOR: frozenset({AUDIT}),
    STAFF: frozenset({WORK}),
}
ALL_PERMISSIONS = frozenset({LOGGED_IN}).union(*PERMISSIONS.values())

# Roles whose login needs a TOTP code besides the password.
SECOND_FACTOR_ROLES = frozenset({SYSTEM_ADMIN, SECURITY_ADMIN, AUDITOR})

# Where each role lands after logging in: the first page it may open.
_LANDING = {
    ACCOUNTS: "/console/operators",
    AUDIT: "/console/audit",
    WORK: "/console/workbench",
}


def allowed(role: str, permission: str) -> bool:
    """Whether ``role`` holds ``permission`` (an unknown role holds nothing)."""
    if permission == LOGGED_IN:
        return role in PERMISSIONS
    return permission in PERMISSIONS.get(role, frozenset())


def landing_page(role: str) -> str:
    """The console page a role starts on."""
    for permission, page in _LANDING.items():
        if allowed(role, permission):
            return page
    return "/console/"
