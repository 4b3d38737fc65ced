"""Times C-FIND queries over one association with pynetdicom (benchmarks).
Prints one JSON object on stdout.

usage: find_timing.py PORT CALLING CALLED REPEATS QUERIES_JSON

QUERIES_JSON: {"name": {Keyword: value, ...}, ...}, each at the study level of
the Study Root model. Each query runs REPEATS times; the output gives, per
query, the matches and the median and 95th-percentile time to the final response.
"""

import json
import statistics
import sys
import time

from pydicom.dataset import Dataset
from pynetdicom import AE
from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind


def main():
    port, calling, called, repeats = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    queries = json.loads(sys.argv[5])
    ae = AE(ae_title=calling)
    ae.acse_timeout = 30
    ae.dimse_timeout = 300
    ae.network_timeout = 300
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
    assoc = ae.associate("127.0.0.1", port, ae_title=called)
    if not assoc.is_established:
        print(json.dumps({"error": "association not established"}))
        return
    results = {}
    for name, keys in queries.items():
        timings, matches, final = [], 0, None
        for _ in range(repeats):
            ds = Dataset()
            ds.QueryRetrieveLevel = "STUDY"
            for keyword, value in keys.items():
                setattr(ds, keyword, value)
            started = time.perf_counter()
            matches = 0
            for status, _ in assoc.send_c_find(ds, StudyRootQueryRetrieveInformationModelFind):
                if status is not None and status.Status in (0xFF00, 0xFF01):
                    matches += 1
                else:
                    final = status.Status if status is not None else None
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        results[name] = {
            "matches": matches,
            "final_status": final,
            "median_ms": statistics.median(timings),
            "p95_ms": timings[min(len(timings) - 1, int(len(timings) * 0.95))],
        }
    assoc.release()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
