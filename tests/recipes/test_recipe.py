import os
import subprocess
import sys

import numpy as np
import pytest

from keras_dmtl.recipes import RECIPES
from keras_dmtl.recipes import AdienceRecipe
from keras_dmtl.recipes import FaceBehaviorStudyRecipe
from keras_dmtl.recipes import UTKFaceRecipe
from keras_dmtl.recipes import get_recipe
from tests.conftest import REPO


TINY_RUN = dict(backbone="mobilenet_v2_0.35", image_size=32, epochs=1,
                synthetic_size=64, batch_size=16)
"""A UTKFace run on 64 synthetic faces, in seconds."""


def save_tiny_model(path):
    """Saves an untrained UTKFace model of the synthetic tasks at 32x32."""
    from keras_dmtl.data import synthetic_tasks

    recipe = UTKFaceRecipe()
    args = recipe.options(backbone="mobilenet_v2_0.35", image_size=32)
    recipe.build_model(args, recipe.strategy(args), synthetic_tasks(),
                       steps_per_epoch=1).save(path)
    return path


def json_of(path):
    import json

    with open(path) as file:
        return json.load(file)


def run_settings(out):
    """The settings a run folder's run.json records."""
    import json

    with open(os.path.join(out, "run.json")) as file:
        return json.load(file)["settings"]


def keras_dmtl(*args, cwd=REPO):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-m", "keras_dmtl.cli", *args],
                          cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def test_every_recipe_has_a_script_and_the_cli_lists_it(capsys):
    from keras_dmtl.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "one of utkface, utkface_fer, adience, face_behavior, " \
        "face_behavior_study, tune_weights" in " ".join(
            capsys.readouterr().out.split())
    for name, recipe in RECIPES.items():
        assert recipe.name == name
        script = os.path.join(REPO, "recipes", f"{name}.py")
        with open(script) as file:
            assert f"{type(recipe).__name__}().main(" in file.read()
        assert recipe.description
        assert recipe.parser().parse_args([]).out == recipe.out


def test_an_unknown_recipe_is_refused_with_the_list():
    with pytest.raises(ValueError, match="the recipes are: utkface, "
                                         "utkface_fer, adience"):
        get_recipe("../anything.py")


def test_train_refuses_a_path_and_names_the_recipes(tmp_path):
    script = tmp_path / "anything.py"
    script.write_text("open('ran', 'w').write('yes')\n")
    done = keras_dmtl("train", str(script), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"keras-dmtl train {script}: unknown recipe '{script}'; the recipes "
        "are: utkface, utkface_fer, adience, face_behavior, "
        "face_behavior_study, tune_weights")
    assert not (tmp_path / "ran").exists()


def test_a_recipe_lists_its_own_options_under_its_name():
    done = keras_dmtl("train", "face_behavior_study", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: keras-dmtl train "
                                  "face_behavior_study")
    for option in ("--configs", "--ckplus", "--strategy", "--quiet"):
        assert option in done.stdout


def test_options_start_from_the_recipe_defaults():
    study = FaceBehaviorStudyRecipe().options(seeds=1)
    assert (study.backbone, study.image_size, study.seeds) == (
        "mobilenet_v2_0.35", 48, 1)
    plain = UTKFaceRecipe().options()
    assert (plain.backbone, plain.image_size, plain.optimizer,
            plain.strategy) == ("efficientnet_b0", 224, "sgd", "default")


def test_options_refuse_a_name_the_recipe_does_not_have():
    with pytest.raises(TypeError, match=r"no option\(s\) \['epoch'\]"):
        UTKFaceRecipe().options(epoch=3)


def test_required_and_clashing_arguments_are_checked_the_same_way():
    with pytest.raises(ValueError, match="--data is required"):
        AdienceRecipe().options()
    with pytest.raises(ValueError, match="--shares takes 4 numbers"):
        get_recipe("face_behavior").options(shares="0.5,0.5")
    with pytest.raises(SystemExit):  # argparse's usage error, exit 2
        get_recipe("utkface_fer").parse(["--utkface", "somewhere"])
    with pytest.raises(ValueError, match=r"--weightings: unknown \['kendall'"):
        get_recipe("tune_weights").options(weightings="learned,kendall")
    for name in ("tune_weights", "face_behavior_study"):
        with pytest.raises(ValueError, match=f"--teacher does not apply to "
                                             f"{name}"):
            get_recipe(name).options(teacher="t.keras")
        with pytest.raises(ValueError, match="fixed does not apply"):
            get_recipe(name).options(loss_weighting="fixed",
                                     task_weights={"age": 1.0})


def test_build_model_takes_the_weighting_and_the_schedule():
    from keras_dmtl.data import synthetic_tasks
    from keras_dmtl.layers import DynamicWeightAverage

    recipe = UTKFaceRecipe()
    args = recipe.options(backbone="mobilenet_v2_0.35", image_size=32,
                          epochs=4, optimizer="adam", loss_weighting="dwa",
                          schedule="cosine")
    model = recipe.build_model(args, recipe.strategy(args),
                               synthetic_tasks(), steps_per_epoch=10)
    assert isinstance(model.weighting, DynamicWeightAverage)
    schedule = model.optimizer.learning_rate
    assert float(model.optimizer._learning_rate(0)) == pytest.approx(1e-3)
    assert model.optimizer._learning_rate.decay_steps == 40
    assert float(model.optimizer._learning_rate(40)) == pytest.approx(0.0)
    assert float(schedule) == pytest.approx(1e-3)


def test_test_time_flip_reaches_the_model(tmp_path):
    from keras_dmtl.data import synthetic_tasks

    recipe = UTKFaceRecipe()

    def built(*argv):
        args = recipe.parse(["--backbone", "mobilenet_v2_0.35",
                             "--image-size", "32", *argv])
        return recipe.build_model(args, recipe.strategy(args),
                                  synthetic_tasks(), steps_per_epoch=10)

    assert built().test_time_flip is False
    flipping = built("--test-time-flip")
    assert flipping.test_time_flip is True
    # Unset, it is None (runs from before the option resume), and a run
    # that goes on from a model goes on flipping unless told otherwise.
    assert recipe.parse([]).test_time_flip is None
    path = str(tmp_path / "flipping.keras")
    flipping.save(path)
    assert built("--start-from", path).test_time_flip is True
    assert built("--start-from", path,
                 "--no-test-time-flip").test_time_flip is False


def test_fixed_weights_come_from_task_weights():
    from keras_dmtl.data import synthetic_tasks
    from keras_dmtl.layers import FixedWeighting

    recipe = UTKFaceRecipe()
    args = recipe.parse(["--loss-weighting", "fixed", "--task-weights",
                         "age=0.1, gender=0.6,race=0.3",
                         "--backbone", "mobilenet_v2_0.35",
                         "--image-size", "32"])
    assert args.task_weights == {"age": 0.1, "gender": 0.6, "race": 0.3}
    model = recipe.build_model(args, recipe.strategy(args),
                               synthetic_tasks(), steps_per_epoch=10)
    assert isinstance(model.weighting, FixedWeighting)
    assert model.current_task_weights() == pytest.approx(
        {"age": 0.1, "gender": 0.6, "race": 0.3})
    # From Python, the weights may be given as on the command line.
    assert recipe.options(loss_weighting="fixed",
                          task_weights="age=1,gender=2").task_weights == {
                              "age": 1.0, "gender": 2.0}
    with pytest.raises(ValueError, match="--task-weights: 'age' is not"):
        recipe.options(loss_weighting="fixed", task_weights="age")
    misspelt = recipe.options(loss_weighting="fixed", image_size=32,
                              backbone="mobilenet_v2_0.35",
                              task_weights={"age": 1, "gender": 1, "rase": 1})
    with pytest.raises(ValueError, match=r"missing \['race'\], unknown "
                                         r"\['rase'\]"):
        recipe.build_model(misspelt, recipe.strategy(misspelt),
                           synthetic_tasks(), steps_per_epoch=10)


@pytest.mark.parametrize("argv, message", [
    (["--loss-weighting", "fixed"], "fixed needs --task-weights"),
    (["--task-weights", "age=1"], "use it with --loss-weighting fixed"),
    (["--loss-weighting", "fixed", "--task-weights", "age"],
     "'age' is not NAME=WEIGHT"),
    (["--loss-weighting", "fixed", "--task-weights", "=1"], "names no task"),
    (["--loss-weighting", "fixed", "--task-weights", "age=nan"],
     "not a finite weight"),
    (["--loss-weighting", "fixed", "--task-weights", "age=1,age=2"],
     "'age' is given twice"),
    (["--teacher", "t.keras", "--temperature", "inf"],
     "--temperature must be positive"),
    (["--temperature", "3"], "--temperature goes with --teacher MODEL"),
    (["--teacher", "t.keras", "--teacher-weight", "0"],
     "--teacher-weight must be in (0, 1], got 0.0"),
    (["--teacher", "t.keras", "--temperature", "-1"],
     "--temperature must be positive"),
])
def test_clashing_weights_and_teaching_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        UTKFaceRecipe().parse(argv)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
    with pytest.raises(ValueError, match="fixed needs --task-weights"):
        UTKFaceRecipe().options(loss_weighting="fixed")


def test_build_model_starts_from_a_trained_model(tmp_path):
    from keras_dmtl.data import synthetic_tasks

    recipe = UTKFaceRecipe()
    args = recipe.options(backbone="mobilenet_v2_0.35", image_size=32)
    first = recipe.build_model(args, recipe.strategy(args),
                               synthetic_tasks(), steps_per_epoch=10)
    path = tmp_path / "first.keras"
    first.save(path)
    args = recipe.options(backbone="mobilenet_v2_0.35", image_size=32,
                          start_from=str(path))
    model = recipe.build_model(args, recipe.strategy(args),
                               synthetic_tasks(), steps_per_epoch=10)
    for mine, theirs in zip(model.weights, first.weights):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    assert model.optimizer is not None  # compiled, its optimizer afresh
    # No --branch-by given: None in the settings (as runs from before the
    # option have none, so that they resume), the paper's branching built.
    assert args.branch_by is None and model.branch_by == "category"

    # Both recipes of UTKFace faces give the branches' options to the
    # model; a shared model starts each branch of a branched one.
    for recipe in (UTKFaceRecipe(), get_recipe("utkface_fer")):
        args = recipe.options(backbone="mobilenet_v2_0.35", image_size=32,
                              start_from=str(path), shared_stages=6,
                              branch_by="task")
        model = recipe.build_model(args, recipe.strategy(args),
                                   synthetic_tasks(), steps_per_epoch=10)
        assert (model.shared_stages, model.branch_by) == (6, "task")
        np.testing.assert_array_equal(
            model.get_layer("age_stages").get_layer(
                "block_16_project").kernel.numpy(),
            first.get_layer("trunk").layers[-1].get_layer(
                "block_16_project").kernel.numpy())


@pytest.mark.parametrize("option", ["--start-from", "--teacher"])
def test_a_missing_model_file_is_refused_before_anything_is_written(
        option, tmp_path):
    out = tmp_path / "run"
    result = keras_dmtl("train", "utkface", option,
                        str(tmp_path / "nowhere.keras"), "--out", str(out))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"keras-dmtl train utkface: {option} "
        f"{tmp_path / 'nowhere.keras'}: no such file")
    assert not out.exists()


def test_a_start_model_inside_the_run_folder_is_refused(tmp_path):
    from keras_dmtl.data import synthetic_tasks

    out = tmp_path / "run"
    out.mkdir()
    model = UTKFaceRecipe().build_model(
        UTKFaceRecipe().options(backbone="mobilenet_v2_0.35", image_size=32),
        UTKFaceRecipe().strategy(UTKFaceRecipe().options()),
        synthetic_tasks(), steps_per_epoch=1)
    model.save(out / "model.keras")
    before = (out / "model.keras").read_bytes()
    result = keras_dmtl("train", "utkface", "--start-from",
                        str(out / "model.keras"), "--out", str(out),
                        "--overwrite")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].endswith(
        "the folder this run writes; give the new run another --out")
    assert sorted(p.name for p in out.iterdir()) == ["model.keras"]
    assert (out / "model.keras").read_bytes() == before


def test_a_run_started_from_a_model_records_which_file(tmp_path):
    from keras_dmtl.file_digest import sha256_of

    recipe = UTKFaceRecipe()
    start = save_tiny_model(tmp_path / "start.keras")
    out = str(tmp_path / "run")
    options = dict(TINY_RUN, out=out, start_from=str(start))
    recipe.train(**options)
    assert run_settings(out)["start_from_sha256"] == sha256_of(start)
    # Another file at the same path is another run, refused by name.
    save_tiny_model(start)
    with pytest.raises(ValueError, match="start_from_sha256"):
        recipe.train(**options)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished UTKFace run on synthetic faces, shared by the tests that
    read it or start from it (none writes into it)."""
    out = str(tmp_path_factory.mktemp("finished") / "run")
    return UTKFaceRecipe().train(out=out, **TINY_RUN)


def test_a_run_never_tests_on_faces_its_start_model_trained_on(
        finished_run, tmp_path):
    from keras_dmtl.training.start_from import StartFromError

    recipe = UTKFaceRecipe()
    start = os.path.join(finished_run, "model.keras")
    # Another split: the first run trained on some of its test faces.
    second = str(tmp_path / "second")
    with pytest.raises(StartFromError, match=(
            "its run held out other test faces .* hold out its faces "
            r"\(--split-seed 0, the same data\)")):
        recipe.train(out=second, start_from=start, split_seed=1, **TINY_RUN)
    assert not os.path.exists(os.path.join(second, "model.keras"))
    # Its split (the default, --seed's) goes on; and then resumes.
    recipe.train(out=second, start_from=start, **TINY_RUN)
    assert run_settings(second)["split_seed"] is None
    assert (json_of(os.path.join(second, "run.json"))["split"]
            == json_of(os.path.join(finished_run, "run.json"))["split"])


def test_a_teacher_teaches_a_run_and_is_recorded(tmp_path, capsys):
    from keras_dmtl.file_digest import sha256_of
    from keras_dmtl.training.teaching import TeacherError

    recipe = UTKFaceRecipe()
    teacher = save_tiny_model(tmp_path / "teacher.keras")
    out = str(tmp_path / "run")
    options = dict(TINY_RUN, out=out, teacher=str(teacher),
                   teacher_weight=0.3)
    recipe.train(**options)
    assert (f"Teacher {teacher} teaches age, gender, race (weight 0.3, "
            "temperature 2)") in capsys.readouterr().out
    settings = run_settings(out)
    assert settings["teacher_sha256"] == sha256_of(teacher)
    assert settings["teacher_weight"] == 0.3
    # A teacher for other faces is refused in one line naming it.
    options.update(image_size=48, out=str(tmp_path / "other"))
    with pytest.raises(TeacherError, match=(
            f"--teacher {teacher}: the teacher takes 32x32 faces, the "
            "model 48x48")):
        recipe.train(**options)


def test_train_in_python_writes_the_run_folder_and_keeps_it(finished_run):
    names = set(os.listdir(finished_run))
    assert {"model.keras", "history.csv", "metrics.json", "run.json"} <= names
    modified = os.path.getmtime(os.path.join(finished_run, "model.keras"))
    # Finished: training it again returns the folder and leaves it alone.
    assert UTKFaceRecipe().train(out=finished_run, **TINY_RUN) == finished_run
    assert os.path.getmtime(os.path.join(finished_run, "model.keras")) == (
        modified)
