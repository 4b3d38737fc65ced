"""Prints a Dockerfile as JSON instructions, parsed by BuildKit's own parser
(the `dockerfile` package wraps moby/buildkit's Go parser).

usage: parse_dockerfile.py PATH
"""

import json
import sys

import dockerfile

try:
    commands = dockerfile.parse_file(sys.argv[1])
except dockerfile.GoParseError as e:
    print(json.dumps({"error": str(e)}))
    sys.exit(1)
print(json.dumps([{"cmd": c.cmd.upper(), "flags": list(c.flags), "value": list(c.value)} for c in commands]))
