"""Storage Commitment Push (N-ACTION, then the N-EVENT-REPORT on the same
association) with pynetdicom for the commitment suites. Prints one JSON object.

usage: commit.py PORT CALLING CALLED REFERENCES_JSON

REFERENCES_JSON: [[SOP Class UID, SOP Instance UID], ...]. The output gives the
N-ACTION status and the report: its Event Type ID, Transaction UID, and the
committed and failed references (failed ones with their Failure Reason).
"""

import json
import sys
import threading

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from pynetdicom import AE, evt
from pynetdicom.sop_class import StorageCommitmentPushModel

WELL_KNOWN_INSTANCE = "1.2.840.10008.1.20.1.1"


def main():
    port, calling, called = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    references = json.loads(sys.argv[4])
    report, arrived = {}, threading.Event()

    def on_report(event):
        ds = event.event_information
        report["event_type_id"] = event.event_type
        report["transaction_uid"] = str(ds.TransactionUID)
        report["committed"] = [
            [str(i.ReferencedSOPClassUID), str(i.ReferencedSOPInstanceUID)] for i in ds.get("ReferencedSOPSequence", [])
        ]
        report["failed"] = [
            [str(i.ReferencedSOPClassUID), str(i.ReferencedSOPInstanceUID), int(i.FailureReason)]
            for i in ds.get("FailedSOPSequence", [])
        ]
        arrived.set()
        return 0x0000, None

    ae = AE(ae_title=calling)
    ae.acse_timeout = 30
    ae.dimse_timeout = 60
    ae.network_timeout = 60
    ae.add_requested_context(StorageCommitmentPushModel)
    assoc = ae.associate("127.0.0.1", port, ae_title=called, evt_handlers=[(evt.EVT_N_EVENT_REPORT, on_report)])
    if not assoc.is_established:
        print(json.dumps({"error": "association not established"}))
        return
    transaction = generate_uid()
    ds = Dataset()
    ds.TransactionUID = transaction
    items = []
    for sop_class, sop_instance in references:
        item = Dataset()
        item.ReferencedSOPClassUID = sop_class
        item.ReferencedSOPInstanceUID = sop_instance
        items.append(item)
    ds.ReferencedSOPSequence = items
    status, _ = assoc.send_n_action(ds, 1, StorageCommitmentPushModel, WELL_KNOWN_INSTANCE)
    # The report comes on this association; the association stays open until it has.
    got_report = arrived.wait(timeout=30)
    assoc.release()
    print(
        json.dumps(
            {
                "action_status": status.Status if status else None,
                "transaction_uid": transaction,
                "report": report if got_report else None,
            }
        )
    )


if __name__ == "__main__":
    main()
