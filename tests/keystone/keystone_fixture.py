"""Real Keystone tokens for tests (standard library only).

    import keystone_fixture as ksf
    ksf.start("/tmp/ks")                  # bash keystone.sh start (optional helper)
    state = ksf.load("/tmp/ks")           # STATE_DIR/keystone.json
    tok = ksf.token(state, "alpha-member")            # scoped to project alpha
    sys_tok = ksf.token(state, "system-admin")        # system scope (no project)
    adm = ksf.token(state, "admin", system=True)      # force system scope
    body = ksf.validate(state, tok)       # GET /v3/auth/tokens, as glint
    ksf.revoke(state, tok)                # DELETE /v3/auth/tokens, as admin
    ksf.stop("/tmp/ks")

A pytest fixture, e.g.:

    @pytest.fixture(scope="session")
    def keystone(tmp_path_factory):
        d = tmp_path_factory.mktemp("keystone")
        ksf.start(d)
        yield ksf.load(d)
        ksf.stop(d)

Also a command line: `python3 keystone_fixture.py token STATE_DIR USER [--system]`.
"""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "keystone.sh")


class KeystoneError(Exception):
    def __init__(self, status, body):
        super().__init__(f"keystone answered {status}: {body[:500]}")
        self.status = status
        self.body = body


def start(state_dir, env=None):
    """Start (installing if needed) a Keystone in state_dir; return load()."""
    subprocess.run(["bash", SCRIPT, "start", str(state_dir)], check=True,
                   stdout=subprocess.DEVNULL, env=env)
    return load(state_dir)


def stop(state_dir):
    subprocess.run(["bash", SCRIPT, "stop", str(state_dir)], check=True)


def load(state_dir):
    """The json written by `keystone.sh start`."""
    with open(os.path.join(str(state_dir), "keystone.json")) as f:
        return json.load(f)


def _request(method, url, headers=None, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, resp.headers, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raise KeystoneError(e.code, e.read().decode("utf-8", "replace")) from None


def _user(state, user):
    if user in state["users"]:
        return state["users"][user]
    if user == "admin":
        return dict(state["admin"], system=False)
    raise KeyError(f"unknown test user {user!r}; known: {sorted(state['users'])}")


def authenticate(state, user, system=False, project=None):
    """POST /v3/auth/tokens; return (token id, token body).

    Scope: system when system=True or the user has no project; else the
    project named `project` (a key of state["projects"]), default the user's.
    """
    u = _user(state, user)
    identity = {
        "methods": ["password"],
        "password": {"user": {"name": user, "domain": {"name": "Default"},
                              "password": u["password"]}},
    }
    if system or not u.get("project"):
        scope = {"system": {"all": True}}
    else:
        scope = {"project": {"id": state["projects"][project or u["project"]]}}
    _, headers, body = _request(
        "POST", state["auth_url"].rstrip("/") + "/auth/tokens",
        body={"auth": {"identity": identity, "scope": scope}})
    return headers["X-Subject-Token"], body


def token(state, user, system=False, project=None):
    """A fresh token id for a test user (see authenticate())."""
    return authenticate(state, user, system=system, project=project)[0]


def validate(state, subject_token, auth_token=None, allow_expired=False):
    """GET /v3/auth/tokens: the token body as a service sees it.

    auth_token defaults to a fresh token of the image service's own account
    ("glint", admin+service in project service). Raises KeystoneError (404
    for a revoked or unknown token).
    """
    if auth_token is None:
        auth_token = token(state, "glint")
    url = state["auth_url"].rstrip("/") + "/auth/tokens"
    if allow_expired:
        url += "?allow_expired=1"
    _, _, body = _request("GET", url, headers={
        "X-Auth-Token": auth_token, "X-Subject-Token": subject_token})
    return body


def revoke(state, subject_token, auth_token=None):
    """DELETE /v3/auth/tokens with an admin token (default: the bootstrap
    admin, system scope)."""
    if auth_token is None:
        auth_token = token(state, "admin", system=True)
    _request("DELETE", state["auth_url"].rstrip("/") + "/auth/tokens",
             headers={"X-Auth-Token": auth_token, "X-Subject-Token": subject_token})


def _main(argv):
    usage = "usage: keystone_fixture.py token STATE_DIR USER [--system] [--project NAME]"
    if len(argv) < 3 or argv[0] != "token":
        print(usage, file=sys.stderr)
        return 2
    state = load(argv[1])
    rest = argv[3:]
    system = "--system" in rest
    project = None
    if "--project" in rest:
        project = rest[rest.index("--project") + 1]
    try:
        print(token(state, argv[2], system=system, project=project))
    except (KeystoneError, KeyError) as e:
        print(f"keystone_fixture: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
