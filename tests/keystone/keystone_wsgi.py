"""Keystone's WSGI application for gunicorn (keystone.sh's fallback server).

Keystone parses sys.argv with oslo.config when it loads, which would find
gunicorn's own options there and exit; hand it an empty command line.
"""

import sys

sys.argv[1:] = []

from keystone.wsgi.api import application  # noqa: E402,F401
