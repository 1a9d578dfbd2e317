import os
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.conftest import free_port

SCRIPT = os.path.join(os.path.dirname(__file__), "distributed_search.py")


@pytest.mark.slow  # 1 min: three processes
def test_chief_and_two_workers_finish_the_search_together(tmp_path):
    port = str(free_port())
    processes = {}
    for tuner_id in ("chief", "tuner0", "tuner1"):
        env = dict(os.environ, KERASTUNER_TUNER_ID=tuner_id,
                   KERASTUNER_ORACLE_IP="127.0.0.1",
                   KERASTUNER_ORACLE_PORT=port, PYTHONPATH=REPO,
                   TF_CPP_MIN_LOG_LEVEL="3")
        processes[tuner_id] = subprocess.Popen(
            [sys.executable, SCRIPT, str(tmp_path)], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    outputs = {}
    try:
        for tuner_id, process in processes.items():
            outputs[tuner_id] = process.communicate(timeout=420)[0]
    finally:
        for process in processes.values():
            process.kill()
    for tuner_id, process in processes.items():
        assert process.returncode == 0, outputs[tuner_id][-2000:]
        assert f"{tuner_id} finished" in outputs[tuner_id]
    ran = {w: open(tmp_path / f"{w}.log").read().splitlines()
           for w in ("tuner0", "tuner1") if (tmp_path / f"{w}.log").exists()}
    # The chief only serves the oracle; the workers ran the four trials.
    assert not (tmp_path / "chief.log").exists()
    assert sum(len(lines) for lines in ran.values()) == 4
    assert set(ran) == {"tuner0", "tuner1"}
