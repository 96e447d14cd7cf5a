"""The download path of nndl3.mnist against a local HTTP server on 127.0.0.1: four small
synthetic IDX files with their checksums passed in as the file table, no network needed.
The server answers only this test's requests and shuts itself down after SERVER_SECONDS."""

import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest

from nndl3 import mnist
from nndl3.errors import UserError
from nndl3.mnist import IdxFile

from .test_mnist import idx_bytes

SERVER_SECONDS = 60  # the longest a server lives, whatever happens to the test


def synthetic_files():
    """{key: (IdxFile with the true MD5, gzipped bytes)} shaped like MNIST's four files."""
    rng = np.random.default_rng(0)
    arrays = {"train_images": rng.integers(0, 256, (12, 28, 28)),
              "train_labels": rng.integers(0, 10, 12),
              "test_images": rng.integers(0, 256, (4, 28, 28)),
              "test_labels": rng.integers(0, 10, 4)}
    files = {}
    for key, array in arrays.items():
        raw = idx_bytes(array)
        name = mnist.FILES[key].name
        files[key] = (IdxFile(name, hashlib.md5(raw).hexdigest(), array.shape),
                      gzip.compress(raw))
    return files


class Server:
    """Serves {path: bytes} on 127.0.0.1; anything else is a 404. Counts the requests."""

    def __init__(self, payloads: dict[str, bytes]):
        self.payloads, self.requests = payloads, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the name http.server calls)
                server.requests.append(self.path)
                body = server.payloads.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):  # keep pytest's output clean
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.timer = threading.Timer(SERVER_SECONDS, self.httpd.shutdown)

    def __enter__(self):
        self.thread.start()
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def files():
    return synthetic_files()


@pytest.fixture
def no_folder(monkeypatch):
    monkeypatch.delenv("MNIST_DIR", raising=False)  # else load_raw reads that folder
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)  # 127.0.0.1 directly, never through a proxy


def table(files):
    return {key: spec for key, (spec, _) in files.items()}


def served(files, prefix="/good/"):
    return {prefix + spec.name: blob for spec, blob in files.values()}


def test_a_download_is_verified_and_split(tmp_path, files, no_folder):
    with Server(served(files)) as server:
        arrays = mnist.load_raw(None, tmp_path / "raw", (server.url + "/good/",), table(files))
    assert sorted(server.requests) == sorted(served(files))
    for key, (spec, blob) in files.items():
        assert (tmp_path / "raw" / spec.name).read_bytes() == blob
        assert arrays[key].shape == spec.shape
    np.testing.assert_array_equal(arrays["test_labels"],
                                  np.frombuffer(gzip.decompress(files["test_labels"][1])[8:],
                                                np.uint8))


def test_a_failing_mirror_is_skipped_for_the_next(tmp_path, files, no_folder):
    with Server(served(files)) as server:
        mirrors = (server.url + "/gone/", server.url + "/good/")  # the first answers 404
        arrays = mnist.load_raw(None, tmp_path / "raw", mirrors, table(files))
    assert len(arrays) == 4
    assert [p.split("/")[1] for p in server.requests] == ["gone", "good"] * 4


def test_no_mirror_answers(tmp_path, files, no_folder):
    with Server({}) as server, pytest.raises(UserError, match="no mirror reachable .*Not Found"):
        mnist.load_raw(None, tmp_path / "raw", (server.url + "/gone/",), table(files))
    assert not (tmp_path / "raw").exists()  # not even the folder


def test_a_corrupt_download_is_deleted_and_fetched_again(tmp_path, files, no_folder):
    good = served(files)
    bad = dict(good)
    name = files["train_labels"][0].name
    bad["/good/" + name] = gzip.compress(idx_bytes(np.zeros(12, np.uint8)))  # right shape
    raw = tmp_path / "raw"
    with Server(bad) as server:
        with pytest.raises(UserError) as error:
            mnist.load_raw(None, raw, (server.url + "/good/",), table(files))
        message = str(error.value)
        assert "\n" not in message and name in message
        assert "checksum mismatch" in message and "deleted it" in message
        assert not (raw / name).exists()
        assert (raw / files["train_images"][0].name).is_file()  # verified before it: kept
        # the rerun fetches the deleted file again, the good one this time, and what the
        # first run had not reached; the verified file it keeps
        server.payloads = good
        server.requests.clear()
        arrays = mnist.load_raw(None, raw, (server.url + "/good/",), table(files))
    assert server.requests == ["/good/" + spec.name for spec, _ in files.values()][1:]
    assert arrays["train_labels"].shape == (12,)


def test_a_file_in_the_users_folder_is_never_deleted(tmp_path, files, no_folder):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for spec, blob in files.values():
        (folder / spec.name).write_bytes(blob)
    wrong = {key: IdxFile(spec.name, "0" * 32, spec.shape) for key, spec in table(files).items()}
    with pytest.raises(UserError, match="checksum mismatch") as error:
        mnist.load_raw(str(folder), tmp_path / "raw", (), wrong)
    assert "deleted" not in str(error.value)
    assert len(list(folder.iterdir())) == 4
