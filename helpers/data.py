"""Dataset registry, verified downloads and loaders for the course's four datasets."""

import contextlib
import functools
import gzip
import hashlib
import http.client
import importlib.resources
import json
import math
import os
import re
import secrets
import shutil
import ssl
import stat
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

import numpy as np

from helpers import files
from helpers.files import PathLike

__all__ = [
    "CACHE_ENV",
    "DEFAULT_CACHE_DIR",
    "FASHION_MNIST_CLASSES",
    "MIRROR_ENV",
    "ChecksumError",
    "DataError",
    "DataUnavailableError",
    "ImdbData",
    "TruncatedFileError",
    "fetch",
    "load_fashion_mnist",
    "load_imdb",
    "load_shakespeare",
    "load_spa_eng",
]

MIRROR_ENV = "COURSE_DATA_MIRROR"
CACHE_ENV = "COURSE_CACHE_DIR"
DEFAULT_CACHE_DIR = "~/.cache/keras-course"
_DOWNLOAD_TIMEOUT_S = 60

FASHION_MNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]

_CHUNK = 1 << 20
_COMPLETE_MARKER = ".complete"
_NETWORK_ERRORS = (
    urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, ssl.SSLError,
)
_ARCHIVE_ERRORS = (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, gzip.BadGzipFile)
_IMDB_MEMBERS = re.compile(r"aclImdb/(?:README|(?:train|test)/(?:pos|neg)/\d+_\d+\.txt)")


class DataError(Exception):
    """A dataset file is missing, corrupt or unsafe; the message names the file and what to do."""


class ChecksumError(DataError):
    """A file's size or sha256 differs from the registry."""


class TruncatedFileError(DataError):
    """A file is shorter than the registry says, or an archive ends early or is corrupt."""


class DataUnavailableError(DataError):
    """A file could not be downloaded and no local mirror holds it."""


# --------------------------------------------------------------------------- registry


def _registry() -> dict[str, Any]:
    """Return the parsed dataset registry (``data/registry.json``, installed as ``helpers.registry``).

    >>> _registry()["datasets"]["shakespeare"]["files"][0]["bytes"]
    1115394
    """
    try:
        source = importlib.resources.files("helpers.registry") / "registry.json"
    except ModuleNotFoundError:  # running from a source tree that is not pip-installed
        source = Path(__file__).resolve().parent.parent / "data" / "registry.json"
    parsed: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return parsed


@dataclass(frozen=True)
class _Variant:
    """One acceptable byte sequence for a registry file."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class _FileSpec:
    """A registry file: its canonical bytes, where to download them, and accepted equivalents."""

    directory: str
    canonical: _Variant
    url: str
    member: str | None
    equivalents: tuple[_Variant, ...]

    @property
    def name(self) -> str:
        return self.canonical.name

    @property
    def variants(self) -> tuple[_Variant, ...]:
        return (self.canonical, *self.equivalents)

    def wanted(self) -> str:
        """The mirror paths that would satisfy this file, e.g. ``imdb/a.tar.gz or imdb/b.tar.gz``."""
        return " or ".join(f"{self.directory}/{v.name}" for v in self.variants)


def _lookup(dataset: str, filename: str) -> _FileSpec:
    datasets = _registry()["datasets"]
    if dataset not in datasets:
        raise ValueError(f"unknown dataset {dataset!r}; valid names: {', '.join(datasets)}")
    entry = datasets[dataset]
    names = [file["name"] for file in entry["files"]]
    if filename not in names:
        raise ValueError(f"dataset {dataset!r} has no file {filename!r}; valid names: {', '.join(names)}")
    file = entry["files"][names.index(filename)]
    return _FileSpec(
        directory=entry["directory"],
        canonical=_Variant(file["name"], file["bytes"], file["sha256"]),
        url=file["url"],
        member=file.get("member"),
        equivalents=tuple(_Variant(e["name"], e["bytes"], e["sha256"]) for e in file.get("equivalents", [])),
    )


# --------------------------------------------------------------------------- fetch


def _cache_root(cache_dir: PathLike | None) -> Path:
    return Path(cache_dir or os.environ.get(CACHE_ENV) or DEFAULT_CACHE_DIR).expanduser()


def _mirror_root(mirror: PathLike | None) -> Path | None:
    value = mirror or os.environ.get(MIRROR_ENV)
    return Path(value).expanduser() if value else None


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _problem(path: Path, expected: _Variant) -> tuple[type[DataError], str] | None:
    """Compare ``path`` with ``expected`` (size first, then sha256); describe the mismatch, if any."""
    size = path.stat().st_size
    if size != expected.size:
        error = TruncatedFileError if size < expected.size else ChecksumError
        return error, f"{size:,} bytes instead of {expected.size:,}"
    digest = _sha256(path)
    if digest != expected.sha256:
        return ChecksumError, f"sha256 {digest[:12]}... instead of {expected.sha256[:12]}..."
    return None


def fetch(dataset: str, filename: str, *, mirror: PathLike | None = None,
          cache_dir: PathLike | None = None) -> Path:
    """Return the path of a verified copy of a registry file in the cache, fetching it if needed.

    Looks in the cache (``<cache>/<directory>/<file>``), then in the local mirror
    (``$COURSE_DATA_MIRROR/<directory>/<file>`` or an accepted equivalent), then downloads it.
    The returned file's name is the canonical one, or an equivalent's when the mirror supplied that.

    >>> fetch("shakespeare", "shakespeare.txt").name
    'shakespeare.txt'
    """
    spec = _lookup(dataset, filename)
    folder = _cache_root(cache_dir) / spec.directory
    cached = _from_cache(spec, folder)
    if cached is not None:
        return cached
    folder.mkdir(parents=True, exist_ok=True)
    mirror_root = _mirror_root(mirror)
    if mirror_root is not None:
        copied = _from_mirror(spec, mirror_root / spec.directory, folder)
        if copied is not None:
            return copied
    return _download(spec, folder, mirror_root)


def _from_cache(spec: _FileSpec, folder: Path) -> Path | None:
    for variant in spec.variants:
        path = folder / variant.name
        if not path.is_file():
            continue
        problem = _problem(path, variant)
        if problem is None:
            return path
        path.unlink()
        print(f"{variant.name}: the cached copy was corrupt ({problem[1]}); deleted it, fetching it again")
    return None


def _from_mirror(spec: _FileSpec, source_dir: Path, folder: Path) -> Path | None:
    for variant in spec.variants:
        source = source_dir / variant.name
        if not source.is_file():
            continue
        target = folder / variant.name
        with files.atomic_path(target) as tmp:  # published under its name only once verified
            shutil.copyfile(source, tmp)
            problem = _problem(tmp, variant)
            if problem is not None:
                error, detail = problem
                raise error(
                    f"{spec.directory}/{variant.name}: the mirror's copy is corrupt ({detail}): replace it "
                    f"with a good copy (sha256 {variant.sha256}), or unset {MIRROR_ENV} to download it"
                )
        note = "" if variant == spec.canonical else f"; accepted in place of {spec.name}"
        print(f"{variant.name}: copied from the local mirror (checksum OK{note})")
        return target
    return None


def _download(spec: _FileSpec, folder: Path, mirror_root: Path | None) -> Path:
    url = urllib.parse.urlsplit(spec.url)
    archive_name = PurePosixPath(url.path).name
    what = f"{archive_name} " if spec.member else ""
    print(f"{spec.name}: downloading {what}from {url.netloc} ...", end=" ", flush=True)
    target = folder / spec.name
    try:
        with files.atomic_path(target) as tmp:  # published under its name only once verified
            if spec.member is None:
                _stream(spec, tmp, mirror_root)
            else:
                with files.temporary_path(folder / archive_name) as archive:  # never kept
                    _stream(spec, archive, mirror_root)
                    _extract_member(archive, archive_name, spec.member, tmp)
            problem = _problem(tmp, spec.canonical)
            if problem is not None:
                error, detail = problem
                raise error(
                    f"{spec.directory}/{spec.name}: the download is corrupt ({detail}): run again; if it "
                    f"fails again, the file at {spec.url} has changed: set {MIRROR_ENV} to a folder "
                    f"holding {spec.wanted()}"
                )
    except BaseException:
        print("failed")
        raise
    print("checksum OK")
    return target


def _stream(spec: _FileSpec, out: Path, mirror_root: Path | None) -> None:
    """Download ``spec.url`` into the new file ``out``; network failures become DataUnavailableError."""
    request = urllib.request.Request(spec.url, headers={"User-Agent": "keras-course-helpers"})
    try:
        with urllib.request.urlopen(request, timeout=_DOWNLOAD_TIMEOUT_S) as response, out.open("xb") as dst:
            shutil.copyfileobj(response, dst, _CHUNK)
    except _NETWORK_ERRORS as exc:
        if isinstance(exc, urllib.error.HTTPError):
            reason = f"HTTP {exc.code} {exc.reason}"
        else:
            reason = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
        if mirror_root is None:
            where = f"{MIRROR_ENV} is not set"
        elif mirror_root.is_dir():
            where = f"the local mirror ({MIRROR_ENV}) has no {spec.wanted()}"
        else:
            where = f"the folder named by {MIRROR_ENV} does not exist"
        raise DataUnavailableError(
            f"{spec.directory}/{spec.name}: could not download it from {spec.url} ({reason}) and {where}. "
            f"Connect to the internet, or set {MIRROR_ENV} to a folder holding {spec.wanted()}."
        ) from exc


def _extract_member(archive: Path, label: str, member: str, out: Path) -> None:
    """Copy the regular file ``member`` of the zip/tar ``archive`` into the new file ``out``."""
    with _archive_errors(label), contextlib.closing(_entries(archive)) as entries:
        for entry in entries:
            if entry.name == member and entry.kind == "file":
                with entry.open() as src, out.open("xb") as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
                return
    raise DataError(f"{label}: the archive has no file {member!r}; the download has changed: "
                    f"set {MIRROR_ENV} to a folder holding the file instead")


# --------------------------------------------------------------------------- archives


@dataclass(frozen=True)
class _Entry:
    """An archive member: its stored name, a kind (file, dir, symbolic link, ...) and an opener."""

    name: str
    kind: str
    open: Callable[[], IO[bytes]]


def _entries(archive: Path) -> Generator[_Entry, None, None]:
    """Yield the members of a zip or (optionally compressed) tar archive, in stored order."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                yield _Entry(info.filename, _zip_kind(info), functools.partial(zf.open, info))
        return
    with tarfile.open(archive, "r:*") as tf:
        for member in tf:
            yield _Entry(member.name, _tar_kind(member), functools.partial(_open_tar_member, tf, member))
        # tarfile stops quietly at a cut or garbled header; a complete archive ends with zero blocks.
        assert tf.fileobj is not None
        tf.fileobj.seek(tf.offset)
        if tf.fileobj.read(tarfile.BLOCKSIZE) != bytes(tarfile.BLOCKSIZE):
            raise tarfile.ReadError("the archive ends before its end-of-archive marker")


def _open_tar_member(tf: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    src = tf.extractfile(member)
    if src is None:  # only regular files are opened, and those always have data
        raise tarfile.ReadError(f"member {member.name!r} has no data")
    return src


def _zip_kind(info: zipfile.ZipInfo) -> str:
    file_type = stat.S_IFMT(info.external_attr >> 16)
    if info.is_dir() or file_type == stat.S_IFDIR:
        return "dir"
    if file_type in (0, stat.S_IFREG):
        return "file"
    return "symbolic link" if file_type == stat.S_IFLNK else "special file"


def _tar_kind(member: tarfile.TarInfo) -> str:
    if member.isfile():
        return "file"
    if member.isdir():
        return "dir"
    if member.issym():
        return "symbolic link"
    if member.islnk():
        return "hard link"
    return "device or special file"


@contextlib.contextmanager
def _archive_errors(label: str) -> Iterator[None]:
    """Turn the zip/tar/gzip errors of a cut or corrupt archive into TruncatedFileError."""
    try:
        yield
    except _ARCHIVE_ERRORS as exc:
        raise TruncatedFileError(
            f"{label}: the archive is truncated or corrupt ({exc}): delete it and fetch it again"
        ) from exc


def _safe_parts(entry: _Entry, label: str) -> tuple[str, ...]:
    """Return the path components of ``entry`` below the destination, or refuse an unsafe member."""
    name = entry.name
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        why = "it has an absolute path"
    elif "\\" in name:
        why = "its name contains a backslash"
    elif ".." in name.split("/"):
        why = "its path contains '..'"
    elif entry.kind not in ("file", "dir"):
        why = f"it is a {entry.kind}"
    else:
        return tuple(part for part in name.split("/") if part not in ("", "."))
    raise DataError(f"{label}: refusing to extract member {name!r} ({why}): the archive is unsafe; "
                    "delete it and get a good copy")


def _marker_text(archive: Path, digest: str) -> str:
    return json.dumps({"archive": archive.name, "sha256": digest})


def _safe_extract(archive: PathLike, dest: PathLike, *,
                 members: Callable[[str], bool] | None = None) -> Path:
    """Extract a .zip/.tar/.tar.gz/.tgz archive into ``dest`` safely and atomically; return ``dest``.

    Members with absolute paths, ``..`` components, links or device types are refused
    (DataError naming the member); a cut or corrupt archive raises TruncatedFileError.
    Only members whose name satisfies ``members`` (when given) are checked and extracted.
    Extraction goes to a temporary folder next to ``dest`` that is then renamed; ``dest``
    holds a ``.complete`` marker recording the archive's sha256, and a later call with the
    same archive returns at once.

    >>> with zipfile.ZipFile("pairs.zip", "w") as zf:
    ...     zf.writestr("spa-eng/spa.txt", "Go. Ve.")
    ...     zf.writestr("spa-eng/_about.html", "<p>skipped</p>")
    >>> _safe_extract("pairs.zip", "pairs", members=lambda name: name.endswith(".txt"))
    PosixPath('pairs')
    >>> sorted(p.name for p in Path("pairs/spa-eng").iterdir())
    ['spa.txt']
    """
    archive, dest = Path(archive), Path(dest)
    marker = _marker_text(archive, _sha256(archive))
    with contextlib.suppress(OSError):
        if (dest / _COMPLETE_MARKER).read_text(encoding="utf-8") == marker:
            return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    tmp = dest.with_name(f".{dest.name}.part-{token}")
    try:
        tmp.mkdir()
        made: set[Path] = {tmp}
        with _archive_errors(archive.name), contextlib.closing(_entries(archive)) as entries:
            for entry in entries:
                if members is not None and not members(entry.name):
                    continue
                parts = _safe_parts(entry, archive.name)
                if not parts:
                    continue
                target = tmp.joinpath(*parts)
                folder = target if entry.kind == "dir" else target.parent
                if folder not in made:
                    folder.mkdir(parents=True, exist_ok=True)
                    made.add(folder)
                if entry.kind == "file":
                    with entry.open() as src, target.open("wb") as dst:
                        shutil.copyfileobj(src, dst)
        (tmp / _COMPLETE_MARKER).write_text(marker, encoding="utf-8")
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old-{token}")
            dest.rename(old)
            tmp.rename(dest)
            shutil.rmtree(old)
        else:
            tmp.rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


# --------------------------------------------------------------------------- loaders


def load_shakespeare(*, mirror: PathLike | None = None, cache_dir: PathLike | None = None) -> str:
    """Return the Tiny Shakespeare text (1,115,394 characters).

    >>> load_shakespeare()[:14]
    'First Citizen:'
    """
    path = fetch("shakespeare", "shakespeare.txt", mirror=mirror, cache_dir=cache_dir)
    return path.read_bytes().decode("utf-8")


def _read_idx(path: Path, magic: int, ndim: int) -> np.ndarray:
    """Parse a gzipped IDX file of unsigned bytes with ``ndim`` dimensions."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    header = 4 * (1 + ndim)
    if len(raw) >= header:
        found, *shape = (int(n) for n in np.frombuffer(raw, dtype=">u4", count=1 + ndim))
        if found == magic and len(raw) == header + math.prod(shape):
            return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()
    raise DataError(f"{path.name}: not a valid IDX file with magic number {magic}: "
                    f"delete {path.name} from the cache and run again")


def load_fashion_mnist(
    *, mirror: PathLike | None = None, cache_dir: PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return ``(x_train, y_train), (x_test, y_test)`` like ``keras.datasets.fashion_mnist.load_data()``.

    Images are uint8 arrays of shape (N, 28, 28), labels uint8 arrays of shape (N,);
    ``FASHION_MNIST_CLASSES[label]`` names a label.

    >>> (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    >>> x_train.shape, y_test.shape
    ((60000, 28, 28), (10000,))
    """
    def split(prefix: str) -> tuple[np.ndarray, np.ndarray]:
        paths = [fetch("fashion_mnist", f"{prefix}-{kind}-ubyte.gz", mirror=mirror, cache_dir=cache_dir)
                 for kind in ("images-idx3", "labels-idx1")]
        images, labels = _read_idx(paths[0], 2051, 3), _read_idx(paths[1], 2049, 1)
        if images.shape[1:] != (28, 28) or len(images) != len(labels):
            raise DataError(f"{prefix}: images {images.shape} do not match labels {labels.shape}: "
                            f"delete the {prefix}-* files from the cache and run again")
        return images, labels

    return split("train"), split("t10k")


def load_spa_eng(*, mirror: PathLike | None = None,
                 cache_dir: PathLike | None = None) -> list[tuple[str, str]]:
    """Return the (English, Spanish) sentence pairs of ``spa.txt`` in file order (118,964 pairs).

    >>> load_spa_eng()[0]
    ('Go.', 'Ve.')
    """
    path = fetch("spa_eng", "spa.txt", mirror=mirror, cache_dir=cache_dir)
    pairs = []
    for number, line in enumerate(path.read_bytes().decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        columns = line.split("\t")
        if len(columns) < 2:
            raise DataError(f"spa.txt: line {number} has no tab-separated Spanish column: "
                            "delete spa.txt from the cache and run again")
        pairs.append((columns[0].strip(), columns[1].strip()))
    return pairs


@dataclass(frozen=True, eq=False)
class ImdbData:
    """The labelled IMDb reviews: texts and int64 labels (0 negative, 1 positive) per split."""

    train_texts: list[str]
    train_labels: np.ndarray
    test_texts: list[str]
    test_labels: np.ndarray

    def __repr__(self) -> str:
        return f"ImdbData(train={len(self.train_texts):,} reviews, test={len(self.test_texts):,} reviews)"


def _read_imdb_split(folder: Path) -> tuple[list[str], np.ndarray]:
    """Read ``folder/{neg,pos}/<id>_<rating>.txt``: neg then pos, each by numeric id."""
    texts: list[str] = []
    labels: list[int] = []
    for label, sentiment in enumerate(("neg", "pos")):
        names = sorted(os.listdir(folder / sentiment), key=lambda name: int(name.split("_", 1)[0]))
        for name in names:
            with open(folder / sentiment / name, "rb") as f:
                texts.append(f.read().decode("utf-8"))
        labels.extend([label] * len(names))
    return texts, np.array(labels, dtype=np.int64)


def load_imdb(*, mirror: PathLike | None = None, cache_dir: PathLike | None = None) -> ImdbData:
    """Return the 25,000 train and 25,000 test IMDb reviews with their labels.

    The reviews are extracted once into ``<cache>/imdb/aclImdb_extracted/``; later calls only
    read them. Order: negatives then positives, each sorted by numeric review id.

    Not run as a doctest (it reads 50,000 files); ``tests/test_data.py`` runs it, marked slow:

    >>> imdb = load_imdb()  # doctest: +SKIP
    >>> len(imdb.train_texts), int(imdb.train_labels.sum())  # doctest: +SKIP
    (25000, 12500)
    """
    archive = fetch("imdb", "aclImdb_v1.tar.gz", mirror=mirror, cache_dir=cache_dir)
    root = _safe_extract(archive, archive.parent / "aclImdb_extracted",
                        members=lambda name: _IMDB_MEMBERS.fullmatch(name) is not None) / "aclImdb"
    train_texts, train_labels = _read_imdb_split(root / "train")
    test_texts, test_labels = _read_imdb_split(root / "test")
    return ImdbData(train_texts, train_labels, test_texts, test_labels)
