"""Test images for the end-to-end suites, from pydicom's bundled test files.

usage: testdata.py OUT_DIR          one file per transfer syntax family, written to OUT_DIR
       testdata.py OUT_DIR --large MB NAME
                                    a generated single instance of about MB megabytes
       testdata.py OUT_DIR --copies N
                                    N copies of CT_small.dcm, each its own instance (benchmarks)
       testdata.py OUT_DIR --large-set N MB
                                    N generated instances of about MB megabytes (benchmarks)
       testdata.py OUT_DIR --studies N [PER_STUDY]
                                    N small generated images, PER_STUDY (1) to a study, with
                                    patient names, IDs and dates that vary (query benchmarks)
       testdata.py OUT_DIR --archive
                                    four studies of three patients with known names, dates,
                                    accession numbers and series (query suites)

Each file gets a fresh SOP Instance UID (several of pydicom's files share one),
keeping its study, series and encoding, and is rewritten by DCMTK's dcmconv the
way storescu encodes data sets on the wire. A manifest.json beside them lists what
pydicom reads back: name, transfer syntax, UIDs, patient ID, modality, and the
byte offset where the data set starts, so the tests compare against an
independent reader rather than hard-coded values.
"""

import json
import os
import subprocess
import sys

import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

# One or two files per transfer syntax pydicom ships (by name: get_testdata_files('*') goes online).
FILES = [
    "MR_small_implicit.dcm",  # Implicit VR Little Endian
    "CT_small.dcm",  # Explicit VR Little Endian
    "MR_small.dcm",
    "image_dfl.dcm",  # Deflated Explicit VR Little Endian
    "MR_small_bigendian.dcm",  # Explicit VR Big Endian
    "SC_rgb_jpeg_dcmtk.dcm",  # JPEG Baseline
    "JPEG-lossy.dcm",  # JPEG Extended
    "SC_rgb_jpeg_gdcm.dcm",  # JPEG Lossless SV1
    "MR_small_jpeg_ls_lossless.dcm",  # JPEG-LS Lossless
    "MR_small_jp2klossless.dcm",  # JPEG 2000 Lossless
    "JPEG2000.dcm",  # JPEG 2000
    "MR_small_RLE.dcm",  # RLE Lossless
    "SC_rgb_rle.dcm",
]


def dataset_offset(path):
    """Where the data set starts: after the preamble, DICM and the File Meta group."""
    with open(path, "rb") as f:
        pydicom.filereader.read_preamble(f, False)
        pydicom.filereader._read_file_meta_info(f)
        return f.tell()


def describe(path, name):
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return {
        "name": name,
        "path": path,
        "transfer_syntax": str(ds.file_meta.TransferSyntaxUID),
        "sop_class_uid": str(ds.SOPClassUID),
        "sop_instance_uid": str(ds.SOPInstanceUID),
        "study_instance_uid": str(ds.StudyInstanceUID),
        "series_instance_uid": str(ds.SeriesInstanceUID),
        "patient_id": str(ds.get("PatientID", "")),
        "modality": str(ds.get("Modality", "")),
        "dataset_offset": dataset_offset(path),
        "size": os.path.getsize(path),
    }


def sample_files(out_dir):
    manifest = []
    for name in FILES:
        ds = pydicom.dcmread(get_testdata_file(name))
        uid = generate_uid()
        ds.SOPInstanceUID = uid
        ds.file_meta.MediaStorageSOPInstanceUID = uid
        # DCMTK drops Data Set Trailing Padding when it sends (PS3.10 7.2 lets it);
        # without it, the file holds exactly the data set a SCU puts on the wire.
        if (0xFFFC, 0xFFFC) in ds:
            del ds[0xFFFC, 0xFFFC]
        path = os.path.join(out_dir, name)
        ds.save_as(path + ".pydicom", enforce_file_format=True)
        dcmtk_canonical(path + ".pydicom", path)
        manifest.append(describe(path, name))
    return manifest


def dcmtk_canonical(source, target):
    """Rewrites a file the way DCMTK encodes a data set for the network (explicit
    item and sequence lengths), so storescu sends the file's bytes unchanged and
    "stored as sent" can be checked byte for byte."""
    subprocess.run(["dcmconv", "--quiet", "+e", source, target], check=True)
    os.remove(source)


def new_instance(sop_class):
    """An empty instance of `sop_class` in Explicit VR Little Endian, in a study
    and series of its own, every UID fresh."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    return ds


def large_file(out_dir, megabytes, name):
    """A secondary-capture-like instance with an uncompressed pixel payload."""
    side = 512
    frames = max(1, (megabytes * 1024 * 1024) // (side * side * 2))
    ds = new_instance("1.2.840.10008.5.1.4.1.1.7.3")  # Multi-frame Grayscale Word SC
    ds.PatientID = "LARGE-1"
    ds.PatientName = "TEST^LARGE"
    ds.Modality = "OT"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.NumberOfFrames = frames
    ds.Rows = side
    ds.Columns = side
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    frame = bytes(range(256)) * (side * side * 2 // 256)
    ds.PixelData = frame * frames
    path = os.path.join(out_dir, name)
    ds.save_as(path, enforce_file_format=True)
    return [describe(path, name)]


def copies(out_dir, n):
    source = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    if (0xFFFC, 0xFFFC) in source:
        del source[0xFFFC, 0xFFFC]
    study = generate_uid()
    manifest = []
    for i in range(n):
        uid = generate_uid()
        source.StudyInstanceUID = study
        source.SOPInstanceUID = uid
        source.file_meta.MediaStorageSOPInstanceUID = uid
        source.InstanceNumber = i + 1
        path = os.path.join(out_dir, f"ct_{i:04d}.dcm")
        source.save_as(path, enforce_file_format=True)
        manifest.append({"name": os.path.basename(path), "path": path, "size": os.path.getsize(path)})
    return manifest


# (patient name, patient ID, study date, accession, template, series: [(modality, number, instances)])
ARCHIVE = [
    ("DOE^JOHN", "P-001", "20240105", "ACC-001", "CT_small.dcm", [("CT", 1, 2), ("PR", 2, 1)]),
    ("DOE^JANE", "P-002", "20240220", "ACC-002", "MR_small.dcm", [("MR", 1, 1)]),
    ("SMITH^ANNA", "P-003", "20231201", "ACC-003", "CT_small.dcm", [("CT", 1, 1)]),
    ("DOE^JOHN", "P-001", "20240310", "ACC-004", "MR_small.dcm", [("MR", 3, 1)]),
]


def archive(out_dir):
    """Studies made from pydicom's CT and MR files, each with fresh UIDs and
    the identifying attributes above, so a query's answer is known."""
    manifest = []
    for number, (name, patient_id, date, accession, template, series) in enumerate(ARCHIVE, 1):
        source = pydicom.dcmread(get_testdata_file(template))
        if (0xFFFC, 0xFFFC) in source:
            del source[0xFFFC, 0xFFFC]
        source.PatientName = name
        source.PatientID = patient_id
        source.StudyDate = date
        source.StudyTime = "093000"
        source.AccessionNumber = accession
        source.StudyID = f"S{number}"
        source.StudyDescription = f"ARCHIVE STUDY {number}"
        # Absent, so a query can ask for what a study lacks.
        if "ReferringPhysicianName" in source:
            del source.ReferringPhysicianName
        source.StudyInstanceUID = generate_uid()
        for modality, series_number, instances in series:
            source.Modality = modality
            source.SeriesNumber = series_number
            source.SeriesInstanceUID = generate_uid()
            for instance in range(1, instances + 1):
                uid = generate_uid()
                source.SOPInstanceUID = uid
                source.file_meta.MediaStorageSOPInstanceUID = uid
                source.InstanceNumber = instance
                file_name = f"study{number}_series{series_number}_{instance}.dcm"
                path = os.path.join(out_dir, file_name)
                source.save_as(path, enforce_file_format=True)
                entry = describe(path, file_name)
                entry.update({"patient_name": name, "study_date": date, "accession_number": accession})
                manifest.append(entry)
    return manifest


SURNAMES = ["SMITH", "JONES", "GARCIA", "MULLER", "ROSSI", "DUBOIS", "NOWAK", "SILVA", "KIM", "TANAKA"]


def studies(out_dir, n, per_study=1):
    """N small instances (8x8 secondary captures), PER_STUDY to a study (one
    series): patient names cycle through ten surnames, dates through 2024, so a
    wildcard or a month's range matches about a tenth or a twelfth of them."""
    manifest = []
    study = series = None
    for i in range(n):
        ds = new_instance("1.2.840.10008.5.1.4.1.1.7")  # Secondary Capture
        if i % per_study:
            ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        study, series = ds.StudyInstanceUID, ds.SeriesInstanceUID
        k = i // per_study
        ds.PatientName = f"{SURNAMES[k % 10]}^PATIENT{k:05d}"
        ds.PatientID = f"BENCH-{k:05d}"
        ds.StudyDate = f"2024{(k % 12) + 1:02d}{(k % 28) + 1:02d}"
        ds.StudyTime = "120000"
        ds.AccessionNumber = f"BA{k:06d}"
        ds.Modality = "OT"
        ds.SeriesNumber = 1
        ds.InstanceNumber = i % per_study + 1
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows = 8
        ds.Columns = 8
        ds.BitsAllocated = 8
        ds.BitsStored = 8
        ds.HighBit = 7
        ds.PixelRepresentation = 0
        ds.PixelData = bytes(64)
        name = f"study_{i:05d}.dcm"
        path = os.path.join(out_dir, name)
        ds.save_as(path, enforce_file_format=True)
        manifest.append({"name": name, "path": path, "size": os.path.getsize(path),
                         "study_instance_uid": str(ds.StudyInstanceUID)})
    return manifest


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    if len(sys.argv) > 2 and sys.argv[2] == "--copies":
        manifest = copies(out_dir, int(sys.argv[3]))
    elif len(sys.argv) > 2 and sys.argv[2] == "--large-set":
        manifest = []
        for i in range(int(sys.argv[3])):
            manifest += large_file(out_dir, int(sys.argv[4]), f"large_{i:04d}.dcm")
    elif len(sys.argv) > 2 and sys.argv[2] == "--studies":
        per_study = int(sys.argv[4]) if len(sys.argv) > 4 else 1
        manifest = studies(out_dir, int(sys.argv[3]), per_study)
    elif len(sys.argv) > 2 and sys.argv[2] == "--archive":
        manifest = archive(out_dir)
    elif len(sys.argv) > 2 and sys.argv[2] == "--large":
        manifest = large_file(out_dir, int(sys.argv[3]), sys.argv[4])
    else:
        manifest = sample_files(out_dir)
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
