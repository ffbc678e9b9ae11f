"""Fault injection against the real `keras-gans train`: processes killed (SIGKILL) or stopped (SIGTERM, SIGINT)
at seeded random moments, some of them in the middle of writing a checkpoint. Whatever happens, the checkpoint
in --out -- if one was ever written -- loads, run.json and history.csv read whole, a stopped run exits 130 / 143
without a traceback and says how to go on, and `--resume` trains on from where it was left.

The trials run two at a time, one `keras-gans train` process each, with one generator step per epoch so that
checkpoints are written all the time (a random moment often falls inside one); the timer starts only once the
process has printed its first line, so that every signal lands while the run is set up to handle it.
"""
import concurrent.futures
import csv
import json
import os
import random
import shlex
import signal
import subprocess
import sys
import threading
import time

import keras
import pytest

from conftest import SUBSET
from keras_gans import cli


def _plan():
    """(signal, moment) per trial: moment is a delay in seconds after the first line, or "save": the moment a
    new checkpoint is being written over an existing one (its temporary file has appeared)."""
    rng = random.Random(0)
    kinds = ([(signal.SIGKILL, None)] * 7 + [(signal.SIGKILL, "save")] * 3 + [(signal.SIGTERM, None)] * 8
             + [(signal.SIGTERM, "save")] * 2 + [(signal.SIGINT, None)] * 2)
    rng.shuffle(kinds)
    return [(number, moment if moment else round(rng.uniform(0.0, 2.5), 2)) for number, moment in kinds]


PLAN = _plan()
TIMEOUT = 120  # seconds one trial may take before it is killed and counted as a hang


def _command(out):
    return [sys.executable, "-m", "keras_gans.cli", "train", "gan", "--data-dir", SUBSET, "--batch-size", "16",
            "--steps-per-epoch", "1", "--architecture", "mlp", "--latent-dim", "8", "--no-xla", "--verbose", "0",
            "--epochs", "100000", "--sample-every", "3", "--out", str(out)]


def _in_save(out, deadline):
    """Wait until a checkpoint exists and a new one is being written beside it (atomic.save_model's hidden
    temporary file), or until `deadline`."""
    while time.monotonic() < deadline:
        names = os.listdir(out) if os.path.isdir(out) else []
        if "model.keras" in names and any(name.startswith(".model.keras.") for name in names):
            return True
        time.sleep(0.001)
    return False


def _trial(index, out):
    number, moment = PLAN[index]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(_command(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    watchdog = threading.Timer(TIMEOUT, process.kill)
    watchdog.start()
    try:
        first = process.stdout.readline()
        caught = None
        if moment == "save":
            caught = _in_save(out, time.monotonic() + 60)
        else:
            time.sleep(moment)
        process.send_signal(number)
        stdout, stderr = process.communicate()
    finally:
        watchdog.cancel()
    return {"index": index, "signal": number, "moment": moment, "caught_in_save": caught, "first": first,
            "stdout": first + stdout, "stderr": stderr, "returncode": process.returncode,
            "leftovers": [name for name in os.listdir(out) if name.startswith(".")] if os.path.isdir(out) else []}


@pytest.fixture(scope="module")
def trials(tmp_path_factory):
    """Every trial of PLAN, two processes at a time: index -> result (and the --out directory)."""
    root = tmp_path_factory.mktemp("faults")
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda i: _trial(i, root / f"trial{i:02d}"), range(len(PLAN))))
    for result in results:
        result["out"] = root / f"trial{result['index']:02d}"
    print(f"\n{len(PLAN)} trials in {time.perf_counter() - start:.0f} s; killed while saving (leftover temporary "
          f"file): {sum(bool(r['leftovers']) for r in results if r['signal'] == signal.SIGKILL)}")
    return results


@pytest.mark.parametrize("index", range(len(PLAN)),
                         ids=[f"{signal.Signals(n).name}-{m}" for n, m in PLAN])
def test_the_run_survives(trials, index):
    result = trials[index]
    out, number = result["out"], result["signal"]
    assert result["first"].startswith("Training GAN"), result["stderr"][-2000:]
    if result["moment"] == "save":
        assert result["caught_in_save"], "no checkpoint was seen being written"
    checkpoint = out / "model.keras"
    step = None
    if checkpoint.exists():  # written at least once: it loads, whatever moment the signal came
        step = int(keras.saving.load_model(checkpoint).step_counter.numpy())
    run = json.loads((out / "run.json").read_text())  # written before training starts, and whole
    assert run["variant"] == "gan" and run["steps_per_epoch"] == 1
    if (out / "history.csv").exists():
        rows = list(csv.reader(open(out / "history.csv", newline="")))
        assert rows[0][0] == "epoch" and all(len(row) == len(rows[0]) for row in rows)  # no torn last line
    if number == signal.SIGKILL:
        assert result["returncode"] == -signal.SIGKILL
        assert step is None or step >= 1  # the checkpoints of epoch ends
        return
    # SIGTERM / SIGINT: the run stops at the next step, saves, says how to continue, and exits 128 + signal.
    assert result["returncode"] == 128 + number, result["stderr"][-2000:]
    assert "Traceback" not in result["stderr"]
    assert checkpoint.exists() and not result["leftovers"]
    assert f"Stopped by {signal.Signals(number).name} at step {step};" in result["stderr"]  # saved where it stopped
    assert f"Continue with: keras-gans train gan --out {shlex.quote(str(out))} --resume --epochs" in result["stderr"]


def _resumable(trials, number, moment):
    """The first trial of that signal (and, for SIGKILL, of that kind of moment) that left a checkpoint."""
    for result in trials:
        if (result["signal"] == number and (result["out"] / "model.keras").exists()
                and (moment is None or result["moment"] == moment)):
            return result
    pytest.skip(f"no {signal.Signals(number).name} trial left a checkpoint")


# A stopped run resumes with the command it printed; a killed one (here: killed while writing a checkpoint,
# which usually leaves its temporary file behind) with --resume alone.
@pytest.mark.parametrize("number, moment", [(signal.SIGTERM, None), (signal.SIGINT, None), (signal.SIGKILL, "save")],
                         ids=["SIGTERM", "SIGINT", "SIGKILL-in-save"])
def test_resume_trains_on(trials, number, moment, capsys):
    result = _resumable(trials, number, moment)
    out = result["out"]
    before = int(keras.saving.load_model(out / "model.keras").step_counter.numpy())
    if number == signal.SIGKILL:
        argv = ["train", "gan", "--out", str(out), "--resume"]
    else:  # the command the stopped run printed, for one epoch instead of the rest of them
        argv = shlex.split(result["stderr"].split("Continue with: ")[1].splitlines()[0])[1:]
        argv[argv.index("--epochs") + 1] = "1"
    assert cli.main(argv + ["--verbose", "0"]) == 0, capsys.readouterr().err
    assert int(keras.saving.load_model(out / "model.keras").step_counter.numpy()) == before + 1
    assert not [name for name in os.listdir(out) if name.startswith(".")]  # a killed save's leftover is gone
