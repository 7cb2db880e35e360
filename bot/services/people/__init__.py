"""Users, roles, invites, command menus, flood control, privacy (forget, retention)."""
