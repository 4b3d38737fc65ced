"""A modality that keeps sending and resends what was not acknowledged, as a
PACS's forwarding queue does. Prints one JSON object on stdout when done.

usage: sender.py HOST:PORT CALLING CALLED FILE BATCH

Until stdin closes, it opens association after association, each storing
BATCH copies of FILE with fresh SOP Instance UIDs, all in one study of its
own (a series per batch). An instance is done only once answered 0000; any
other outcome (association refused or dropped, no answer, a failure status)
leaves it pending, and the next association sends it again, with the same
UID. After stdin closes it sends what is pending (for at most two minutes).

Report: {"acknowledged": [sop, ...], "study": uid, "associations": n,
         "refused": n, "interrupted": n, "resent": n, "pending": [sop, ...],
         "longest_wait": seconds}
  refused      associations not established (rejected, reset, unreachable)
  interrupted  associations established that ended before their batch was answered
  resent       instances sent more than once
  longest_wait the longest time without an acknowledgement, in seconds
"""

import copy
import json
import sys
import threading
import time

import pydicom
from pydicom.uid import generate_uid
from pynetdicom import AE


def main():
    host, _, port = sys.argv[1].rpartition(":")
    calling, called, path, batch = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    template = pydicom.dcmread(path)
    template.StudyInstanceUID = generate_uid()

    stopped = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stopped.set()), daemon=True).start()

    ae = AE(ae_title=calling)
    ae.acse_timeout = 15
    ae.dimse_timeout = 30
    ae.network_timeout = 30
    ae.add_requested_context(template.SOPClassUID, template.file_meta.TransferSyntaxUID)

    acknowledged, pending, sent_before = [], [], set()
    report = {"associations": 0, "refused": 0, "interrupted": 0, "resent": 0}

    def fresh_batch():
        series = generate_uid()
        for _ in range(batch):
            ds = copy.deepcopy(template)
            ds.SeriesInstanceUID = series
            ds.SOPInstanceUID = generate_uid()
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            pending.append(ds)

    deadline = None
    last_progress = time.monotonic()
    longest_wait = 0.0
    while True:
        if stopped.is_set() and deadline is None:
            deadline = time.monotonic() + 120
        if deadline is not None and (not pending or time.monotonic() > deadline):
            break
        if not pending:
            fresh_batch()
        report["associations"] += 1
        try:
            assoc = ae.associate(host, int(port), ae_title=called)
        except Exception:
            assoc = None
        if assoc is None or not assoc.is_established:
            report["refused"] += 1
            time.sleep(0.2)
            continue
        answered_all = True
        for ds in list(pending):
            uid = str(ds.SOPInstanceUID)
            if uid in sent_before:
                report["resent"] += 1
            sent_before.add(uid)
            try:
                status = getattr(assoc.send_c_store(ds), "Status", None)
            except Exception:
                status = None
            if status == 0:
                now = time.monotonic()
                longest_wait = max(longest_wait, now - last_progress)
                last_progress = now
                acknowledged.append(uid)
                pending.remove(ds)
            else:
                answered_all = False
                break
        if not answered_all:
            report["interrupted"] += 1
            assoc.abort()
            continue
        try:
            assoc.release()
        except Exception:
            pass

    report.update({
        "study": str(template.StudyInstanceUID),
        "acknowledged": acknowledged,
        "pending": [str(ds.SOPInstanceUID) for ds in pending],
        "longest_wait": round(longest_wait, 3),
    })
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
