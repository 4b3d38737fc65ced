"""Reads a zip with Python's zipfile (a reader nobody here wrote): prints its
entries' names and sizes and whether every CRC checks, as JSON.

usage: read_zip.py ARCHIVE
"""

import hashlib
import json
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as archive:
    bad = archive.testzip()
    entries = [
        {"name": info.filename, "size": info.file_size, "sha256": hashlib.sha256(archive.read(info)).hexdigest()}
        for info in archive.infolist()
    ]
print(json.dumps({"entries": entries, "first_bad": bad}))
