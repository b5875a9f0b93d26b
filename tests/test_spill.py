"""The tiles' Gram sums, kept in a temporary file during a print: they come back as they went in."""
import os

import numpy as np
import pytest

from nst_core.tiles.spill import Spill


def test_each_tiles_record_comes_back_unchanged_and_the_file_goes_away():
    rng = np.random.default_rng(0)
    shapes = [(4, 4), (8, 8), (3,)]
    records = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(5)]
    spill = Spill(5, shapes)
    for i in (3, 0, 4, 1, 2):  # out of order, as the sweeps visit back and forth
        spill.put(i, records[i])
    spill.put(3, [2 * a for a in records[3]])  # a later visit overwrites its tile's record only
    for i, rec in enumerate(records):
        want = [2 * a for a in rec] if i == 3 else rec
        for got, w in zip(spill.get(i), want):
            np.testing.assert_array_equal(got, w)
    fd = spill._file.fileno()
    spill.close()
    with pytest.raises(OSError):
        os.fstat(fd)


def test_a_record_of_the_wrong_shape_is_refused():
    with Spill(2, [(4, 4)]) as spill, pytest.raises(ValueError, match="expected"):
        spill.put(0, [np.zeros((4, 5), np.float32)])


def test_a_tiles_lbfgs_pairs_come_back_for_its_next_visit():
    from nst_core.tiles.spill import PairSpill

    rng = np.random.default_rng(1)
    store = PairSpill([5, 7], m=2)
    pairs = [(rng.random(7, dtype=np.float32), rng.random(7, dtype=np.float32)) for _ in range(3)]
    store.put(1, pairs)
    got = store.get(1)
    assert len(got) == 2  # the newest m, oldest first
    for (s, y), (ws, wy) in zip(got, pairs[1:]):
        assert np.array_equal(s, ws) and np.array_equal(y, wy)
    assert store.get(0) == []  # a tile not yet visited has none
    with pytest.raises(ValueError, match="expected 5"):
        store.put(0, pairs)
    store.clear()  # steered weights: every tile starts afresh
    assert store.get(1) == []
    store.close()
