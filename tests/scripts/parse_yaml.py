"""Prints a YAML file (the LocalStack compose file) as JSON.

usage: parse_yaml.py PATH
"""

import json
import sys

import yaml

with open(sys.argv[1]) as f:
    print(json.dumps(yaml.safe_load(f)))
