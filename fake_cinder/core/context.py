"""Who is calling: the part of Cinder's RequestContext the rules look at."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: str | None
    project_id: str
    roles: frozenset[str] = field(default_factory=frozenset)
    service_roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        """Cinder's context.is_admin (its context_is_admin rule, ``role:admin``)."""
        return "admin" in self.roles

    @property
    def is_service(self) -> bool:
        """Cinder's is_service_request: a valid service token with the service role."""
        return "service" in self.service_roles

    def can_see(self, project_id: str) -> bool:
        """Cinder's project_only database reads: an admin sees every project's records
        (no policy: the policies are ``policy.authorize``'s)."""
        return self.is_admin or project_id == self.project_id


def admin_caller(project_id: str = "admin") -> Caller:
    return Caller(user_id="admin", project_id=project_id, roles=frozenset({"admin"}))
