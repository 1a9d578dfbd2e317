import pytest

from keras_dmtl.serve.throttle import SignInThrottle


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_the_sixth_attempt_waits_until_the_oldest_failure_expires():
    clock = Clock()
    throttle = SignInThrottle(max_failures=5, window=300, clock=clock)
    for second in range(5):
        clock.now = 1000.0 + second
        assert throttle.wait_seconds("ann", "10.0.0.1") == 0
        throttle.failed("ann", "10.0.0.1")
    clock.now = 1010.0
    assert throttle.wait_seconds("ann", "10.0.0.1") == pytest.approx(290)
    clock.now = 1300.5  # the first failure left the window
    assert throttle.wait_seconds("ann", "10.0.0.1") == 0


def test_failures_count_per_name_and_per_address():
    throttle = SignInThrottle(max_failures=2, window=60, clock=Clock())
    throttle.failed("ann", "10.0.0.1")
    throttle.failed("bob", "10.0.0.1")  # same address, another name
    assert throttle.wait_seconds("carl", "10.0.0.1") > 0  # the address
    assert throttle.wait_seconds("carl", "10.0.0.2") == 0
    throttle.failed("ANN", "10.0.0.9")  # names ignore case
    assert throttle.wait_seconds("ann", "10.0.0.3") > 0


def test_a_success_clears_the_names_failures_not_the_addresses():
    throttle = SignInThrottle(max_failures=2, window=60, clock=Clock())
    throttle.failed("ann", "10.0.0.1")
    throttle.succeeded("ann", "10.0.0.1")
    throttle.failed("ann", "10.0.0.2")
    assert throttle.wait_seconds("ann", "10.0.0.3") == 0
    throttle.failed("bob", "10.0.0.1")
    assert throttle.wait_seconds("zed", "10.0.0.1") > 0


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        SignInThrottle(max_failures=0)
    with pytest.raises(ValueError):
        SignInThrottle(window=0)
