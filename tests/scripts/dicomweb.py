"""dicomweb-client (PyPI), a DICOMweb client nobody here wrote, against Noctis.
Prints one JSON object on stdout.

usage: dicomweb.py BASE_URL TOKEN store FILE...
       dicomweb.py BASE_URL TOKEN search LEVEL FILTERS_JSON [STUDY [SERIES]]
       dicomweb.py BASE_URL TOKEN retrieve STUDY SERIES INSTANCE FILE
       dicomweb.py BASE_URL TOKEN retrieve_series STUDY SERIES FILE...

store: STOW-RS of the files; prints the store-instances response as DICOM JSON.
search: QIDO-RS at LEVEL (studies, series, instances); prints the matches.
retrieve: WADO-RS of one instance; says whether what came back is FILE's
    data set (every element, pixel data included) as pydicom reads both.
       dicomweb.py BASE_URL TOKEN frames STUDY SERIES INSTANCE FRAME_LIST FILE
       dicomweb.py BASE_URL TOKEN metadata STUDY
retrieve_series: WADO-RS of a series; the same for each FILE, by SOP Instance UID.
frames: WADO-RS frames (1-based, comma-separated); says for each whether it is
    FILE's frame as pydicom cuts it (native) or its compressed bitstream.
metadata: WADO-RS metadata of a study; prints the DICOM JSON.
       dicomweb.py BASE_URL TOKEN rendered STUDY SERIES INSTANCE FRAME FILE MEDIA_TYPE WINDOW
rendered: WADO-RS rendered of one frame as MEDIA_TYPE under WINDOW
    (center,width; "-" for the instance's own); prints the picture's size and
    how far its pixels are from FILE's frame as pydicom decodes it through the
    same VOI (PS3.3 C.11.2.1.2: linear), or its RGB for colour.
"""

import io
import json
import sys

import numpy
from PIL import Image

import pydicom
from dicomweb_client.api import DICOMwebClient
from pydicom.encaps import generate_frames
from requests import HTTPError


def expected_frames(path):
    ds = pydicom.dcmread(path)
    count = int(ds.get("NumberOfFrames", 1) or 1)
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        return list(generate_frames(ds.PixelData, number_of_frames=count))
    size = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
    return [ds.PixelData[i * size : (i + 1) * size] for i in range(count)]


def reference_picture(path, frame, window):
    """FILE's frame as 8-bit display values: modality LUT, then the linear VOI of PS3.3 C.11.2.1.2."""
    ds = pydicom.dcmread(path)
    pixels = ds.pixel_array
    if int(ds.get("NumberOfFrames", 1) or 1) > 1:
        pixels = pixels[frame - 1]
    if ds.SamplesPerPixel == 3:
        return pixels.astype(numpy.float64)
    values = pixels.astype(numpy.float64) * float(ds.get("RescaleSlope", 1)) + float(ds.get("RescaleIntercept", 0))
    center, width = window
    scaled = ((values - (center - 0.5)) / (width - 1) + 0.5) * 255
    return numpy.clip(scaled, 0, 255)


def same_dataset(received, path):
    expected = pydicom.dcmread(path)
    return {
        "sop_instance_uid": str(received.SOPInstanceUID),
        "identical": received == expected and received.get("PixelData") == expected.get("PixelData"),
    }


def main():
    url, token, command, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    client = DICOMwebClient(url=url, headers={"Authorization": f"Bearer {token}"})
    try:
        if command == "store":
            response = client.store_instances([pydicom.dcmread(path) for path in args])
            print(json.dumps({"response": response.to_json_dict()}))
        elif command == "search":
            level, filters = args[0], json.loads(args[1])
            study = args[2] if len(args) > 2 else None
            series = args[3] if len(args) > 3 else None
            if level == "studies":
                found = client.search_for_studies(search_filters=filters)
            elif level == "series":
                found = client.search_for_series(study_instance_uid=study, search_filters=filters)
            else:
                found = client.search_for_instances(
                    study_instance_uid=study, series_instance_uid=series, search_filters=filters
                )
            print(json.dumps({"matches": found}))
        elif command == "retrieve":
            study, series, instance, path = args
            received = client.retrieve_instance(study, series, instance)
            print(json.dumps(same_dataset(received, path)))
        elif command == "retrieve_series":
            study, series, paths = args[0], args[1], args[2:]
            by_uid = {str(pydicom.dcmread(p).SOPInstanceUID): p for p in paths}
            received = client.retrieve_series(study, series)
            print(json.dumps({"instances": [same_dataset(r, by_uid[str(r.SOPInstanceUID)]) for r in received]}))
        elif command == "frames":
            study, series, instance, frame_list, path = args
            numbers = [int(n) for n in frame_list.split(",")]
            received = client.retrieve_instance_frames(
                study, series, instance, frame_numbers=numbers, media_types=("application/octet-stream",)
            )
            expected = expected_frames(path)
            frames = [
                {"number": n, "bytes": len(r), "identical": bytes(r) == bytes(expected[n - 1])}
                for n, r in zip(numbers, received)
            ]
            print(json.dumps({"frames": frames}))
        elif command == "rendered":
            study, series, instance, frame, path, media_type, window = args
            params = {} if window == "-" else {"window": f"{window},linear"}
            picture = client.retrieve_instance_frames_rendered(
                study, series, instance, frame_numbers=[int(frame)], media_types=(media_type,), params=params
            )
            image = Image.open(io.BytesIO(picture))
            drawn = numpy.asarray(image).astype(numpy.float64)
            result = {"format": image.format, "size": [image.width, image.height], "mode": image.mode}
            if window != "-":
                center, width = (float(v) for v in window.split(","))
                reference = reference_picture(path, int(frame), (center, width))
                if reference.shape == drawn.shape:
                    error = numpy.abs(drawn - reference)
                    result.update({"mean_error": float(error.mean()), "max_error": float(error.max())})
            print(json.dumps(result))
        elif command == "metadata":
            print(json.dumps({"metadata": client.retrieve_study_metadata(args[0])}))
        else:
            raise SystemExit(f"unknown command {command}")
    except HTTPError as e:
        print(json.dumps({"http_status": e.response.status_code, "body": e.response.text}))


if __name__ == "__main__":
    main()
