"""Failed logins slowed down per address, with a clock we move by hand."""

from assistant.interfaces.login_throttle import LoginThrottle


def test_ten_failures_in_a_minute_make_an_address_wait_and_only_that_one():
    now = [0.0]
    throttle = LoginThrottle(max_failures=10, window=60, clock=lambda: now[0])
    for _ in range(10):
        assert throttle.retry_after("10.0.0.1") == 0
        throttle.failed("10.0.0.1")
        now[0] += 1
    assert throttle.retry_after("10.0.0.1") == 50  # the first failure leaves the window at t=60
    assert throttle.retry_after("10.0.0.2") == 0
    now[0] = 60.5
    assert throttle.retry_after("10.0.0.1") == 0


def test_the_refusal_says_how_long_to_wait():
    now = [0.0]
    throttle = LoginThrottle(max_failures=2, window=60, clock=lambda: now[0])
    assert throttle.refusal("10.0.0.1") is None
    throttle.failed("10.0.0.1")
    throttle.failed("10.0.0.1")
    message, headers = throttle.refusal("10.0.0.1")
    assert "60 s" in message and headers == {"Retry-After": "61"}
