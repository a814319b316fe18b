"""Build AWS Lambda deployment zips for an exporter worker (``make lambda``).

For one Lambda Python runtime (``--python-version``, default 3.12) and each architecture
(``--arch``, default x86_64 and arm64) it writes, under ``--out`` (default ``dist/lambda``):

* ``exporter-worker-py{V}-{arch}.zip`` — a function package: the ``exporter`` package and what
  it needs at runtime (pyarrow), plus the example handlers (``lambda_worker.handler``,
  ``lambda_orchestrator.handler``) at the root;
* ``exporter-worker-layer-py{V}-{arch}.zip`` — the same dependencies shaped as a layer
  (``python/…``), for functions whose own zip holds only their handler.

boto3 is left out: every Lambda Python runtime has it. The dependencies come from manylinux
wheels for the runtime's glibc (Amazon Linux 2, glibc 2.26, for Python 3.11; Amazon Linux 2023,
glibc 2.34, for 3.12 and later), installed with ``pip install --platform … --only-binary=:all:``,
then stripped of what a worker never loads: tests, caches, C/Cython sources and headers, and
pyarrow's Flight, S3-filesystem, ORC, HDFS/GCS/Azure and Parquet-encryption modules with the
shared libraries only they need (found by reading each kept extension's ELF ``DT_NEEDED``).

Each zip's zipped and unzipped size is printed against Lambda's limits (50 MB zipped for a direct
upload, 250 MB unzipped with all layers; override with ``--max-zipped``/``--max-unzipped`` or
``ARA_LAMBDA_MAX_ZIPPED``/``ARA_LAMBDA_MAX_UNZIPPED``, in bytes); a zip over a limit fails the
build (exit 1, one line). Downloaded wheels are cached under ``--cache`` (default
``dist/lambda/.cache``), so a second build needs no network.

    .venv/bin/python tools/build_lambda.py [--python-version 3.12] [--arch x86_64 --arch arm64]
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import os
import py_compile
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ARCHES",
    "MAX_UNZIPPED",
    "MAX_ZIPPED",
    "RUNTIME_GLIBC",
    "BuildError",
    "Built",
    "build",
    "elf_needed",
    "main",
    "runtime_stand_in",
]

REPO = Path(__file__).resolve().parents[1]
#: Lambda's limits (docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): a .zip
#: uploaded directly is at most 50 MB; function and layers unzipped at most 262,144,000 bytes.
MAX_ZIPPED = 50 * 1024 * 1024
MAX_UNZIPPED = 262_144_000
ENV_MAX_ZIPPED = "ARA_LAMBDA_MAX_ZIPPED"
ENV_MAX_UNZIPPED = "ARA_LAMBDA_MAX_UNZIPPED"
#: Lambda architecture -> the manylinux machine name.
ARCHES = {"x86_64": "x86_64", "arm64": "aarch64"}
#: Lambda Python runtime -> the glibc of its Amazon Linux (2: 2.26; 2023: 2.34).
RUNTIME_GLIBC = {"3.11": 26, "3.12": 34, "3.13": 34, "3.14": 34}
#: Runtime dependencies the Lambda runtime already provides.
PROVIDED = {"boto3", "botocore"}
#: The example handlers put at the root of a function zip.
HANDLERS = (REPO / "examples" / "lambda_worker.py", REPO / "examples" / "lambda_orchestrator.py")

#: Folders and files a worker never loads (names anywhere in the tree).
_DROP_DIRS = {"__pycache__", "tests", "include", "includes", "src", "bin"}
_DROP_SUFFIXES = (".pyc", ".pyo", ".pyx", ".pxd", ".pxi", ".h", ".hpp", ".cc", ".cpp", ".c")
#: pyarrow extension modules the exporter never imports (each import is optional in pyarrow:
#: ``pyarrow.fs`` and ``pyarrow.dataset`` skip a missing one). Their shared libraries go too,
#: unless a kept extension needs them.
_DROP_MODULES = re.compile(
    r"^_(flight|s3fs|azurefs|gcsfs|hdfs|orc|dataset_orc|parquet_encryption"
    r"|dataset_parquet_encryption|pyarrow_cpp_tests|cuda)\."
)
#: What manylinux wheels may link without bundling it (the manylinux policy's system libraries,
#: all present in Lambda's Amazon Linux runtimes).
_SYSTEM_LIBS = (
    "ld-linux",
    "libc.so",
    "libdl.so",
    "libgcc_s.so",
    "libm.so",
    "libpthread.so",
    "librt.so",
    "libstdc++.so",
    "libutil.so",
    "libresolv.so",
    "libz.so",
)
_DROP_PY = {"flight.py", "orc.py", "cuda.py", "jvm.py", "benchmark.py", "conftest.py"}


class BuildError(Exception):
    """The package could not be built, or is over a Lambda limit (one readable line)."""


@dataclass(frozen=True)
class Built:
    """One zip written: its path, sizes in bytes and the dependency versions inside."""

    path: Path
    zipped: int
    unzipped: int
    versions: tuple[str, ...]


def mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


# ---------------------------------------------------------------------------------------------
# ELF: which shared libraries a shared object needs (DT_NEEDED), without binutils


def elf_needed(path: Path) -> list[str]:
    """The ``DT_NEEDED`` names of a 64-bit little-endian ELF file (x86_64 and aarch64)."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise BuildError(f"{path}: not a 64-bit little-endian ELF file")
    phoff, phentsize, phnum = (
        struct.unpack_from("<Q", data, 0x20)[0],
        *struct.unpack_from("<HH", data, 0x36),
    )
    loads: list[tuple[int, int, int]] = []  # (vaddr, filesz, offset)
    dynamic: tuple[int, int] | None = None
    for i in range(phnum):
        p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize
        )
        if p_type == 1:  # PT_LOAD
            loads.append((p_vaddr, p_filesz, p_offset))
        elif p_type == 2:  # PT_DYNAMIC
            dynamic = (p_offset, p_filesz)
    if dynamic is None:
        return []
    needed: list[int] = []
    strtab = None
    for pos in range(dynamic[0], dynamic[0] + dynamic[1], 16):
        tag, value = struct.unpack_from("<qQ", data, pos)
        if tag == 0:  # DT_NULL
            break
        if tag == 1:  # DT_NEEDED
            needed.append(value)
        elif tag == 5:  # DT_STRTAB (a virtual address)
            strtab = value
    if strtab is None:
        return []
    base = next((o + strtab - v for v, size, o in loads if v <= strtab < v + size), None)
    if base is None:
        raise BuildError(f"{path}: string table outside every loaded segment")
    return [data[base + n : data.index(b"\0", base + n)].decode() for n in needed]


# ---------------------------------------------------------------------------------------------
# wheels


def _pip(args: Sequence[str], what: str) -> str:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = [line for line in (proc.stderr or proc.stdout).splitlines() if line.strip()]
        raise BuildError(f"{what}: pip failed: {tail[-1] if tail else proc.returncode}")
    return proc.stdout


def worker_requirements(pyproject: Path = REPO / "pyproject.toml") -> list[str]:
    """The project's runtime dependencies less what Lambda provides (boto3, botocore)."""
    deps: list[str] = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return [d for d in deps if re.split(r"[\s<>=!~\[;]", d, maxsplit=1)[0].lower() not in PROVIDED]


def _platform_args(python_version: str, arch: str) -> list[str]:
    machine = ARCHES[arch]
    glibc = RUNTIME_GLIBC[python_version]
    tags = [f"manylinux_2_{minor}_{machine}" for minor in range(glibc, 16, -1)]
    tags.append(f"manylinux2014_{machine}")
    return [
        *(arg for tag in tags for arg in ("--platform", tag)),
        "--python-version",
        python_version,
        "--implementation",
        "cp",
        "--only-binary=:all:",
    ]


def _source_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted([REPO / "pyproject.toml", *(REPO / "exporter").rglob("*")]):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(REPO).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def worker_pyproject(text: str) -> str:
    """pyproject.toml with the exporter's packages alone: the repository's other packages (the
    local Athena endpoint, ``local_athena``) never go into a worker's zip."""
    m = re.search(r"^packages = \[(.*?)\]", text, re.M | re.S)
    if m is None:
        raise BuildError("pyproject.toml: no [tool.setuptools] packages list")
    names = re.findall(r'"([^"]+)"', m.group(1))
    kept = [n for n in names if n == "exporter" or n.startswith("exporter.")]
    listed = ", ".join(f'"{n}"' for n in kept)
    return text[: m.start()] + f"packages = [{listed}]" + text[m.end() :]


def project_wheel(cache: Path, say: Callable[[str], None]) -> Path:
    """This project's wheel (pure Python), built once per source state and cached."""
    folder = cache / "project" / _source_digest()
    found = sorted(folder.glob("*.whl"))
    if found:
        return found[0]
    say("building the exporter wheel")
    with tempfile.TemporaryDirectory() as tmp:  # a copy: the build writes build/, *.egg-info
        src = Path(tmp) / "src"
        src.mkdir()
        shutil.copy(REPO / "README.md", src / "README.md")
        (src / "pyproject.toml").write_text(worker_pyproject((REPO / "pyproject.toml").read_text()))
        shutil.copytree(
            REPO / "exporter", src / "exporter", ignore=shutil.ignore_patterns("__pycache__")
        )
        _pip(
            ["wheel", "--quiet", "--no-deps", "--wheel-dir", str(folder), str(src)],
            "exporter wheel",
        )
    return sorted(folder.glob("*.whl"))[0]


def dependency_wheels(
    cache: Path, python_version: str, arch: str, say: Callable[[str], None]
) -> list[Path]:
    """The worker's dependency wheels for one runtime, resolved once and cached.

    Resolved with requirements.lock's pins where the lock's version has a wheel for the runtime,
    else the newest version that does (pyarrow after 20 ships manylinux_2_28 wheels only, which
    Amazon Linux 2's glibc 2.26 cannot load).
    """
    reqs = worker_requirements()
    lock = REPO / "requirements.lock"
    key = hashlib.sha256("\n".join([*reqs, lock.read_text()]).encode()).hexdigest()[:16]
    folder = cache / f"py{python_version}-{arch}" / key
    pins = folder / "wheels.txt"
    if pins.is_file():
        wheels = [folder / name for name in pins.read_text().split()]
        if all(w.is_file() for w in wheels):
            return wheels
    folder.mkdir(parents=True, exist_ok=True)
    base = ["download", "--quiet", *_platform_args(python_version, arch), *reqs]
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        say(f"downloading {' '.join(reqs)} for Python {python_version} {arch} (cached after)")
        try:
            _pip([*base, "-c", str(lock), "--dest", tmp], "download")
        except BuildError:
            say("  the locked version has no wheel for this runtime: taking the newest that has")
            _pip([*base, "--dest", tmp], "download")
        wheels = []
        for wheel in sorted(Path(tmp).glob("*.whl")):
            wheels.append(folder / wheel.name)
            os.replace(wheel, folder / wheel.name)
    tmp_pins = pins.with_name(f"{pins.name}.{os.getpid()}")
    tmp_pins.write_text("\n".join(w.name for w in wheels) + "\n")
    os.replace(tmp_pins, pins)  # a concurrent build sees the whole list or none
    return wheels


# ---------------------------------------------------------------------------------------------
# staging, stripping, zipping


def _dropped(path: Path) -> bool:
    if path.name.endswith(_DROP_SUFFIXES):
        return True
    return path.parent.name == "pyarrow" and bool(
        _DROP_MODULES.match(path.name) or path.name in _DROP_PY
    )


def strip(stage: Path) -> None:
    """Remove what a worker never loads, then every bundled shared library no kept one needs."""
    for path in sorted(stage.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if not path.exists() and not path.is_symlink():
            continue
        inside_pkg = not any(part.endswith(".dist-info") for part in path.relative_to(stage).parts)
        if path.is_dir() and path.name in _DROP_DIRS and inside_pkg:
            shutil.rmtree(path)
        elif path.is_file() and inside_pkg and _dropped(path):
            path.unlink()
    shutil.rmtree(stage / "bin", ignore_errors=True)  # console scripts (``ara``)
    # shared libraries: keep the closure of what the kept extension modules need
    shared = [p for p in stage.rglob("*.so*") if p.is_file()]
    extensions = [p for p in shared if ".cpython-" in p.name or ".abi3." in p.name]
    libs = {p.name: p for p in shared if p not in extensions and p.name.startswith("lib")}
    keep: set[str] = set()
    todo = [name for ext in extensions for name in elf_needed(ext)]
    while todo:
        name = todo.pop()
        if name in libs and name not in keep:
            keep.add(name)
            todo.extend(elf_needed(libs[name]))
    for name, path in libs.items():
        if name not in keep:
            path.unlink()
    kept = {p.name for p in shared if p.exists()}
    for path in shared:
        if not path.exists():
            continue
        for name in elf_needed(path):
            if name not in kept and not name.startswith(_SYSTEM_LIBS):
                raise BuildError(
                    f"{path.relative_to(stage)} needs {name}, which is neither in the package "
                    "nor a library every manylinux system (and Lambda's runtime) provides"
                )


def tree_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def write_zip(target: Path, folder: Path, prefix: str = "", extra: Iterable[Path] = ()) -> None:
    """A reproducible zip: sorted entries, fixed times, mode 0755 for shared objects, 0644 else."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    tmp = target.with_name(target.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path, name in [
            *((p, prefix + p.relative_to(folder).as_posix()) for p in files),
            *((p, p.name) for p in extra),
        ]:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o755 if ".so" in path.name else 0o644
            info.external_attr = (0o100000 | mode) << 16
            with open(path, "rb") as src, archive.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
    os.replace(tmp, target)


def zip_sizes(path: Path) -> tuple[int, int]:
    with zipfile.ZipFile(path) as archive:
        return path.stat().st_size, sum(i.file_size for i in archive.infolist())


def _check(path: Path, zipped: int, unzipped: int, max_zipped: int, max_unzipped: int) -> None:
    if unzipped > max_unzipped:
        raise BuildError(
            f"{path.name} is {mb(unzipped)} unzipped ({unzipped:,} bytes), over the Lambda limit "
            f"of {mb(max_unzipped)} ({max_unzipped:,} bytes, function and layers; "
            f"{ENV_MAX_UNZIPPED} overrides it)"
        )
    if zipped > max_zipped:
        raise BuildError(
            f"{path.name} is {mb(zipped)} zipped ({zipped:,} bytes), over the Lambda limit of "
            f"{mb(max_zipped)} ({max_zipped:,} bytes, direct upload; {ENV_MAX_ZIPPED} overrides it)"
        )


def build(
    python_version: str,
    arches: Sequence[str],
    out: Path,
    *,
    cache: Path,
    layer: bool = True,
    compile_pyc: bool = False,
    handlers: Sequence[Path] = HANDLERS,
    max_zipped: int = MAX_ZIPPED,
    max_unzipped: int = MAX_UNZIPPED,
    say: Callable[[str], None] = print,
) -> list[Built]:
    """Build the zips; raises :class:`BuildError` on a failure or a zip over a limit."""
    if python_version not in RUNTIME_GLIBC:
        raise BuildError(
            f"python_version={python_version!r}: not a Lambda runtime this builds for "
            f"(one of {', '.join(RUNTIME_GLIBC)})"
        )
    for arch in arches:
        if arch not in ARCHES:
            raise BuildError(f"arch={arch!r}: not a Lambda architecture ({', '.join(ARCHES)})")
    host = f"{sys.version_info.major}.{sys.version_info.minor}"
    if compile_pyc and host != python_version:
        raise BuildError(
            f"compile: bytecode is per Python version; this is Python {host}, the runtime is "
            f"{python_version} (build with a Python {python_version}, or without --compile)"
        )
    for handler in handlers:
        if not handler.is_file():
            raise BuildError(f"handler={str(handler)!r}: no such file")
    out.mkdir(parents=True, exist_ok=True)
    wheel = project_wheel(cache, say)
    built: list[Built] = []
    for arch in arches:
        started = time.perf_counter()
        deps = dependency_wheels(cache, python_version, arch, say)
        versions = tuple("-".join(w.name.split("-")[:2]) for w in deps)
        with tempfile.TemporaryDirectory() as tmp:
            stage = Path(tmp) / "stage"
            _pip(
                [
                    "install",
                    "--quiet",
                    "--no-index",
                    "--no-deps",
                    "--no-compile",
                    "--target",
                    str(stage),
                    *_platform_args(python_version, arch),
                    str(wheel),
                    *map(str, deps),
                ],
                f"install for Python {python_version} {arch}",
            )
            strip(stage)
            if compile_pyc:  # Lambda's /var/task is read-only: no __pycache__ written there
                compileall.compile_dir(
                    stage,
                    quiet=1,
                    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
                )
            unzipped = tree_size(stage) + sum(h.stat().st_size for h in handlers)
            names = [f"exporter-worker-py{python_version}-{arch}.zip"]
            if layer:
                names.append(f"exporter-worker-layer-py{python_version}-{arch}.zip")
            for name in names:
                path = out / name
                _check(path, 0, unzipped, max_zipped, max_unzipped)  # before zipping
                if "-layer-" in name:
                    write_zip(path, stage, prefix="python/")
                else:
                    write_zip(path, stage, extra=handlers)
                zipped, unzipped_zip = zip_sizes(path)
                say(
                    f"{path}: {mb(zipped)} zipped (limit {mb(max_zipped)}), "
                    f"{mb(unzipped_zip)} unzipped (limit {mb(max_unzipped)}); "
                    f"{', '.join(versions)} [{time.perf_counter() - started:.0f} s]"
                )
                try:
                    _check(path, zipped, unzipped_zip, max_zipped, max_unzipped)
                except BuildError:
                    path.unlink()  # no over-limit zip left behind to upload by mistake
                    raise
                built.append(Built(path, zipped, unzipped_zip, versions))
    return built


# ---------------------------------------------------------------------------------------------
# a stand-in for the Lambda runtime's boto3, for tests and the cold-start benchmark


def runtime_stand_in(dest: Path) -> Path:
    """A folder holding only boto3 and what it imports (symlinks into this interpreter's
    site-packages): with the unzipped package, the ``sys.path`` of a Lambda Python runtime."""
    from importlib.metadata import distribution

    from packaging.requirements import Requirement

    dest.mkdir(parents=True, exist_ok=True)
    todo, seen = ["boto3"], set()
    while todo:
        name = todo.pop()
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        dist = distribution(name)
        for file in dist.files or ():
            top = file.parts[0]
            if top.endswith((".dist-info", ".pth")) or top in {"..", "bin"}:
                continue
            source = Path(str(dist.locate_file(file.parts[0])))
            link = dest / file.parts[0]
            if not link.exists() and source.exists():
                link.symlink_to(source)
        for text in dist.requires or ():
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return dest


# ---------------------------------------------------------------------------------------------
# command line


def _limit(value: str) -> int:
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a size in bytes") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be a positive size in bytes")
    return number


def _env_limit(parser: argparse.ArgumentParser, name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return _limit(raw)
    except argparse.ArgumentTypeError as exc:
        parser.error(f"{name}: {exc}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="build_lambda.py",
        description="Build AWS Lambda deployment zips (function and layer) for an exporter "
        "worker, from manylinux wheels, and check them against Lambda's size limits.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  .venv/bin/python tools/build_lambda.py\n"
        "  .venv/bin/python tools/build_lambda.py --python-version 3.11 --arch x86_64\n"
        "  ARA_LAMBDA_MAX_ZIPPED=40000000 make lambda\n\n"
        "exit status:\n  0  built, every zip within the limits\n"
        "  1  a download or install failed, or a zip is over a limit\n"
        "  2  usage error",
    )
    p.add_argument(
        "--python-version",
        default="3.12",
        choices=list(RUNTIME_GLIBC),
        help="the Lambda Python runtime (default 3.12; 3.11 runs on Amazon Linux 2)",
    )
    p.add_argument(
        "--arch",
        action="append",
        choices=list(ARCHES),
        help="Lambda architecture, repeatable (default: x86_64 and arm64)",
    )
    p.add_argument("--out", type=Path, default=REPO / "dist" / "lambda", help="output folder")
    p.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="wheel cache (default: OUT/.cache); a second build needs no network",
    )
    p.add_argument(
        "--no-layer", action="store_true", help="build only the function zips, no layer zips"
    )
    p.add_argument(
        "--compile",
        action="store_true",
        help="add .pyc files (unchecked-hash) so a cold start does not compile the package: "
        "about 0.1 s less import time; only with a Python of the runtime's version",
    )
    p.add_argument(
        "--handler",
        action="append",
        type=Path,
        help="a module put at the root of the function zip, repeatable "
        "(default: examples/lambda_worker.py and examples/lambda_orchestrator.py)",
    )
    p.add_argument(
        "--max-zipped",
        type=_limit,
        default=None,
        help=f"zipped limit in bytes (default ${ENV_MAX_ZIPPED} or {MAX_ZIPPED:,})",
    )
    p.add_argument(
        "--max-unzipped",
        type=_limit,
        default=None,
        help=f"unzipped limit in bytes (default ${ENV_MAX_UNZIPPED} or {MAX_UNZIPPED:,})",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    max_zipped = args.max_zipped or _env_limit(p, ENV_MAX_ZIPPED, MAX_ZIPPED)
    max_unzipped = args.max_unzipped or _env_limit(p, ENV_MAX_UNZIPPED, MAX_UNZIPPED)
    try:
        build(
            args.python_version,
            args.arch or list(ARCHES),
            args.out,
            cache=args.cache or args.out / ".cache",
            layer=not args.no_layer,
            compile_pyc=args.compile,
            handlers=args.handler or HANDLERS,
            max_zipped=max_zipped,
            max_unzipped=max_unzipped,
        )
    except BuildError as exc:
        print(f"build_lambda: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
