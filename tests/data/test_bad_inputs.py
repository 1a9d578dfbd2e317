"""Bad inputs are skipped and counted, or named in one line; none crashes.

Image files the training stream cannot decode, folders, devices and FIFOs
given as images, oversized files and images, fractional and non-finite
labels, tables that label nothing, and the line numbers and reasons the
reports give.
"""

import hashlib
import json
import os
import threading

import numpy as np
import pytest
from PIL import Image

from keras_dmtl import NominalTask
from keras_dmtl import OrdinalTask
from keras_dmtl import RegressionTask
from keras_dmtl.data import BadInputError
from keras_dmtl.data import FaceExamples
from keras_dmtl.data import ReadReport
from keras_dmtl.data import face_dataset
from keras_dmtl.data import read_adience_fold
from keras_dmtl.data import read_diffusionfer_va
from keras_dmtl.data import read_fairface
from keras_dmtl.data import read_fer2013
from keras_dmtl.data import read_fer2013_csv
from keras_dmtl.data import read_table
from keras_dmtl.data import read_utkface
from keras_dmtl.data import alignment
from keras_dmtl.data import image_check
from keras_dmtl.data.adience import adience_image_path
from keras_dmtl.data.pipeline import decode_image
from tests.conftest import write_image

STREAM = "not decodable by the training stream"


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    """Each test checks its files afresh, in a cache of its own."""
    monkeypatch.setenv("KERAS_DMTL_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def make_fifo():
    """Makes FIFOs whose writer sends nothing and closes.

    A reader that opens one gets an empty file at once rather than waiting
    forever; after the test, each writer is let go if nothing opened it.
    """
    made = []

    def make(path):
        os.mkfifo(path)
        writer = threading.Thread(target=lambda: open(path, "wb").close(),
                                  daemon=True)
        writer.start()
        made.append((str(path), writer))
        return str(path)

    yield make
    for path, writer in made:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        writer.join(5)
        os.close(handle)


def write_as(path, image_format, mode="RGB"):
    """A real image file of `image_format`, whatever `path` is named."""
    Image.new(mode, (24, 24), "white" if mode == "1" else (200, 100, 50)
              ).save(path, format=image_format)
    return str(path)


def reasons_by_file(examples):
    return {os.path.basename(what.split(" (")[0]): reason
            for what, reason in examples.report.skipped}


# === Item 6: the check decodes as the stream does ===

def test_files_pillow_reads_but_the_stream_cannot_are_skipped(tmp_path):
    write_image(tmp_path / "good.jpg")
    others = {"tiff.jpg": ("TIFF", "RGB"), "ppm.jpg": ("PPM", "RGB"),
              "ico.jpg": ("ICO", "RGB"), "tga.jpg": ("TGA", "RGB"),
              "one_bit.bmp": ("BMP", "1")}
    for name, (image_format, mode) in others.items():
        write_as(tmp_path / name, image_format, mode)
    (tmp_path / "labels.csv").write_text(
        "image,gender\ngood.jpg,0\n"
        + "".join(f"{name},1\n" for name in others))
    task = NominalTask("gender", ["male", "female"])
    examples = read_table(str(tmp_path / "labels.csv"), "image", [task])
    assert [os.path.basename(p) for p in examples.paths] == ["good.jpg"]
    reasons = reasons_by_file(examples)
    assert set(reasons) == set(others)
    assert all(r.startswith(STREAM) for r in reasons.values())
    # The check agrees with the stream's decoder, file by file.
    for name in ["good.jpg", *others]:
        with open(tmp_path / name, "rb") as file:
            data = file.read()
        verdict = image_check.check_image_bytes(data)
        try:
            decode_image(data)
            decodes = True
        except Exception:
            decodes = False
        assert (verdict is None) == decodes, name
    images, _ = next(iter(face_dataset(examples, image_size=8)))
    assert images.shape == (1, 8, 8, 3)
    with pytest.raises(BadInputError,
                       match=r"tiff.jpg \(labels.csv row 3, field image\): "
                             f"{STREAM}"):
        read_table(str(tmp_path / "labels.csv"), "image", [task],
                   strict=True)


def test_verdicts_cached_by_the_pillow_only_check_are_not_trusted(tmp_path):
    folder = tmp_path / "utk"
    write_image(folder / "31_0_0_20170101.jpg.chip.jpg")
    path = write_as(folder / "30_1_0_20170101.jpg.chip.jpg", "TIFF")
    status = os.stat(path)
    with open(path, "rb") as file:
        digest = hashlib.sha1(file.read()).hexdigest()
    os.makedirs(tmp_path / "cache")
    old = f"{os.path.abspath(path)}|{status.st_size}|{status.st_mtime_ns}"
    with open(tmp_path / "cache" / "image_checks.json", "w") as file:
        json.dump({old: [None, digest]}, file)  # "readable", said Pillow
    examples = read_utkface(str(folder))
    assert examples.labels["age"].tolist() == [31]
    assert examples.report.skipped[0][1].startswith(STREAM)


# === Item 7: folders, devices, FIFOs, oversized files ===

def test_folders_and_fifos_named_like_images_are_skipped(tmp_path,
                                                         make_fifo):
    folder = tmp_path / "utk"
    write_image(folder / "25_0_0_20170101.jpg.chip.jpg")
    (folder / "26_1_2_20170101.jpg.chip.jpg").mkdir()
    make_fifo(folder / "27_0_1_20170101.jpg.chip.jpg")
    examples = read_utkface(str(folder))
    assert examples.labels["age"].tolist() == [25]
    assert reasons_by_file(examples) == {
        "26_1_2_20170101.jpg.chip.jpg": "not a regular file (a folder)",
        "27_0_1_20170101.jpg.chip.jpg": "not a regular file (a FIFO)"}
    # Without decoding, the files' status is still looked at.
    unchecked = read_utkface(str(folder), check_images=False)
    assert len(unchecked) == 1 and len(unchecked.report.skipped) == 2


def test_a_table_naming_a_folder_or_a_device_skips_those_rows(tmp_path):
    write_image(tmp_path / "good.jpg")
    (tmp_path / "x.jpg").mkdir()
    (tmp_path / "labels.csv").write_text(
        "image,gender\ngood.jpg,0\nx.jpg,1\n/dev/null,1\n")
    task = NominalTask("gender", ["male", "female"])
    examples = read_table(str(tmp_path / "labels.csv"), "image", [task])
    assert len(examples) == 1
    assert reasons_by_file(examples) == {
        "x.jpg": "not a regular file (a folder)",
        "null": "not a regular file (a device)"}
    with pytest.raises(BadInputError, match=r"x.jpg \(labels.csv row 3, "
                       r"field image\): not a regular file \(a folder\)$"):
        read_table(str(tmp_path / "labels.csv"), "image", [task],
                   strict=True)
    assert image_check.file_problem("/dev/zero") == (
        "not a regular file (a device)")
    with pytest.raises(ValueError, match="/dev/zero: not a regular file"):
        image_check.read_image_file("/dev/zero")


def test_fer2013_and_adience_skip_a_folder_named_like_an_image(tmp_path):
    write_image(tmp_path / "train" / "happy" / "a.png")
    (tmp_path / "train" / "happy" / "b.jpg").mkdir()
    examples = read_fer2013(str(tmp_path), "train")
    assert len(examples) == 1
    assert reasons_by_file(examples) == {
        "b.jpg": "not a regular file (a folder)"}
    header = "user_id\toriginal_image\tface_id\tage\tgender\n"
    rows = [("u1", "a.jpg", "1", "(25, 32)", "f"),
            ("u1", "b.jpg", "2", "(25, 32)", "m"),
            ("u2", "c.jpg", "3", "(0, 2)", "m")]
    (tmp_path / "fold_0_data.txt").write_text(
        header + "".join("\t".join(r) + "\n" for r in rows))
    write_image(adience_image_path(str(tmp_path), "u1", "1", "a.jpg"))
    os.makedirs(adience_image_path(str(tmp_path), "u1", "2", "b.jpg"))
    tiff = adience_image_path(str(tmp_path), "u2", "3", "c.jpg")
    os.makedirs(os.path.dirname(tiff))
    write_as(tiff, "TIFF")
    fold = read_adience_fold(str(tmp_path / "fold_0_data.txt"))
    assert fold.labels["gender"].tolist() == [1]
    (_, folder), (tiff, undecodable) = fold.report.skipped
    assert folder.endswith("b.jpg: not a regular file (a folder)")
    assert "fold_0_data.txt line 4" in tiff and undecodable.startswith(STREAM)
    assert fold.report.unannotated == {}


def test_oversized_files_are_refused_without_being_read(tmp_path,
                                                         monkeypatch):
    assert image_check.MAX_FILE_BYTES == 64 * 2 ** 20
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), "uint8")
    path = str(tmp_path / "big.png")
    Image.fromarray(noise).save(path)
    monkeypatch.setattr(image_check, "MAX_FILE_BYTES", 1000)

    def no_reading(path):
        raise AssertionError(f"{path} was read")

    monkeypatch.setattr(image_check, "read_image_file", no_reading)
    report = ReadReport("x")
    keep, _ = image_check.check_image_files([path], report)
    assert keep == [False]
    assert report.skipped[0][1] == (
        f"file of {os.path.getsize(path)} bytes is larger than the limit of "
        "1000 bytes for an image")


def test_decompression_bombs_are_refused_before_decoding(tmp_path):
    path = str(tmp_path / "bomb.png")
    Image.new("1", (12000, 12000)).save(path)  # 144 megapixels, 20 kB
    assert os.path.getsize(path) < 100_000
    report = ReadReport("x")
    keep, _ = image_check.check_image_files([path], report)
    assert keep == [False]
    assert report.skipped[0][1] == (
        "12000x12000 pixels is more than the 100 megapixel limit for an "
        "image")
    with pytest.raises(ValueError, match="bomb.png: 12000x12000 pixels"):
        alignment.load_rgb(path)


# === Labels: non-finite, too large, fractional, none at all ===

def test_fractional_non_finite_and_huge_labels_skip_their_row(tmp_path):
    for name in "abcdefgh":
        write_image(tmp_path / f"{name}.jpg")
    (tmp_path / "labels.csv").write_text(
        "image,gender,race,age,group,valence\n"
        "a.jpg,1,2,30,30,0.5\n"
        "b.jpg,1.7,2,30,30,0.5\n"
        "c.jpg,1,2.5,30,30,0.5\n"
        "d.jpg,1,2,30.5,30,0.5\n"
        "e.jpg,1,2,inf,30,0.5\n"
        "f.jpg,1,2,30,1e20,0.5\n"
        "g.jpg,1,2,30,30,inf\n"
        "h.jpg,1,2,30,30,1e39\n")
    tasks = [NominalTask("gender", 2), NominalTask("race", 5),
             OrdinalTask("age", ranks=range(117)),
             OrdinalTask("group", cut_points=[10, 20, 40]),
             RegressionTask("affect", ["valence"])]
    columns = {"affect": ["valence"]}
    examples = read_table(str(tmp_path / "labels.csv"), "image", tasks,
                          columns=columns)
    assert len(examples) == 1
    skipped = dict(examples.report.skipped)
    assert sorted(skipped) == [f"labels.csv row {n}" for n in range(3, 10)]
    for row, column in [(3, "gender"), (4, "race"), (5, "age"), (6, "age"),
                        (7, "group"), (8, "valence"), (9, "valence")]:
        assert skipped[f"labels.csv row {row}"].startswith(
            f"field {column}: "), row
    with pytest.raises(BadInputError,
                       match="labels.csv row 3: field gender: class index "
                             "1.7 is not a whole number"):
        read_table(str(tmp_path / "labels.csv"), "image", tasks,
                   columns=columns, strict=True)


def test_face_examples_refuse_fractional_class_labels():
    with pytest.raises(ValueError, match="'gender' label 1.7 at example 1 "
                                         "is not a whole number"):
        FaceExamples("mine", [NominalTask("gender", 2)],
                     {"gender": [0.0, 1.7]}, paths=["a.jpg", "b.jpg"])
    examples = FaceExamples("mine", [NominalTask("gender", 2)],
                            {"gender": [0.0, 1.0]}, paths=["a.jpg", "b.jpg"])
    assert examples.labels["gender"].tolist() == [0, 1]


def test_data_that_labels_none_of_the_tasks_is_an_error(tmp_path):
    write_image(tmp_path / "a.jpg")
    write_image(tmp_path / "b.jpg")
    (tmp_path / "labels.csv").write_text("image,gender,age\na.jpg,,\n"
                                         "b.jpg, ,nan\n")
    tasks = [NominalTask("gender", 2), OrdinalTask("age", ranks=range(117))]
    with pytest.raises(ValueError, match=r"^labels.csv: no example is "
                       r"labelled for any of the tasks \('gender' from "
                       r"\['gender'\]; 'age' from \['age'\]\)"):
        read_table(str(tmp_path / "labels.csv"), "image", tasks)
    folder = tmp_path / "dfer"
    write_image(folder / "images" / "a.jpg")
    (folder / "labels.csv").write_text(
        "file,valence,arousal,expression_name\na.jpg,,,\n")
    with pytest.raises(ValueError, match="labels.csv: no example is labelled"):
        read_diffusionfer_va(str(folder))


# === Item 10: line numbers and whole reasons ===

def test_row_numbers_are_the_lines_an_editor_shows(tmp_path):
    write_image(tmp_path / "a.jpg")
    (tmp_path / "labels.csv").write_text(
        "image,gender\n"      # line 1
        "a.jpg,0\n"           # 2
        "\n"                  # 3
        "   \n"               # 4
        "a.jpg,7\n"           # 5
        '"a\n.jpg",1\n'       # 6-7: a quoted cell over two lines
        "a.jpg,9\n"           # 8
        "\n"                  # 9
        "a.jpg,1,2,3\n"       # 10: more cells than the header
        "a.jpg,1\n")          # 11
    task = NominalTask("gender", 2)
    examples = read_table(str(tmp_path / "labels.csv"), "image", [task])
    assert len(examples) == 2
    assert [w for w, _ in examples.report.skipped[:3]] == [
        "labels.csv row 5", "labels.csv row 8", "labels.csv row 10"]
    assert examples.report.skipped[3][0].endswith(
        "a\n.jpg (labels.csv row 6, field image)")
    assert examples.report.skipped[2][1] == "4 cells, the header has 2"
    folder = tmp_path / "dfer"
    write_image(folder / "images" / "a.jpg")
    (folder / "labels.csv").write_text(
        "file,valence,arousal,expression_name\n\na.jpg,0.1,0.2,happy\n\n"
        "a.jpg,3,0,happy\n")
    dfer = read_diffusionfer_va(str(folder))
    assert dfer.report.skipped[0][0] == "dfer/labels.csv row 5"
    pixels = " ".join(["7"] * 2304)
    (tmp_path / "fer2013.csv").write_text(
        f"emotion,pixels,Usage\n\n3,{pixels},Training\n9,{pixels},Training\n")
    fer = read_fer2013_csv(str(tmp_path / "fer2013.csv"))
    assert fer.report.skipped == [
        ("fer2013.csv line 4", "field emotion '9' is not 0..6")]
    (tmp_path / "fairface.csv").write_text(
        "file,age,gender,race\n\na.jpg,20-29,Male,White\n"
        "a.jpg,ancient,Male,White\n")
    fairface = read_fairface(str(tmp_path / "fairface.csv"))
    assert fairface.labels["age_group"].tolist() == [3]
    assert fairface.report.skipped == [
        ("fairface.csv row 4", "field age: 'ancient' is not a number")]


def test_the_summary_counts_whole_reasons():
    report = ReadReport("x")
    report.skip("a.jpg", "not a readable image (UnidentifiedImageError: "
                         "cannot identify image file)")
    report.skip("t.csv row 3", "field age: 'inf' is not a finite number")
    report.skip("t.csv row 4", "field age: 'inf' is not a finite number")
    report.skip("t.csv row 5", "two\nlines")
    summary = report.summary(limit=2)
    assert ("skipped 4: 2 field age: 'inf' is not a finite number; 1 not a "
            "readable image (UnidentifiedImageError: cannot identify image "
            "file); and 1 other reason\n") in summary
    assert report.skipped[-1] == ("t.csv row 5", "two lines")


# === Item 9: large photos are detected downscaled ===

def test_a_large_photo_is_detected_downscaled_and_aligned_at_full_size(
        tmp_path, monkeypatch):
    path = str(tmp_path / "large.jpg")
    Image.new("RGB", (8000, 6000), (120, 110, 100)).save(path, quality=50)
    seen = {}

    class Detector:
        def detect_faces(self, image):
            seen["detector"] = image.shape
            points = {"left_eye": (500, 300), "right_eye": (600, 300),
                      "nose": (550, 350), "mouth_left": (510, 400),
                      "mouth_right": (590, 400)}
            return [{"box": [450, 200, 200, 250], "confidence": 0.99,
                     "keypoints": points}]

    def align_face(image, landmarks, size, scale):
        seen["aligned"] = image.shape
        return np.zeros((size, size, 3), "uint8")

    monkeypatch.setattr(alignment, "align_face", align_face)
    aligner = alignment.FaceAligner(size=64)
    aligner._detector = Detector()
    faces = aligner.align_file(path)
    assert seen == {"detector": (960, 1280, 3), "aligned": (6000, 8000, 3)}
    assert faces[0]["box"] == [2812, 1250, 1250, 1562]
    np.testing.assert_allclose(faces[0]["landmarks"][0], [3125, 1875])
    assert alignment.DETECT_SIDE == 1280
