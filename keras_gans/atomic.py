"""Writing files so that a reader never sees half of one.

A training run is hours of a user's machine: a checkpoint, a sample grid or a results file that is being
rewritten when the process is killed (SIGTERM, Ctrl-C, a full disk, a file-size limit) must not leave a
truncated file where the last good one was. Everything here writes to a temporary file (or directory) next
to the target, flushes it to disk, and only then renames it onto the target: a rename within one directory
is atomic, so the target is always either the complete old file or the complete new one. When anything
fails, the temporary file is removed and the error goes on; the old file is left as it was.

    with atomic_write("rows.csv", "w") as f:      # any writes; the file appears only when the block ends
        f.write(text)
    write_json({"rows": rows}, "bench.json", indent=2)
    save_model(gan, "runs/gan/model.keras")       # model.save, replaced as a whole
    with atomic_directory("savedmodel", overwrite=True) as build:
        archive.write_out(build)                  # the old directory goes only once the new one is complete

Temporary files are hidden siblings of the target (".NAME.<random>.tmp"), so they live on the same file
system (a rename cannot cross file systems) and a directory listing of results does not show them. Paths
are local paths; parent directories are created. New files get the permissions a plain `open` would give
them (a replaced file keeps its own), not the owner-only ones of a temporary file. A process killed
outright (SIGKILL, or SIGTERM without a Python handler) runs no clean-up: it may leave such a hidden
temporary file behind, but never a broken target.
"""
import contextlib
import json
import os
import shutil
import tempfile


def _umask():
    """The process's umask, read without changing it where /proc allows (changing it is not thread-safe)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(path, default):
    """Permission bits for a new file or directory at `path`: those of what it replaces, else `default`
    less the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return default & ~_umask()


def _fsync_path(path):
    """Flush a file or directory to disk; a directory, so that a rename in it survives a power cut. Some
    systems (Windows) cannot open a directory: its rename is then as durable as the system makes it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path):
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _split(path):
    """(parent directory, created if missing; file name) of what `path` names. A symbolic link is followed,
    as `open(path, "w")` would: the file it points to is replaced and the link stays."""
    path = os.path.realpath(os.fspath(path))
    directory, name = os.path.split(path)
    os.makedirs(directory, exist_ok=True)
    return directory, name


def _commit(tmp, path, mode):
    """Give `tmp` its final permissions, flush it to disk and rename it onto `path`."""
    os.chmod(tmp, mode)
    _fsync_path(tmp)
    os.replace(tmp, path)
    _fsync_path(os.path.dirname(path))


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding=None):
    """Open a temporary file beside `path` for writing (`mode` "wb" or "w"; text is UTF-8 unless
    `encoding` says otherwise) and yield it; when the block ends, the file is flushed to disk and renamed
    onto `path`. If the block raises anything (KeyboardInterrupt and SystemExit included), the temporary
    file is removed and `path` is left as it was."""
    if mode not in ("w", "wb", "wt"):
        raise ValueError(f"atomic_write writes a new file: mode must be 'w' or 'wb', not {mode!r}.")
    directory, name = _split(path)
    path = os.path.join(directory, name)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": encoding or "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        _commit(tmp, path, _mode_for(path, 0o666))
    except BaseException:
        _remove(tmp)
        raise


def write_bytes(path, data):
    """Write `data` (bytes) to `path` atomically; returns path."""
    with atomic_write(path, "wb") as f:
        f.write(data)
    return path


def write_text(path, text, encoding="utf-8"):
    """Write `text` to `path` atomically; returns path."""
    with atomic_write(path, "w", encoding=encoding) as f:
        f.write(text)
    return path


def append_text(path, text, encoding="utf-8"):
    """Add `text` to the end of `path` (created if missing) by rewriting the whole file atomically: a process
    killed while appending in place would leave a torn last line, which breaks reading back every earlier
    line of a JSON-lines log. Meant for small result logs. Returns path."""
    earlier = ""
    if os.path.exists(path):
        with open(path, encoding=encoding) as f:
            earlier = f.read()
    return write_text(path, earlier + text, encoding=encoding)


def write_json(obj, path, **json_kwargs):
    """`json.dump(obj, ..., **json_kwargs)` to `path` atomically; returns path."""
    with atomic_write(path, "w") as f:
        json.dump(obj, f, **json_kwargs)
    return path


def _replace_with(path, suffix, write):
    """Call `write(tmp)` for a temporary file beside `path` whose name ends in `suffix` (Keras picks the
    format from the file name), then put it in place of `path`; remove it if anything fails."""
    directory, name = _split(path)
    target = os.path.join(directory, name)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + name + ".", suffix=".tmp" + suffix)
    os.close(fd)
    try:
        write(tmp)
        _commit(tmp, target, _mode_for(target, 0o666))
    except BaseException:
        _remove(tmp)
        raise
    return path


def save_model(model, path):
    """`model.save` to `path` (a `.keras` file) atomically: the previous checkpoint at `path` stays whole
    until the new one is complete on disk. Returns path."""
    return _replace_with(path, ".keras", lambda tmp: model.save(tmp, overwrite=True))


def save_weights(model, path):
    """`model.save_weights` to `path` (a `.weights.h5` file) atomically. Returns path."""
    return _replace_with(path, ".weights.h5", lambda tmp: model.save_weights(tmp, overwrite=True))


def copy_file(source, path):
    """Copy `source` to `path` atomically (a half-copied backup is as useless as a half-written one)."""
    return _replace_with(path, "", lambda tmp: shutil.copyfile(source, tmp))


def _occupied(path):
    """Whether `path` holds something an export would destroy: a file, or a directory with anything in it."""
    return os.path.lexists(path) and (not os.path.isdir(path) or bool(os.listdir(path)))


def _refuse(path):
    raise ValueError(f"{path!r} exists and is not empty; pass overwrite=True to replace it.")


def _fsync_tree(directory):
    for root, _, files in os.walk(directory):
        for file in files:
            _fsync_path(os.path.join(root, file))
        _fsync_path(root)


@contextlib.contextmanager
def atomic_directory(path, overwrite=False):
    """Yield a temporary directory beside `path` to build a directory output in (a SavedModel); when the
    block ends, it takes the place of `path`.

    A file or non-empty directory at `path` is refused with a ValueError unless `overwrite=True`; then it
    is replaced only after the new directory is complete, and readers see either the old or the new one
    (the old one moves aside for the instant of the swap). An empty directory at `path` is simply replaced.
    If the block raises, the temporary directory is removed and `path` is left as it was."""
    directory, name = _split(path)
    path = os.path.join(directory, name)
    if _occupied(path) and not overwrite:
        _refuse(path)  # before the build: an export takes long enough to be worth failing early
    tmp = tempfile.mkdtemp(dir=directory, prefix="." + name + ".", suffix=".tmp")
    try:
        yield tmp
        os.chmod(tmp, _mode_for(path, 0o777))
        _fsync_tree(tmp)
        # Checked again: something may have appeared at `path` during the build.
        if _occupied(path) and not overwrite:
            _refuse(path)
        _swap_in(tmp, path)
        _fsync_path(directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_in(tmp, path):
    """Rename the directory `tmp` onto `path`, moving whatever is at `path` aside first (a directory cannot
    be renamed onto a non-empty one) and deleting it only once the new one is in place."""
    if not os.path.lexists(path):
        os.replace(tmp, path)
        return
    old = tempfile.mkdtemp(dir=os.path.dirname(path), prefix="." + os.path.basename(path) + ".", suffix=".old")
    os.rmdir(old)  # only its unique name is wanted
    os.replace(path, old)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.replace(old, path)  # put the old one back: the caller removes tmp
        raise
    if os.path.isdir(old) and not os.path.islink(old):
        shutil.rmtree(old, ignore_errors=True)
    else:
        _remove(old)
