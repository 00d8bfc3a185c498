"""hw5lib.data: lookup order, validation messages, the cached stand-in and fetching with pooch."""

import zipfile

import numpy as np
import pytest
import scipy.io

from hw5lib import data
from hw5lib.standin import synth

SMALL = {"train": 3, "valid": 2, "test": 1}


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real data anywhere, an empty cache, and small stand-in splits."""
    monkeypatch.setenv("HW5_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("HW5_DATA", raising=False)
    monkeypatch.delenv("HW5_STANDIN", raising=False)
    monkeypatch.setattr(data, "PROJECT_DATA", tmp_path / "project-data")
    monkeypatch.setattr(data, "PER_CLASS", SMALL)
    return tmp_path


def write_real_format(folder, per_class, seed=0):
    """Files in the course's format, written the way MATLAB users would: with scipy.io.savemat."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for split in data.SPLITS:
        labels = np.repeat(np.arange(36), per_class[split])
        images = np.ones((len(labels), 1024))
        images[:, 300:700] = rng.uniform(-0.05, 0.3, (len(labels), 400))  # a band of ink
        one_hot = np.eye(36, dtype=np.uint8)[labels]
        scipy.io.savemat(folder / data.file_name(split), {f"{split}_data": images, f"{split}_labels": one_hot})
    return folder


# ---------------------------------------------------------------- format identity (full size)


def test_standin_and_real_format_files_load_alike(tmp_path, monkeypatch, full_standin):
    monkeypatch.delenv("HW5_STANDIN", raising=False)
    real = data.load_nist36(folder=write_real_format(tmp_path / "real", data.PER_CLASS))
    assert real.source.startswith("real") and full_standin.is_standin
    for split in data.SPLITS:
        (rx, ry), (sx, sy) = real.split(split), full_standin.split(split)
        assert rx.shape == sx.shape == (36 * data.PER_CLASS[split], 1024)
        assert ry.shape == sy.shape == (36 * data.PER_CLASS[split], 36)
        assert rx.dtype == sx.dtype == np.float64 and ry.dtype == sy.dtype == np.uint8
        assert np.array_equal(np.argmax(ry, axis=1), np.argmax(sy, axis=1))  # same class order
        assert np.all(np.diff(np.argmax(sy, axis=1)) >= 0)  # sorted by class
        assert -0.3 < sx.min() < 0.05 and 0.95 < sx.max() < 1.3  # a few values just outside [0, 1]
        assert np.median(sx) > 0.95  # paper is white, ink is dark
        ink = (sx < 0.5).mean()
        assert 0.12 < ink < 0.30, f"ink covers {ink:.2f} of the stand-in's pixels; NIST36 is about 0.17"


def test_standin_characters_are_centred_like_nist(full_standin):
    images = full_standin.valid_data.reshape(-1, 32, 32).transpose(0, 2, 1) < 0.5
    rows, cols = np.nonzero(images.sum(axis=0))
    weights = images.sum(axis=0)[rows, cols]
    assert abs(np.average(rows, weights=weights) - 15.5) < 1.5
    assert abs(np.average(cols, weights=weights) - 15.5) < 1.5
    heights = images.any(axis=2).sum(axis=1)
    assert 20 <= np.median(heights) <= 28  # NIST36 letters: median 24 of 32 rows


# ---------------------------------------------------------------- determinism and the cache


def test_builds_are_identical_for_any_number_of_workers(isolated):
    one = data.build_standin(isolated / "a", SMALL, workers=1, progress=False)
    two = data.build_standin(isolated / "b", SMALL, workers=2, progress=False)
    for split in data.SPLITS:
        a, b = data.read_split(one / data.file_name(split), split), data.read_split(two / data.file_name(split), split)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_a_generator_change_invalidates_the_cache(isolated, monkeypatch, capsys):
    first = data.load_nist36(progress=False)
    assert "drawing the offline NIST36 stand-in" in capsys.readouterr().err
    again = data.load_nist36(progress=False)
    assert "drawing" not in capsys.readouterr().err and again.source == first.source
    source = open(synth.__file__, "rb").read()
    changed = isolated / "synth_changed.py"
    changed.write_bytes(source + b"\n# a comment added to the generator\n")
    monkeypatch.setattr(synth, "__file__", str(changed))
    rebuilt = data.load_nist36(progress=False)
    assert "drawing the offline NIST36 stand-in" in capsys.readouterr().err
    assert rebuilt.source != first.source
    # the draw is seeded by data.STANDIN_DRAW, not by the source: a comment changes nothing in it
    assert np.array_equal(rebuilt.train_data, first.train_data)
    changed.write_bytes(source + b"\nINK_CENTRE_SHIFT = 2.0\n")
    monkeypatch.setattr(synth, "INK_CENTRE_SHIFT", 2.0)
    moved = data.load_nist36(progress=False)
    assert "drawing the offline NIST36 stand-in" in capsys.readouterr().err
    assert moved.source not in (first.source, rebuilt.source)
    assert not np.array_equal(moved.train_data, first.train_data)


def test_the_key_follows_the_split_sizes(isolated, monkeypatch):
    key = data.standin_key()
    monkeypatch.setattr(data, "PER_CLASS", {"train": 4, "valid": 2, "test": 1})
    assert data.standin_key() != key


# ---------------------------------------------------------------- lookup order and switches


def test_lookup_order_and_the_standin_switch(isolated, monkeypatch, capsys):
    env_folder = write_real_format(isolated / "env", SMALL, seed=1)
    given = write_real_format(isolated / "given", SMALL, seed=2)
    monkeypatch.setenv("HW5_DATA", str(env_folder))
    assert data.load_nist36().source == f"real {env_folder}"
    assert data.load_nist36(folder=given).source == f"real {given}"
    forced = data.load_nist36(standin=True, progress=False)
    assert forced.is_standin
    monkeypatch.setenv("HW5_STANDIN", "1")
    assert data.load_nist36(progress=False).is_standin
    assert "using the offline stand-in" not in capsys.readouterr().err  # forced: nothing to explain


def test_the_standin_is_announced_once(isolated, capsys):
    data.load_nist36(progress=False)
    err = capsys.readouterr().err
    assert err.count("no real NIST36 files found, using the offline stand-in") == 1
    assert "hw5 data fetch" in err
    assert data.load_nist36(progress=False, quiet=True).is_standin
    assert capsys.readouterr().err == ""  # what the grade cells use: nbgrader zeroes a cell that writes to stderr


def test_real_files_required_but_absent(isolated):
    with pytest.raises(data.DataError, match=r"no real NIST36 files found in .*project-data.*fetch"):
        data.load_nist36(standin=False)


def test_a_folder_with_some_of_the_files(isolated):
    folder = write_real_format(isolated / "partial", SMALL)
    (folder / "nist36_test.mat").unlink()
    with pytest.raises(data.DataError, match="has nist36_train.mat, nist36_valid.mat but not nist36_test.mat"):
        data.load_nist36(folder=folder)


def test_an_empty_folder_given(isolated):
    (isolated / "empty").mkdir()
    with pytest.raises(data.DataError, match="holds none of nist36_train.mat"):
        data.load_nist36(folder=isolated / "empty")


# ---------------------------------------------------------------- bad files


def _write(path, **arrays):
    scipy.io.savemat(path, arrays)
    return path


def test_missing_file(tmp_path):
    with pytest.raises(data.DataError, match="does not exist"):
        data.read_split(tmp_path / "nist36_train.mat", "train")


def test_truncated_file(tmp_path):
    path = write_real_format(tmp_path, SMALL) / "nist36_valid.mat"
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(data.DataError, match=r"nist36_valid.mat could not be read as a MATLAB .mat file.*truncated"):
        data.read_split(path, "valid")


def test_not_a_mat_file(tmp_path):
    path = tmp_path / "nist36_train.mat"
    path.write_text("<html>404 not found</html>")
    with pytest.raises(data.DataError, match="could not be read as a MATLAB .mat file"):
        data.read_split(path, "train")


@pytest.mark.parametrize("arrays,message", [
    ({"data": np.ones((2, 1024)), "labels": np.eye(36)[:2]}, r"has no train_data or train_labels \(it holds \['data', 'labels'\]\)"),
    ({"train_data": np.ones((2, 1000)), "train_labels": np.eye(36)[:2]}, r"data has shape \(2, 1000\)"),
    ({"train_data": np.ones((2, 1024)), "train_labels": np.eye(26)[:2]}, r"labels have shape \(2, 26\)"),
    ({"train_data": np.ones((3, 1024)), "train_labels": np.eye(36)[:2]}, "3 images but 2 labels"),
    ({"train_data": np.ones((2, 1024)), "train_labels": np.ones((2, 36))}, "not one-hot"),
    ({"train_data": np.ones((2, 1024), dtype=np.uint8), "train_labels": np.eye(36)[:2]}, "floating point"),
])
def test_wrong_contents(tmp_path, arrays, message):
    path = _write(tmp_path / "nist36_train.mat", **arrays)
    with pytest.raises(data.DataError, match=message):
        data.read_split(path, "train")


# ---------------------------------------------------------------- fetching over HTTP (127.0.0.1 only)


def test_fetch_downloads_unzips_and_validates(isolated, web):
    root, base = web
    files = write_real_format(isolated / "zip-src", SMALL)
    with zipfile.ZipFile(root / "data.zip", "w") as archive:
        for split in data.SPLITS:
            archive.write(files / data.file_name(split), f"data/{data.file_name(split)}")
    dest = data.fetch_nist36(isolated / "fetched", url=f"{base}/data.zip", progress=False)
    loaded = data.load_nist36(folder=dest)
    assert loaded.source == f"real {dest}" and loaded.train_data.shape == (36 * SMALL["train"], 1024)


def test_fetch_of_a_wrong_archive(isolated, web):
    root, base = web
    with zipfile.ZipFile(root / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "not the data")
    with pytest.raises(data.DataError, match="did not contain nist36_train.mat"):
        data.fetch_nist36(isolated / "x", url=f"{base}/other.zip", progress=False)


def test_fetch_of_a_missing_address(isolated, web):
    _, base = web
    with pytest.raises(data.DataError, match=r"could not download .*missing.zip.*--url"):
        data.fetch_nist36(isolated / "x", url=f"{base}/missing.zip", progress=False)
