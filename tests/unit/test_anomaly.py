from sqlingest.checks.anomaly import evaluate


def test_volume_drop_is_an_anomaly():
    assert evaluate(1000, [1000, 1010, 990, 1005]).anomalous is False
    verdict = evaluate(100, [1000, 1010, 990, 1005])
    assert verdict.anomalous and "outside" in verdict.message


def test_too_little_history_passes():
    assert evaluate(0, [1000, 1000]).anomalous is False


def test_flat_history_tolerates_noise():
    assert evaluate(1005, [1000, 1000, 1000]).anomalous is False
    assert evaluate(1500, [1000, 1000, 1000]).anomalous is True
