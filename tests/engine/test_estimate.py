from stylegram.engine.estimate import TimeLeft


def test_time_left_from_the_latest_iteration_and_the_area_of_later_scales():
    estimate = TimeLeft([(10, 10), (20, 20)], [4, 2])
    estimate.scale_started(0, setup_seconds=0.5)
    # The slow first iteration is forgotten as soon as a second one is measured.
    estimate(1, 3.0)
    left = estimate(2, 1.0)
    # 2 more at 1 s, then 2 iterations at 4x the area (4 s each) and set-up 0.5 s x 4.
    assert left == 2 * 1.0 + 2 * 4.0 + 2.0
    estimate.scale_started(1, setup_seconds=2.0)
    assert estimate(1, 4.0) == 4.0
    assert estimate(2, 4.0) == 0.0
