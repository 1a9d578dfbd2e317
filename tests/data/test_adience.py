import os

import numpy as np
import pytest

from keras_dmtl.data import BadInputError
from keras_dmtl.data import adience_age_bin
from keras_dmtl.data import adience_folds
from keras_dmtl.data import read_adience_fold
from keras_dmtl.data.adience import adience_image_path
from tests.conftest import shared_path
from tests.conftest import write_image

HEADER = ("user_id\toriginal_image\tface_id\tage\tgender\tx\ty\tdx\tdy\t"
          "tilt_ang\tfiducial_yaw_angle\tfiducial_score\n")


@pytest.mark.parametrize(
    "label, expected",
    [("(0, 2)", 0), ("(60, 100)", 7), ("(25, 32)", 4), ("None", -1),
     ("", -1), ("35", 5), ("23", 4), ("13", 2), ("3", 0), ("57", 7),
     ("(25, 23)", 4), ("(8, 23)", 3), ("(38, 48)", 5), ("(27, 32)", 4)],
)
def test_age_labels_map_to_bins_by_the_documented_rule(label, expected):
    assert adience_age_bin(label) == expected


def test_an_unreadable_age_label_is_an_error():
    with pytest.raises(ValueError, match="not a range"):
        adience_age_bin("young")


@pytest.mark.shared
def test_reads_the_real_fold_files():
    directory = shared_path("data", "adience")
    counts, unannotated = [], []
    for k in range(5):
        fold = read_adience_fold(os.path.join(directory, f"fold_{k}_data.txt"),
                                 check_files=False)
        counts.append(len(fold))
        unannotated.append((fold.report.unannotated["age_group"],
                            fold.report.unannotated["gender"]))
        assert "stray age labels mapped to bins" in fold.summary()
    assert counts == [4496, 3745, 3953, 3459, 3834]
    assert unannotated[0] == (52, 489)
    assert sum(a for a, _ in unannotated) == 753  # every "None" age


def write_fold(folder, k, rows):
    with open(os.path.join(folder, f"fold_{k}_data.txt"), "w") as file:
        file.write(HEADER)
        for row in rows:
            file.write("\t".join(row) + "\t0\t0\t10\t10\t0\t0\t50\n")


def test_images_at_fold_paths_and_bad_rows(tmp_path):
    rows = [
        ("u1", "a.jpg", "1", "(25, 32)", "f"),
        ("u1", "b.jpg", "2", "35", "u"),
        ("u2", "c.jpg", "3", "None", "m"),
        ("u2", "d.jpg", "4", "(0, 2)", "m"),     # image missing
        ("u3", "e.jpg", "x", "(0, 2)", "m"),     # bad face_id
        ("u3", "f.jpg", "6", "old", "m"),        # bad age
        ("u3", "g.jpg", "7", "(0, 2)", "q"),     # bad gender
    ]
    write_fold(tmp_path, 0, rows)
    with open(os.path.join(tmp_path, "fold_0_data.txt"), "a") as file:
        file.write("u4\tshort\n")
    for user, image, face, _, _ in rows[:3] + rows[4:]:
        write_image(adience_image_path(str(tmp_path), user, face, image))
    fold = read_adience_fold(os.path.join(tmp_path, "fold_0_data.txt"))
    assert fold.labels["age_group"].tolist() == [4, 5, -1]
    assert fold.labels["gender"].tolist() == [1, -1, 0]
    assert fold.subjects.tolist() == ["u1", "u1", "u2"]
    reasons = " ".join(r for _, r in fold.report.skipped)
    for expected in ["missing image", "field face_id", "field age",
                     "field gender", "short row"]:
        assert expected in reasons
    assert len(fold.report.skipped) == 5
    with pytest.raises(BadInputError, match="fold_0_data.txt line 5: missing"):
        read_adience_fold(os.path.join(tmp_path, "fold_0_data.txt"),
                          strict=True)


def test_five_fold_protocol_is_subject_exclusive(tmp_path):
    for k in range(5):
        rows = [(f"user{k}", f"{i}.jpg", str(i), "(8, 12)", "f")
                for i in range(k + 1)]
        write_fold(tmp_path, k, rows)
        for row in rows:
            write_image(adience_image_path(str(tmp_path), row[0], row[2],
                                           row[1]))
    folds = list(adience_folds(str(tmp_path)))
    assert [k for k, _, _ in folds] == [0, 1, 2, 3, 4]
    for k, train, test in folds:
        assert len(test) == k + 1 and len(train) == 15 - (k + 1)
        assert not set(train.subjects) & set(test.subjects)
        assert np.all(train.labels["age_group"] == 2)
