"""A small CT study for the flows: pydicom's CT_small.dcm written three times
as one series, with fresh UIDs and a made-up patient (no real patient data)."""

import datetime
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid


def write_ct_study(directory: Path, instances: int = 3) -> dict:
    template = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    study_uid, series_uid = generate_uid(), generate_uid()
    today = datetime.date.today().strftime("%Y%m%d")
    paths = []
    for number in range(1, instances + 1):
        ds = template.copy()
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = number
        ds.PatientName = "RIVERSIDE^TEST"
        ds.PatientID = "RIV-0001"
        ds.AccessionNumber = "RIV-ACC-1"
        ds.StudyDescription = "CT CHEST"
        ds.StudyDate = today
        ds.SeriesNumber = 1
        path = directory / f"ct-{number}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(str(path))
    return {"study_uid": study_uid, "paths": paths, "patient": "RIVERSIDE, TEST", "instances": instances}
