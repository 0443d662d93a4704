"""Downloads for real, over HTTP from a server on 127.0.0.1: checksums, atomic writes, bad servers."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from helpers import spec_for, write_idx_gz

from emnist_tuner.data.files import DataFile, cache_dir, download_files, locate_all, one_download_per_archive
from emnist_tuner.errors import DataError


class _Handler(http.server.SimpleHTTPRequestHandler):
    garbage: set[str] = set()

    def do_GET(self):  # noqa: N802 (http.server API)
        if self.path.lstrip("/") in self.garbage:
            body = b"<html>not the file you wanted</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/www on 127.0.0.1; yields (base_url, folder, garbage-set)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = type("Handler", (_Handler,), {"garbage": set()})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", www, handler.garbage
    httpd.shutdown()
    httpd.server_close()


def _fixture_file(www: Path, name="labels-idx1-ubyte.gz", array=None) -> DataFile:
    path = write_idx_gz(www / name, np.arange(50, dtype=np.uint8) if array is None else array)
    return spec_for(path, DataFile(name, "demo", "", 0))


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_download_verifies_and_lands_in_the_cache(server):
    base, www, _ = server
    spec = dataclasses.replace(_fixture_file(www), urls=(f"{base}/labels-idx1-ubyte.gz",))
    paths = download_files([spec])
    dest = cache_dir() / "demo" / spec.name
    assert paths == {spec.name: dest}
    assert dest.read_bytes() == (www / spec.name).read_bytes()
    assert _leftovers(cache_dir()) == [spec.name]  # no temporary file left behind
    assert locate_all([spec]) == {spec.name: dest}  # found in the cache next time


def test_garbage_from_the_server_writes_nothing(server):
    base, www, garbage = server
    spec = dataclasses.replace(_fixture_file(www), urls=(f"{base}/labels-idx1-ubyte.gz",))
    garbage.add(spec.name)
    with pytest.raises(DataError, match="not the real file"):
        download_files([spec])
    assert _leftovers(cache_dir()) == []


def test_a_failed_download_keeps_the_cache_as_it_was(server):
    base, www, _ = server
    spec = dataclasses.replace(_fixture_file(www), urls=(f"{base}/absent.gz",))
    other = cache_dir() / "demo" / "kept.txt"
    other.parent.mkdir(parents=True)
    other.write_text("untouched")
    with pytest.raises(DataError, match="cannot download .*absent.gz.*404"):
        download_files([spec])
    assert _leftovers(cache_dir()) == ["kept.txt"] and other.read_text() == "untouched"


def test_second_url_is_tried_when_the_first_fails(server):
    base, www, _ = server
    spec = dataclasses.replace(_fixture_file(www), urls=(f"{base}/gone.gz", f"{base}/labels-idx1-ubyte.gz"))
    assert download_files([spec])[spec.name].is_file()


def test_members_of_one_archive_share_a_single_download(server):
    base, www, _ = server
    specs = []
    with zipfile.ZipFile(www / "gzip.zip", "w") as zf:
        for name in ("a-idx1-ubyte.gz", "b-idx1-ubyte.gz"):
            spec = _fixture_file(www, name)
            zf.write(www / name, f"gzip/{name}")
            (www / name).unlink()
            specs.append(dataclasses.replace(spec, urls=(f"{base}/gzip.zip",), archive_member=f"gzip/{name}"))
    paths = download_files(specs)
    assert sorted(p.name for p in paths.values()) == ["a-idx1-ubyte.gz", "b-idx1-ubyte.gz"]
    assert _leftovers(cache_dir()) == ["a-idx1-ubyte.gz", "b-idx1-ubyte.gz"]  # the archive is gone


def test_an_archive_is_downloaded_once_for_the_members_of_several_datasets(server):
    """`data --download` checks one dataset after another: NIST's gzip.zip holds all EMNIST splits and is
    fetched once, kept for the others, and gone at the end (as is a failed download: not tried again)."""
    base, www, _ = server
    specs = []
    with zipfile.ZipFile(www / "gzip.zip", "w") as zf:
        for name in ("a-idx1-ubyte.gz", "b-idx1-ubyte.gz"):
            spec = _fixture_file(www, name)
            zf.write(www / name, f"gzip/{name}")
            specs.append(dataclasses.replace(spec, urls=(f"{base}/gzip.zip",), archive_member=f"gzip/{name}"))
    gone = dataclasses.replace(specs[0], name="c.gz", urls=(f"{base}/gone.zip",), archive_member="gzip/c.gz")
    with one_download_per_archive():
        assert download_files(specs[:1])[specs[0].name].is_file()
        (www / "gzip.zip").unlink()  # a second download would fail
        assert download_files(specs[1:])[specs[1].name].is_file()
        with pytest.raises(DataError, match="gone.zip") as first:
            download_files([gone])
        with pytest.raises(DataError) as again:
            download_files([gone])
        assert again.value is first.value
    assert _leftovers(cache_dir()) == ["a-idx1-ubyte.gz", "b-idx1-ubyte.gz"]  # the kept archive is gone


def test_data_download_fetches_an_archive_once_for_every_dataset_in_it(server, monkeypatch):
    from emnist_tuner.data import datasets, files, status

    base, www, _ = server
    infos = {}
    with zipfile.ZipFile(www / "gzip.zip", "w") as zf:
        for name in ("split-a", "split-b"):
            specs = []
            for kind, array in (("images-idx3", np.zeros((10, 28, 28))), ("labels-idx1", np.arange(10) % 2)):
                spec = _fixture_file(www, f"{name}-{kind}-ubyte.gz", array)
                zf.write(www / spec.name, f"gzip/{spec.name}")
                specs.append(dataclasses.replace(spec, urls=(f"{base}/gzip.zip",), archive_member=f"gzip/{spec.name}"))
            infos[name] = datasets.DatasetInfo(name, name, ("0", "1"), (28, 28), tuple(specs))
            monkeypatch.setitem(datasets.DATASETS, name, infos[name])
    monkeypatch.setattr(status, "DATASETS", infos)
    fetched = []
    real_stream = files._stream
    monkeypatch.setattr(files, "_stream", lambda url, out, label: fetched.append(url) or real_stream(url, out, label))
    assert [s.state for s in status.check_all(download=True)] == ["verified", "verified"]
    assert fetched == [f"{base}/gzip.zip"]


def test_mirror_env_var_fetches_by_file_name(server, monkeypatch):
    base, www, _ = server
    spec = _fixture_file(www)  # no official URL at all
    monkeypatch.setenv("EMNIST_TUNER_MIRROR", base)
    assert locate_all([spec], download=True)[spec.name].read_bytes() == (www / spec.name).read_bytes()


def test_without_download_a_missing_file_is_an_error(server):
    base, www, _ = server
    spec = dataclasses.replace(_fixture_file(www), urls=(f"{base}/labels-idx1-ubyte.gz",))
    with pytest.raises(DataError, match="missing data file labels-idx1-ubyte.gz"):
        locate_all([spec])


# ------------------------------------------------------------------ without a network

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: refused at once, no timeout to wait for


def test_a_failed_download_creates_no_folder(tmp_path):
    spec = DataFile("t10k-labels-idx1-ubyte.gz", "mnist", "0" * 64, 10, (f"{UNREACHABLE}/t10k-labels-idx1-ubyte.gz",))
    archived = DataFile("b.gz", "letters", "0" * 64, 10, (f"{UNREACHABLE}/gzip.zip",), archive_member="gzip/b.gz")
    for dest_root in (tmp_path / "cache", tmp_path / "deeper" / "cache"):
        with pytest.raises(DataError, match="nothing was written"):
            download_files([spec], dest_root=dest_root)
        with pytest.raises(DataError, match="nothing was written"):
            download_files([archived], dest_root=dest_root)
    assert list(tmp_path.iterdir()) == []  # "nothing was written": not even an empty folder


def test_data_download_offline_says_not_downloaded_and_the_offline_ways(monkeypatch):
    from emnist_tuner.data.status import check_dataset

    monkeypatch.setenv("EMNIST_TUNER_MIRROR", UNREACHABLE)
    before = sorted(cache_dir().rglob("*"))
    status = check_dataset("mnist", download=True)
    assert status.state == "not downloaded" and status.failed
    message = " ".join(status.message.split())
    assert "the download failed: cannot download" in message and "nothing was written" in message
    assert "--data-dir DIR" in message and "EMNIST_TUNER_DATA=DIR" in message
    assert "copy train-images-idx3-ubyte.gz, " in message and f"into {cache_dir() / 'mnist'}" in message
    assert sorted(cache_dir().rglob("*")) == before
