"""A pynetdicom SCU for the end-to-end suites. Prints one JSON object on stdout.

usage: peer.py MODE [HOST:]PORT CALLING CALLED FILE... where MODE is
  concurrent N   N associations at once, each storing copies of FILE with fresh UIDs
  split          one C-STORE whose command set and data set arrive in many small PDVs
  abort          send a C-STORE's command and half its data set, then A-ABORT
  mismatch       a C-STORE whose command names another SOP Instance UID than the data set
  hold           associate (Verification, and each FILE's context), store each FILE, print
                 {"ready": true, "statuses": [...]}, wait for stdin to close, release
"""

import copy as copy_module
import json
import sys
import threading
import time
from io import BytesIO

import pydicom
from pydicom.uid import generate_uid
from pynetdicom import AE
from pynetdicom.dimse_messages import C_STORE_RQ
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.dsutils import encode


def associate(address, calling, called, datasets):
    ae = AE(ae_title=calling)
    ae.acse_timeout = 30
    ae.dimse_timeout = 60
    ae.network_timeout = 60
    for ds in datasets:
        ae.add_requested_context(ds.SOPClassUID, ds.file_meta.TransferSyntaxUID)
    assoc = ae.associate(*address, ae_title=called)
    if not assoc.is_established:
        raise SystemExit(json.dumps({"error": "association not established"}))
    return assoc


def status_of(rsp):
    return getattr(rsp, "Status", None)


def concurrent(address, calling, called, files, n):
    template = [pydicom.dcmread(f) for f in files]
    results = [None] * n
    sent = [[] for _ in range(n)]

    def worker(i):
        datasets = []
        for ds in template:
            copy = copy_module.deepcopy(ds)
            copy.SOPInstanceUID = generate_uid()
            copy.file_meta.MediaStorageSOPInstanceUID = copy.SOPInstanceUID
            datasets.append(copy)
        assoc = associate(address, calling, called, datasets)
        statuses = []
        for ds in datasets:
            statuses.append(status_of(assoc.send_c_store(ds)))
            sent[i].append({"sop": str(ds.SOPInstanceUID), "study": str(ds.StudyInstanceUID), "series": str(ds.SeriesInstanceUID)})
        assoc.release()
        results[i] = statuses

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"statuses": results, "sent": [s for per in sent for s in per]}


def split(address, calling, called, files):
    ds = pydicom.dcmread(files[0])
    assoc = associate(address, calling, called, [ds])
    # Outgoing messages are fragmented to the peer's maximum PDU length; make it
    # tiny so the command set spans several PDVs, each in its own PDU.
    type(assoc.dimse).maximum_pdu_size = property(lambda self: 64)
    status = status_of(assoc.send_c_store(ds))
    assoc.release()
    return {"status": status, "sop": str(ds.SOPInstanceUID)}


def store_request(ds, sop_instance_uid):
    ts = ds.file_meta.TransferSyntaxUID
    req = C_STORE()
    req.MessageID = 1
    req.AffectedSOPClassUID = ds.SOPClassUID
    req.AffectedSOPInstanceUID = sop_instance_uid
    req.Priority = 2
    req.DataSet = BytesIO(encode(ds, ts.is_implicit_VR, ts.is_little_endian))
    return req


def fragment_count(req, context_id, max_pdu):
    msg = C_STORE_RQ()
    msg.primitive_to_message(req)
    count = sum(1 for _ in msg.encode_msg(context_id, max_pdu))
    req.DataSet.seek(0)
    return count


def abort(address, calling, called, files):
    ds = pydicom.dcmread(files[0])
    assoc = associate(address, calling, called, [ds])
    context_id = assoc.accepted_contexts[0].context_id
    req = store_request(ds, ds.SOPInstanceUID)
    total = fragment_count(req, context_id, assoc.dimse.maximum_pdu_size)
    req = store_request(ds, ds.SOPInstanceUID)
    # Let only the first half of the message's PDUs reach the wire.
    send = assoc.dul.send_pdu
    sent = []

    def first_half(pdu):
        if len(sent) < total // 2:
            sent.append(1)
            send(pdu)

    assoc.dul.send_pdu = first_half
    assoc.dimse.send_msg(req, context_id)
    assoc.dul.send_pdu = send
    # The DUL sends from its own thread: wait until it has written them all.
    while not assoc.dul.to_provider_queue.empty():
        time.sleep(0.01)
    assoc.abort()
    return {"sent_fragments": len(sent), "of": total, "sop": str(ds.SOPInstanceUID)}


def mismatch(address, calling, called, files):
    ds = pydicom.dcmread(files[0])
    assoc = associate(address, calling, called, [ds])
    context_id = assoc.accepted_contexts[0].context_id
    # As pynetdicom's own send_c_store does: pause the association's reactor so
    # it does not consume the response first.
    assoc._reactor_checkpoint.clear()
    while not assoc._is_paused:
        time.sleep(0.001)
    assoc.dimse.send_msg(store_request(ds, generate_uid()), context_id)
    _, rsp = assoc.dimse.get_msg(block=True)
    assoc._reactor_checkpoint.set()
    status = status_of(rsp)
    # The association stays usable after a refused instance.
    follow_up = status_of(assoc.send_c_store(ds))
    assoc.release()
    return {"status": status, "follow_up": follow_up}


def hold(address, calling, called, files):
    datasets = [pydicom.dcmread(f) for f in files]
    ae = AE(ae_title=calling)
    ae.add_requested_context("1.2.840.10008.1.1")
    for ds in datasets:
        ae.add_requested_context(ds.SOPClassUID, ds.file_meta.TransferSyntaxUID)
    assoc = ae.associate(*address, ae_title=called)
    statuses = [status_of(assoc.send_c_store(ds)) for ds in datasets] if assoc.is_established else []
    print(json.dumps({"ready": assoc.is_established, "statuses": statuses}), flush=True)
    sys.stdin.read()
    if assoc.is_established:
        assoc.release()
    # The test stopped reading after "ready"; nothing more is printed.
    return None


def parse_address(text):
    """PORT (on loopback) or HOST:PORT."""
    host, _, port = text.rpartition(":")
    return (host or "127.0.0.1", int(port))


def main():
    mode, address, calling, called = sys.argv[1], parse_address(sys.argv[2]), sys.argv[3], sys.argv[4]
    rest = sys.argv[5:]
    if mode == "concurrent":
        result = concurrent(address, calling, called, rest[1:], int(rest[0]))
    elif mode == "split":
        result = split(address, calling, called, rest)
    elif mode == "abort":
        result = abort(address, calling, called, rest)
    elif mode == "hold":
        result = hold(address, calling, called, rest)
    elif mode == "mismatch":
        result = mismatch(address, calling, called, rest)
    else:
        raise SystemExit(f"unknown mode {mode}")
    if result is not None:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
