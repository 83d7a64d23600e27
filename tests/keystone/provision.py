"""Create the test identities in a running Keystone, through its API.

Run by keystone.sh with the keystone venv's python (keystoneauth1 and
python-keystoneclient come with keystone):

    provision.py --auth-url http://127.0.0.1:PORT/v3 --pid PID --out keystone.json

Authenticates as the bootstrap admin (password secret-admin) with a
system-scoped token, creates (or finds) the roles, projects, users and role
assignments below in domain Default, and writes the json that
keystone_fixture.load() reads. Every password is "secret-<username>".
Idempotent: existing entities are reused, their passwords reset and
missing role assignments added.
"""

import argparse
import json
import os
import sys

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client as ks_client

DOMAIN = "default"  # the id of domain "Default"
ROLES = ["admin", "member", "reader", "service"]
PROJECTS = ["alpha", "beta", "service"]
# user -> (project or None for system scope, roles there)
USERS = {
    "alpha-admin": ("alpha", ["admin"]),
    "alpha-member": ("alpha", ["member"]),
    "alpha-reader": ("alpha", ["reader"]),
    "beta-member": ("beta", ["member"]),
    "glint": ("service", ["admin", "service"]),
    "system-admin": (None, ["admin"]),
    "system-reader": (None, ["reader"]),
}


def password(user):
    return "secret-" + user


def by_name(entities):
    return {e.name: e for e in entities}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--auth-url", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    auth = v3.Password(auth_url=args.auth_url, username="admin",
                       password=password("admin"), user_domain_id=DOMAIN,
                       system_scope="all")
    sess = ks_session.Session(auth=auth, timeout=60)
    # interface/endpoint_override: talk to the URL we were given, whatever
    # the catalog says.
    ks = ks_client.Client(session=sess, endpoint_override=args.auth_url,
                          interface="public")

    # One list per kind, then only the creates/grants that are missing:
    # each authenticated request costs Keystone ~0.1 s here.
    existing = by_name(ks.roles.list())
    roles = {name: existing.get(name) or ks.roles.create(name=name) for name in ROLES}

    existing = by_name(ks.projects.list(domain=DOMAIN))
    projects = {
        name: existing.get(name) or ks.projects.create(
            name=name, domain=DOMAIN, description="glint test project " + name)
        for name in PROJECTS
    }
    projects["admin"] = existing["admin"]

    existing = by_name(ks.users.list(domain=DOMAIN))
    users = {}
    for name, (project, role_names) in USERS.items():
        if name in existing:
            # Reset the password; this revokes the user's earlier tokens.
            user = ks.users.update(existing[name], password=password(name), enabled=True)
            have = {a.role["id"] for a in ks.role_assignments.list(
                user=user, project=projects[project] if project else None,
                system="all" if not project else None)}
        else:
            user = ks.users.create(name=name, domain=DOMAIN, password=password(name),
                                   default_project=projects[project] if project else None)
            have = set()
        for r in role_names:
            if roles[r].id in have:
                continue
            if project:
                ks.roles.grant(roles[r], user=user, project=projects[project])
            else:
                ks.roles.grant(roles[r], user=user, system="all")
        users[name] = {
            "id": user.id,
            "password": password(name),
            "project": project,
            "system": project is None,
            "roles": role_names,
            "domain": "Default",
        }
    admin = existing["admin"]
    users["admin"] = {
        "id": admin.id,
        "password": password("admin"),
        "project": "admin",
        "system": False,  # bootstrap also gives admin "admin" on system scope
        "roles": ["admin"],
        "domain": "Default",
    }

    state = {
        "auth_url": args.auth_url,
        "pid": args.pid,
        "region": "RegionOne",
        "domain": {"id": DOMAIN, "name": "Default"},
        "roles": {name: r.id for name, r in roles.items()},
        "projects": {name: p.id for name, p in projects.items()},
        "users": users,
        "admin": {"username": "admin", "password": password("admin"),
                  "project": "admin", "id": admin.id},
    }
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
