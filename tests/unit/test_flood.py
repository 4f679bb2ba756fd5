from bot.telegram.flood import FloodGuard


def test_a_burst_is_allowed_then_one_notice_then_silence_until_the_rate_drops():
    guard = FloodGuard(burst=3, per_second=1.0)
    assert [guard.check(1, 0.0) for _ in range(5)] == ["ok", "ok", "ok", "notice", "drop"]
    assert guard.check(2, 0.0) == "ok", "others are not affected"
    assert guard.check(1, 1.0) == "ok", "one token back after a second"
    assert guard.check(1, 1.0) == "notice", "a new flood gets a new notice"


def test_idle_users_are_forgotten():
    guard = FloodGuard(burst=2, per_second=1.0)
    guard.check(1, 0.0)
    guard.check(2, 0.0)
    guard.forget_idle(10.0)
    assert guard._buckets == {}
