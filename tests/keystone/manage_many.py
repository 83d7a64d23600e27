"""Run several keystone-manage commands in one interpreter.

    manage_many.py CONFIG_FILE -- db_sync -- fernet_setup --keystone-user u ... -- bootstrap ...

keystone-manage spends ~2 s importing keystone before each command; the
four that keystone.sh runs at every start cost one import this way. Each
command goes through keystone's own CLI entry point (keystone.cmd.cli.main),
as `keystone-manage --config-file CONFIG_FILE COMMAND ARGS...` would.
"""

import sys
import warnings


def main(argv):
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__.strip(), file=sys.stderr)
        return 2
    conf = argv[0]
    commands, cur = [], None
    for a in argv[1:]:
        if a == "--":
            cur = []
            commands.append(cur)
        else:
            cur.append(a)
    warnings.simplefilter("ignore")  # eventlet's deprecation banner
    from keystone.cmd import cli
    for cmd in commands:
        if not cmd:
            continue
        print("+ keystone-manage " + " ".join(cmd), flush=True)
        # Forget the previous command's parsed arguments, so that cli.main
        # can register its command option and parse again.
        cli.CONF.clear()
        cli.main(argv=["keystone-manage", "--config-file", conf] + cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
