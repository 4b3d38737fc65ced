"""C-FIND with pynetdicom for the query suites. Prints one JSON object on stdout.

usage: find.py PORT CALLING CALLED QUERIES_JSON

QUERIES_JSON is a list of {"model": "study" | "patient", "keys": {Keyword: value}}
run in order on one association. For each, the output lists the matches (each
identifier as {Keyword: value}, several values joined by "\\"), the pending
statuses and the final status with its Error Comment.
"""

import json
import sys

from pydicom.dataset import Dataset
from pynetdicom import AE
from pynetdicom.sop_class import (
    PatientRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelFind,
)

MODELS = {
    "study": StudyRootQueryRetrieveInformationModelFind,
    "patient": PatientRootQueryRetrieveInformationModelFind,
}


def text(element):
    if element.VR == "SQ":
        return None
    value = element.value
    if value is None:
        return ""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return "\\".join(str(v) for v in value)
    return str(value)


def run(assoc, query):
    ds = Dataset()
    for keyword, value in query["keys"].items():
        setattr(ds, keyword, value)
    matches, pending, final = [], [], None
    for status, identifier in assoc.send_c_find(ds, MODELS[query["model"]]):
        if status is None:
            final = {"status": None, "comment": "no response"}
            break
        code = status.Status
        if code in (0xFF00, 0xFF01):
            pending.append(code)
            matches.append({el.keyword: text(el) for el in identifier if el.keyword})
        else:
            final = {"status": code, "comment": str(status.get("ErrorComment", ""))}
    return {"matches": matches, "pending": pending, "final": final}


def main():
    port, calling, called, queries = int(sys.argv[1]), sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    ae = AE(ae_title=calling)
    ae.acse_timeout = 30
    ae.dimse_timeout = 60
    ae.network_timeout = 60
    for model in MODELS.values():
        ae.add_requested_context(model)
    assoc = ae.associate("127.0.0.1", port, ae_title=called)
    if not assoc.is_established:
        print(json.dumps({"error": "association not established"}))
        return
    results = [run(assoc, query) for query in queries]
    assoc.release()
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
