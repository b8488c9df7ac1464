"""Tests for helpers.toy2d: the ring's centres and samples, and the diversity measures on point sets
whose answer is known (all on one mode, spread over every mode, off the ring)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import toy2d


def test_ring_centres_lie_on_the_circle_evenly_spaced():
    centres = toy2d.ring_centres(8, 2.0)
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 2.0)
    gaps = np.linalg.norm(np.roll(centres, -1, axis=0) - centres, axis=1)
    np.testing.assert_allclose(gaps, 4.0 * np.sin(np.pi / 8))               # chord of 45°
    with pytest.raises(ValueError, match="n_modes"):
        toy2d.ring_centres(0)


def test_samples_are_reproducible_and_spread_like_the_mixture():
    a, b = toy2d.sample_ring(4000, seed=3), toy2d.sample_ring(4000, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and a.shape == (4000, 2)
    histogram = toy2d.mode_histogram(a)
    assert histogram.sum() == pytest.approx(1 - np.exp(-4.5), abs=0.005)  # P(r ≤ 3σ) in 2-D: 98.9%
    np.testing.assert_allclose(histogram, 1 / 8, atol=0.03)
    modes = toy2d.nearest_mode(a, within=10.0)                  # every point: its own mode
    offsets = a - toy2d.ring_centres()[modes]
    assert np.std(offsets) == pytest.approx(toy2d.STD, rel=0.1)


def test_real_samples_cover_every_mode_and_a_point_mass_covers_one():
    real = toy2d.ring_score(toy2d.sample_ring(2048, seed=0))
    assert real.modes_covered == 8 and real.high_quality > 0.98
    # E|x - y| for two independent ring points: the mean chord over the 8 mode pairs, 0.5·cot(π/16)
    assert real.pairwise == pytest.approx(0.5 / np.tan(np.pi / 16), rel=0.05)
    collapsed = toy2d.ring_score(np.tile(toy2d.ring_centres()[3], (512, 1)))
    assert (collapsed.modes_covered, collapsed.high_quality, collapsed.pairwise) == (1, 1.0, 0.0)
    assert collapsed.histogram[3] == 1.0
    assert "1/8 modes covered" in str(collapsed)


def test_points_off_the_ring_are_low_quality_and_cover_nothing():
    off = toy2d.ring_score(np.random.default_rng(0).normal(0, 0.5, size=(1000, 2)))
    assert off.modes_covered == 0 and off.high_quality < 0.01 and off.pairwise > 0.3


def test_min_share_decides_when_a_mode_counts_as_covered():
    points = np.concatenate([np.tile(toy2d.ring_centres()[0], (99, 1)), toy2d.ring_centres()[[5]]])
    assert toy2d.ring_score(points, min_share=0.02).modes_covered == 1      # 1% on mode 5: too few
    assert toy2d.ring_score(points, min_share=0.01).modes_covered == 2


def test_pairwise_distance_is_measured_within_batches():
    # two batches, each a point mass, far apart: distance within a batch is 0
    points = np.concatenate([np.zeros((64, 2)), np.full((64, 2), 5.0)])
    assert toy2d.mean_pairwise_distance(points, batch_size=64) == 0.0
    assert toy2d.mean_pairwise_distance(points, batch_size=128) > 3.0


def test_the_measures_reject_bad_input_with_a_clear_message():
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        toy2d.ring_score(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="NaN"):
        toy2d.ring_score([[np.nan, 0.0]])
    with pytest.raises(ValueError, match="batch_size"):
        toy2d.mean_pairwise_distance(np.zeros((4, 2)), batch_size=1)
    with pytest.raises(ValueError, match="min_share"):
        toy2d.ring_score(np.zeros((4, 2)), min_share=0)
