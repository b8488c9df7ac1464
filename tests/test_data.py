"""Tests for helpers.data: registry, verified fetch (cache, mirror, download), safe extraction, loaders."""

import copy
import gzip
import hashlib
import io
import os
import re
import stat
import tarfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpers import data

REPO = Path(__file__).resolve().parent.parent
REAL_MIRROR = Path(os.environ.get(data.MIRROR_ENV) or REPO.parent / "shared" / "data").resolve()
needs_mirror = pytest.mark.skipif(not REAL_MIRROR.is_dir(), reason=f"no dataset mirror ({data.MIRROR_ENV})")

HELLO = b"hello, world\n"
INNER = b"the member we want\n" * 10
REPACK = b"an accepted repack of big.tar.gz\n"


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def entry(name: str, content: bytes, url: str = "", **extra: Any) -> dict[str, Any]:
    return {"name": name, "bytes": len(content), "sha256": sha(content),
            "url": url or f"https://example.invalid/{name}", **extra}


def fake_registry(dataset: str, files: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schema_version": 1, "datasets": {dataset: {
        "directory": dataset, "title": dataset, "licence": "CC0", "source": "tests", "citation": "none",
        "files": files,
    }}}


TOY = fake_registry("toy", [
    entry("hello.txt", HELLO),
    entry("inner.txt", INNER, "https://example.invalid/pack.zip", member="pack/inner.txt"),
    entry("big.tar.gz", b"canonical bytes that no test has", equivalents=[
        {"name": "big_repack.tar.gz", "bytes": len(REPACK), "sha256": sha(REPACK)}]),
])


def part_files(root: Path) -> list[Path]:
    """Temporary files (helpers.files) and extraction folders left behind."""
    return [p for p in root.rglob("*") if ".tmp" in p.name or ".part-" in p.name or ".old-" in p.name]


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No network, no mirror from the environment, and a throw-away default cache."""
    def offline(*args: Any, **kwargs: Any) -> None:
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "env-cache"))


@pytest.fixture
def use_registry(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, Any]], None]:
    def install(fake: dict[str, Any]) -> None:
        monkeypatch.setattr(data, "_registry", lambda: copy.deepcopy(fake))
    return install


@pytest.fixture
def toy(use_registry: Callable[[dict[str, Any]], None], tmp_path: Path) -> dict[str, Path]:
    use_registry(TOY)
    (tmp_path / "mirror" / "toy").mkdir(parents=True)
    (tmp_path / "cache" / "toy").mkdir(parents=True)
    return {"mirror": tmp_path / "mirror", "cache": tmp_path / "cache"}


def serve(monkeypatch: pytest.MonkeyPatch, payloads: dict[str, bytes]) -> list[str]:
    """Make urllib.request.urlopen serve ``payloads`` by URL; return the list of requested URLs."""
    requested: list[str] = []

    def fake_urlopen(request: urllib.request.Request, timeout: float) -> io.BytesIO:
        requested.append(request.full_url)
        return io.BytesIO(payloads[request.full_url])

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    return requested


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def tar_file(name: str, content: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    return info, content


def tar_special(name: str, kind: bytes, target: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def make_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tf:
        for info, content in members:
            tf.addfile(info, io.BytesIO(content) if content is not None else None)
    return path


# --------------------------------------------------------------------------- fetch


def test_cache_hit_returns_without_touching_mirror_or_network(toy, capsys):
    (toy["cache"] / "toy" / "hello.txt").write_bytes(HELLO)
    (toy["mirror"] / "toy" / "hello.txt").write_bytes(b"corrupt bytes")  # would raise if read

    path = data.fetch("toy", "hello.txt", mirror=toy["mirror"], cache_dir=toy["cache"])

    assert path == toy["cache"] / "toy" / "hello.txt"
    assert capsys.readouterr().out == ""


def test_mirror_copy_is_verified_and_atomic(toy, tmp_path, monkeypatch, capsys):
    (toy["mirror"] / "toy" / "hello.txt").write_bytes(HELLO)
    replaced: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def spy(src: Path, dst: Path) -> None:
        replaced.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    path = data.fetch("toy", "hello.txt", mirror=toy["mirror"], cache_dir=toy["cache"])

    assert path.read_bytes() == HELLO
    out = capsys.readouterr().out
    assert out == "hello.txt: copied from the local mirror (checksum OK)\n"
    assert str(tmp_path) not in out
    [(src, dst)] = replaced
    assert dst == path and src.parent == path.parent and src.name.startswith(".hello.") and src.name.endswith(".tmp.txt")
    assert part_files(tmp_path) == []
    data.fetch("toy", "hello.txt", mirror=toy["mirror"], cache_dir=toy["cache"])
    assert capsys.readouterr().out == ""


def test_mirror_with_wrong_checksum_raises_with_advice(toy, tmp_path):
    (toy["mirror"] / "toy" / "hello.txt").write_bytes(b"hello, WORLD\n")

    with pytest.raises(data.ChecksumError) as error:
        data.fetch("toy", "hello.txt", mirror=toy["mirror"], cache_dir=toy["cache"])

    message = str(error.value)
    assert "toy/hello.txt" in message and "mirror's copy is corrupt" in message and "replace it" in message
    assert str(tmp_path) not in message
    assert not (toy["cache"] / "toy" / "hello.txt").exists()
    assert part_files(tmp_path) == []


def test_truncated_mirror_file_raises_truncated_error(toy, tmp_path):
    (toy["mirror"] / "toy" / "hello.txt").write_bytes(HELLO[:5])

    with pytest.raises(data.TruncatedFileError, match=r"hello\.txt.*5 bytes instead of 13"):
        data.fetch("toy", "hello.txt", mirror=toy["mirror"], cache_dir=toy["cache"])
    assert list((toy["cache"] / "toy").iterdir()) == []


def test_corrupted_cached_file_is_deleted_and_fetched_again(toy, capsys):
    cached = toy["cache"] / "toy" / "hello.txt"
    cached.write_bytes(b"HELLO, world\n")
    (toy["mirror"] / "toy" / "hello.txt").write_bytes(HELLO)

    path = data.fetch("toy", "hello.txt", mirror=toy["mirror"], cache_dir=toy["cache"])

    assert path == cached and cached.read_bytes() == HELLO
    first, second = capsys.readouterr().out.splitlines()
    assert first.startswith("hello.txt: the cached copy was corrupt (sha256 ")
    assert second == "hello.txt: copied from the local mirror (checksum OK)"


@pytest.mark.parametrize("with_mirror", [False, True])
def test_offline_without_the_file_raises_unavailable_with_advice(toy, tmp_path, capsys, with_mirror):
    mirror = toy["mirror"] if with_mirror else None

    with pytest.raises(data.DataUnavailableError) as error:
        data.fetch("toy", "hello.txt", mirror=mirror, cache_dir=toy["cache"])

    message = str(error.value)
    assert "toy/hello.txt" in message and "network disabled in tests" in message
    assert f"set {data.MIRROR_ENV} to a folder holding toy/hello.txt" in message
    assert ("the local mirror" in message) == with_mirror
    assert capsys.readouterr().out.endswith("... failed\n")
    assert part_files(tmp_path) == []


def test_download_streams_verifies_and_reports(toy, tmp_path, monkeypatch, capsys):
    requested = serve(monkeypatch, {"https://example.invalid/hello.txt": HELLO})

    path = data.fetch("toy", "hello.txt", cache_dir=toy["cache"])

    assert path.read_bytes() == HELLO
    assert requested == ["https://example.invalid/hello.txt"]
    assert capsys.readouterr().out == "hello.txt: downloading from example.invalid ... checksum OK\n"
    assert part_files(tmp_path) == []


def test_download_extracts_the_zip_member(toy, tmp_path, monkeypatch, capsys):
    archive = zip_bytes({"pack/": b"", "pack/other.txt": b"not this one", "pack/inner.txt": INNER})
    serve(monkeypatch, {"https://example.invalid/pack.zip": archive})

    path = data.fetch("toy", "inner.txt", cache_dir=toy["cache"])

    assert path == toy["cache"] / "toy" / "inner.txt" and path.read_bytes() == INNER
    assert capsys.readouterr().out == "inner.txt: downloading pack.zip from example.invalid ... checksum OK\n"
    assert sorted(p.name for p in (toy["cache"] / "toy").iterdir()) == ["inner.txt"]


@pytest.mark.parametrize(("payload", "error", "pattern"), [
    (HELLO[:5], data.TruncatedFileError,
     r"toy/hello\.txt: the download is corrupt \(5 bytes instead of 13\): run again"),
    (b"HELLO, WORLD\n", data.ChecksumError,
     r"toy/hello\.txt: the download is corrupt \(sha256 .*COURSE_DATA_MIRROR"),
])
def test_bad_download_raises_and_leaves_nothing(toy, tmp_path, monkeypatch, payload, error, pattern):
    serve(monkeypatch, {"https://example.invalid/hello.txt": payload})

    with pytest.raises(error, match=pattern):
        data.fetch("toy", "hello.txt", cache_dir=toy["cache"])
    assert list((toy["cache"] / "toy").iterdir()) == []


def test_truncated_zip_download_raises_truncated_error_naming_the_archive(toy, monkeypatch):
    archive = zip_bytes({"pack/inner.txt": INNER})
    serve(monkeypatch, {"https://example.invalid/pack.zip": archive[: len(archive) // 2]})

    with pytest.raises(data.TruncatedFileError, match=r"pack\.zip: the archive is truncated or corrupt"):
        data.fetch("toy", "inner.txt", cache_dir=toy["cache"])
    assert list((toy["cache"] / "toy").iterdir()) == []


def test_mirror_equivalent_is_accepted_and_then_cached(toy, tmp_path, capsys):
    (toy["mirror"] / "toy" / "big_repack.tar.gz").write_bytes(REPACK)

    path = data.fetch("toy", "big.tar.gz", mirror=toy["mirror"], cache_dir=toy["cache"])

    assert path == toy["cache"] / "toy" / "big_repack.tar.gz" and path.read_bytes() == REPACK
    assert "accepted in place of big.tar.gz" in capsys.readouterr().out
    assert data.fetch("toy", "big.tar.gz", mirror=tmp_path / "nowhere", cache_dir=toy["cache"]) == path
    assert capsys.readouterr().out == ""


def test_environment_variables_are_read_at_call_time(toy, tmp_path, monkeypatch):
    (toy["mirror"] / "toy" / "hello.txt").write_bytes(HELLO)
    monkeypatch.setenv(data.MIRROR_ENV, str(toy["mirror"]))
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "later-cache"))

    assert data.fetch("toy", "hello.txt") == tmp_path / "later-cache" / "toy" / "hello.txt"


def test_unknown_names_list_the_valid_ones(toy):
    with pytest.raises(ValueError, match=r"unknown dataset 'nope'; valid names: toy"):
        data.fetch("nope", "hello.txt")
    with pytest.raises(ValueError, match=r"valid names: hello\.txt, inner\.txt, big\.tar\.gz"):
        data.fetch("toy", "nope.txt")


# --------------------------------------------------------------------------- safe_extract


def test_safe_extract_extracts_selected_members_once(tmp_path):
    archive = make_tar(tmp_path / "a.tar.gz", [
        tar_file("pkg/a.txt", b"A"), tar_file("pkg/b.bin", b"B"), tar_file("pkg/sub/c.txt", b"C"),
    ])
    dest = tmp_path / "out"

    assert data._safe_extract(archive, dest, members=lambda name: name.endswith(".txt")) == dest
    assert (dest / "pkg" / "a.txt").read_bytes() == b"A" and (dest / "pkg" / "sub" / "c.txt").read_bytes() == b"C"
    assert not (dest / "pkg" / "b.bin").exists()

    (dest / "pkg" / "a.txt").write_bytes(b"edited")  # a complete extraction is not redone ...
    data._safe_extract(archive, dest)
    assert (dest / "pkg" / "a.txt").read_bytes() == b"edited"

    make_tar(archive, [tar_file("pkg/a.txt", b"new")])  # ... unless the archive changed
    data._safe_extract(archive, dest)
    assert (dest / "pkg" / "a.txt").read_bytes() == b"new" and not (dest / "pkg" / "sub").exists()
    assert part_files(tmp_path) == []


def test_safe_extract_handles_zip(tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(zip_bytes({"spa-eng/": b"", "spa-eng/spa.txt": b"Go.\tVe.\n"}))

    data._safe_extract(archive, tmp_path / "out")

    assert (tmp_path / "out" / "spa-eng" / "spa.txt").read_bytes() == b"Go.\tVe.\n"


@pytest.mark.parametrize(("member", "why"), [
    (tar_file("../evil.txt", b"x"), "contains '..'"),
    (tar_file("pkg/../../evil.txt", b"x"), "contains '..'"),
    (tar_file("/tmp/evil.txt", b"x"), "absolute path"),
    (tar_special("pkg/link", tarfile.SYMTYPE, "../../evil.txt"), "symbolic link"),
    (tar_special("pkg/hard", tarfile.LNKTYPE, "../../evil.txt"), "hard link"),
    (tar_special("pkg/dev", tarfile.CHRTYPE), "device"),
])
def test_safe_extract_refuses_unsafe_tar_members(tmp_path, member, why):
    archive = make_tar(tmp_path / "evil.tar.gz", [tar_file("pkg/ok.txt", b"ok"), member])
    dest = tmp_path / "x" / "out"

    pattern = rf"evil\.tar\.gz: refusing to extract member '{re.escape(member[0].name)}'.*{why}"
    with pytest.raises(data.DataError, match=pattern):
        data._safe_extract(archive, dest)
    assert not dest.exists() and not (tmp_path / "evil.txt").exists()
    assert [p.name for p in (tmp_path / "x").iterdir()] == []


@pytest.mark.parametrize(("name", "mode", "why"), [
    ("../evil.txt", stat.S_IFREG, "contains '..'"),
    ("/evil.txt", stat.S_IFREG, "absolute path"),
    ("link", stat.S_IFLNK, "symbolic link"),
])
def test_safe_extract_refuses_unsafe_zip_members(tmp_path, name, mode, why):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo(name)
        info.external_attr = (mode | 0o644) << 16
        zf.writestr(info, "../evil.txt")

    with pytest.raises(data.DataError, match=rf"refusing to extract member '{re.escape(name)}'.*{why}"):
        data._safe_extract(archive, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.zip"]


@pytest.mark.parametrize("cut", ["middle of the data", "middle of a header"])
def test_safe_extract_raises_truncated_error_for_cut_archives(tmp_path, cut):
    noise = np.random.default_rng(0).bytes(40_000)  # incompressible, so the gzip stream is long
    full = make_tar(tmp_path / "full.tar", [tar_file("a.bin", noise), tar_file("b.bin", noise)], mode="w")
    raw = full.read_bytes()
    if cut == "middle of the data":
        archive = tmp_path / "cut.tar.gz"
        packed = gzip.compress(raw)
        archive.write_bytes(packed[: len(packed) // 2])
    else:  # b.bin's header starts at 512 + 40,448; stop 100 bytes into it
        archive = tmp_path / "cut.tar"
        archive.write_bytes(raw[: 512 + 40_448 + 100])

    with pytest.raises(data.TruncatedFileError, match=rf"{archive.name}: the archive is truncated or corrupt"):
        data._safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() and part_files(tmp_path) == []


def test_safe_extract_raises_truncated_error_for_garbage(tmp_path):
    archive = tmp_path / "garbage.tgz"
    archive.write_bytes(b"this is not an archive" * 100)

    with pytest.raises(data.TruncatedFileError, match=r"garbage\.tgz"):
        data._safe_extract(archive, tmp_path / "out")


# --------------------------------------------------------------------------- loaders on tiny fakes


def idx_gz(magic: int, array: np.ndarray) -> bytes:
    header = np.array([magic, *array.shape], dtype=">u4").tobytes()
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def test_load_fashion_mnist_parses_idx_files(use_registry, tmp_path):
    rng = np.random.default_rng(1)
    arrays = {"train": (rng.integers(0, 256, (3, 28, 28)), np.array([9, 0, 3])),
              "t10k": (rng.integers(0, 256, (2, 28, 28)), np.array([1, 2]))}
    files = {}
    for prefix, (images, labels) in arrays.items():
        files[f"{prefix}-images-idx3-ubyte.gz"] = idx_gz(2051, images)
        files[f"{prefix}-labels-idx1-ubyte.gz"] = idx_gz(2049, labels)
    use_registry(fake_registry("fashion_mnist", [entry(name, content) for name, content in files.items()]))
    for name, content in files.items():
        (tmp_path / "mirror" / "fashion_mnist").mkdir(parents=True, exist_ok=True)
        (tmp_path / "mirror" / "fashion_mnist" / name).write_bytes(content)

    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist(mirror=tmp_path / "mirror")

    assert x_train.dtype == np.uint8 and x_train.shape == (3, 28, 28) and x_test.shape == (2, 28, 28)
    np.testing.assert_array_equal(x_train, arrays["train"][0])
    assert y_train.tolist() == [9, 0, 3] and y_test.tolist() == [1, 2] and y_test.dtype == np.uint8
    assert len(data.FASHION_MNIST_CLASSES) == 10 and data.FASHION_MNIST_CLASSES[9] == "Ankle boot"


def test_load_fashion_mnist_rejects_a_wrong_magic_number(use_registry, tmp_path):
    files = {f"{prefix}-{kind}-ubyte.gz": idx_gz(2049, np.zeros(2)) for prefix in ("train", "t10k")
             for kind in ("images-idx3", "labels-idx1")}
    use_registry(fake_registry("fashion_mnist", [entry(name, content) for name, content in files.items()]))
    (tmp_path / "mirror" / "fashion_mnist").mkdir(parents=True)
    for name, content in files.items():
        (tmp_path / "mirror" / "fashion_mnist" / name).write_bytes(content)

    with pytest.raises(data.DataError, match=r"train-images-idx3-ubyte\.gz: not a valid IDX file .* 2051"):
        data.load_fashion_mnist(mirror=tmp_path / "mirror")


def test_load_spa_eng_strips_and_skips_blank_lines(use_registry, tmp_path):
    content = b"Go.\tVe.\n\n  Hi. \t Hola. \n"
    use_registry(fake_registry("spa_eng", [entry("spa.txt", content)]))
    (tmp_path / "mirror" / "spa_eng").mkdir(parents=True)
    (tmp_path / "mirror" / "spa_eng" / "spa.txt").write_bytes(content)

    assert data.load_spa_eng(mirror=tmp_path / "mirror") == [("Go.", "Ve."), ("Hi.", "Hola.")]


@pytest.mark.parametrize("variant", ["canonical", "equivalent"])
def test_load_imdb_reads_a_small_tarball_in_order_and_extracts_once(use_registry, tmp_path, monkeypatch, variant):
    reviews = {"train/neg/10_2.txt": "worst", "train/neg/2_1.txt": "bad", "train/pos/1_9.txt": "great ✓",
               "test/neg/0_3.txt": "meh", "test/pos/5_8.txt": "good", "test/pos/3_7.txt": "fine"}
    archive = make_tar(tmp_path / "fake.tar.gz", [
        tar_file("aclImdb/README", b"readme"), tar_file("aclImdb/imdb.vocab", b"the"),
        tar_file("aclImdb/train/unsup/0_0.txt", b"unlabelled"),
        *(tar_file(f"aclImdb/{name}", text.encode()) for name, text in reviews.items()),
    ])
    content = archive.read_bytes()
    name = "aclImdb_v1.tar.gz" if variant == "canonical" else "repack.tar.gz"
    canonical = entry("aclImdb_v1.tar.gz", content if variant == "canonical" else b"elsewhere", equivalents=[
        {"name": "repack.tar.gz", "bytes": len(content), "sha256": sha(content)}])
    use_registry(fake_registry("imdb", [canonical]))
    (tmp_path / "mirror" / "imdb").mkdir(parents=True)
    (tmp_path / "mirror" / "imdb" / name).write_bytes(content)
    cache = tmp_path / "cache"

    imdb = data.load_imdb(mirror=tmp_path / "mirror", cache_dir=cache)

    assert imdb.train_texts == ["bad", "worst", "great ✓"] and imdb.train_labels.tolist() == [0, 0, 1]
    assert imdb.test_texts == ["meh", "fine", "good"] and imdb.test_labels.tolist() == [0, 1, 1]
    assert imdb.train_labels.dtype == np.int64
    extracted = cache / "imdb" / "aclImdb_extracted" / "aclImdb"
    assert (extracted / "README").exists() and not (extracted / "train" / "unsup").exists()
    assert not (extracted / "imdb.vocab").exists()
    assert repr(imdb) == "ImdbData(train=3 reviews, test=3 reviews)"

    def no_extraction(archive: Path) -> None:
        raise AssertionError("extracted again")

    monkeypatch.setattr(data, "_entries", no_extraction)
    assert data.load_imdb(mirror=tmp_path / "mirror", cache_dir=cache).test_texts == imdb.test_texts


# --------------------------------------------------------------------------- the real registry


def test_registry_schema():
    datasets = data._registry()["datasets"]
    assert list(datasets) == ["shakespeare", "fashion_mnist", "spa_eng", "imdb"]
    for key, dataset in datasets.items():
        assert dataset["directory"] == key
        assert all(isinstance(dataset[field], str) and dataset[field] for field in ("licence", "source", "citation"))
        for file in dataset["files"]:
            assert set(file) <= {"name", "bytes", "sha256", "url", "member", "equivalents"}
            assert file["url"].startswith("https://") and isinstance(file["bytes"], int)
            for variant in [file, *file.get("equivalents", [])]:
                assert re.fullmatch(r"[0-9a-f]{64}", variant["sha256"]) and variant["bytes"] > 0


@needs_mirror
def test_registry_matches_the_mirror():
    sums = dict(line.split()[::-1] for line in (REAL_MIRROR / "SHA256SUMS").read_text().splitlines() if line)
    for dataset in data._registry()["datasets"].values():
        for file in dataset["files"]:
            variants = [file, *file.get("equivalents", [])]
            present = [v for v in variants if f"{dataset['directory']}/{v['name']}" in sums]
            assert present, f"no copy of {file['name']} in the mirror"
            for v in present:
                path = f"{dataset['directory']}/{v['name']}"
                assert sums[path] == v["sha256"] and (REAL_MIRROR / path).stat().st_size == v["bytes"]


# --------------------------------------------------------------------------- loaders on the real mirror


@pytest.fixture(scope="module")
def real_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("real-cache")


@needs_mirror
def test_real_shakespeare(real_cache):
    text = data.load_shakespeare(mirror=REAL_MIRROR, cache_dir=real_cache)
    assert len(text) == 1_115_394 and text.startswith("First Citizen:")


@needs_mirror
def test_real_fashion_mnist(real_cache):
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist(mirror=REAL_MIRROR, cache_dir=real_cache)
    assert x_train.shape == (60_000, 28, 28) and x_test.shape == (10_000, 28, 28)
    assert y_train.shape == (60_000,) and y_test.shape == (10_000,) and x_train.dtype == np.uint8
    assert y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert np.bincount(y_test).tolist() == [1_000] * 10


@needs_mirror
def test_real_spa_eng(real_cache):
    pairs = data.load_spa_eng(mirror=REAL_MIRROR, cache_dir=real_cache)
    assert len(pairs) == 118_964 and pairs[0] == ("Go.", "Ve.")
    assert pairs[-1][0].startswith("If you want to sound like a native speaker")


@pytest.mark.slow  # about 10 s on 2 cores: copies and extracts the 84 MB archive
@needs_mirror
def test_real_imdb_and_the_second_call_uses_the_cache(real_cache, monkeypatch, capsys):
    imdb = data.load_imdb(mirror=REAL_MIRROR, cache_dir=real_cache)
    assert len(imdb.train_texts) == len(imdb.test_texts) == 25_000
    assert int(imdb.train_labels.sum()) == int(imdb.test_labels.sum()) == 12_500
    assert imdb.train_labels[0] == 0 and imdb.test_labels[-1] == 1
    assert "copied from the local mirror" in capsys.readouterr().out
    marker = real_cache / "imdb" / "aclImdb_extracted" / ".complete"
    stamp = marker.stat().st_mtime_ns

    def must_not_run(*args, **kwargs):
        raise AssertionError("the second load must use the cache, not copy or extract again")

    read: list[Path] = []
    monkeypatch.setattr(data.shutil, "copyfile", must_not_run)  # no copy from the mirror
    monkeypatch.setattr(data, "_entries", must_not_run)         # no archive opened
    monkeypatch.setattr(data, "_read_imdb_split", lambda folder: read.append(folder) or ([], np.zeros(0)))
    data.load_imdb(mirror=REAL_MIRROR, cache_dir=real_cache)
    assert capsys.readouterr().out == "" and marker.stat().st_mtime_ns == stamp
    assert read == [marker.parent / "aclImdb" / "train", marker.parent / "aclImdb" / "test"]  # the same folder
