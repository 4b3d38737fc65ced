"""C-GET with pynetdicom for the retrieve suites. Prints one JSON object on stdout.

usage: get.py PORT CALLING CALLED REQUEST_JSON OUT_DIR

REQUEST_JSON: {"keys": {Keyword: value}, "storage": [[SOP Class UID, [transfer syntax, ...]], ...],
               "cancel_after": N (optional)}
Each storage class is proposed with the SCP role (PS3.7 D.3.3.4), so the
sub-operations come back on this association. Every data set received is
written to OUT_DIR/<SOP Instance UID> exactly as it arrived, with the transfer
syntax of its context in the output. With cancel_after, a C-CANCEL is sent
while the N-th instance is being received.
"""

import json
import os
import sys

from pydicom.dataset import Dataset
from pynetdicom import AE, build_role, evt
from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelGet


def main():
    port, calling, called = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    request, out_dir = json.loads(sys.argv[4]), sys.argv[5]
    received = []

    def on_store(event):
        raw = event.request.DataSet.getvalue()
        uid = event.request.AffectedSOPInstanceUID
        with open(os.path.join(out_dir, str(uid)), "wb") as f:
            f.write(raw)
        received.append({"sop_instance_uid": str(uid), "transfer_syntax": str(event.context.transfer_syntax)})
        if request.get("cancel_after") == len(received):
            event.assoc.send_c_cancel(1, query_model=StudyRootQueryRetrieveInformationModelGet)
        return 0x0000

    ae = AE(ae_title=calling)
    ae.acse_timeout = 30
    ae.dimse_timeout = 60
    ae.network_timeout = 60
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    roles = []
    for sop_class, syntaxes in request["storage"]:
        ae.add_requested_context(sop_class, syntaxes)
        roles.append(build_role(sop_class, scp_role=True))
    assoc = ae.associate("127.0.0.1", port, ae_title=called, ext_neg=roles, evt_handlers=[(evt.EVT_C_STORE, on_store)])
    if not assoc.is_established:
        print(json.dumps({"error": "association not established"}))
        return
    ds = Dataset()
    for keyword, value in request["keys"].items():
        setattr(ds, keyword, value)
    responses = []
    for status, identifier in assoc.send_c_get(ds, StudyRootQueryRetrieveInformationModelGet):
        if status is None:
            responses.append({"status": None})
            break
        failed = []
        if identifier is not None and "FailedSOPInstanceUIDList" in identifier:
            value = identifier.FailedSOPInstanceUIDList
            failed = [str(v) for v in (value if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue" else [value])]
        responses.append(
            {
                "status": status.Status,
                "comment": str(status.get("ErrorComment", "")),
                "remaining": status.get("NumberOfRemainingSuboperations"),
                "completed": status.get("NumberOfCompletedSuboperations"),
                "failed": status.get("NumberOfFailedSuboperations"),
                "warning": status.get("NumberOfWarningSuboperations"),
                "failed_uids": failed,
            }
        )
    assoc.release()
    print(json.dumps({"responses": responses, "received": received}))


if __name__ == "__main__":
    main()
