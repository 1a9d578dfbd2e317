import os
import signal

import pytest

from keras_dmtl.training.stop_on_signal import StopOnSignal


@pytest.mark.parametrize("number", StopOnSignal.SIGNALS)
def test_a_signal_stops_at_the_end_of_the_step_and_a_second_at_once(number):
    before = signal.getsignal(number)
    stop = StopOnSignal()
    stop.install()
    try:
        os.kill(os.getpid(), number)  # noted, not raised here
        assert stop.requested
        with pytest.raises(KeyboardInterrupt):
            stop.on_train_batch_end(0)
        stop.on_train_batch_end(1)  # one signal, one stop
        os.kill(os.getpid(), number)
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), number)
        with pytest.raises(KeyboardInterrupt):
            stop.on_epoch_end(0)  # the first of the two was noted
    finally:
        stop.restore()
    assert signal.getsignal(number) is before
