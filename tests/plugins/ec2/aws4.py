#!/usr/bin/env python3
"""The npm package aws4 (an independent SigV4 implementation) for the fake EC2.

    python3 tests/plugins/ec2/aws4.py      # prints the directory holding aws4.js

The package is pinned by version and by its registry integrity hash, fetched
once with npm (or, without npm, straight from the registry npm is configured
with) and kept in a cache directory, reused when present:

    $SABA_AWS4_CACHE                      when set
    /var/cache/saba-agent-test            when it can be created (root, CI)
    ~/.cache/saba-agent-test              otherwise

A fetch that fails is an error with the reason (exit 1), never a skip: the
EC2 tests must verify signatures to mean anything.
"""

import base64
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request

NAME = "aws4"
VERSION = "1.13.2"
INTEGRITY = ("sha512-lHe62zvbTB5eEABUVi/AwVh0ZKY9rMMDhmm+eeyuuUQbQ3+J+fONVQOZyj+DdrvD4BY33uY"
             "niyRJ4UJIaSKAfw==")
FILES = ("aws4.js", "lru.js", "package.json", "LICENSE")


class FetchError(Exception):
    pass


def cache_root():
    env = os.environ.get("SABA_AWS4_CACHE")
    if env:
        os.makedirs(env, exist_ok=True)
        return env
    for d in ("/var/cache/saba-agent-test",
              os.path.join(os.path.expanduser("~"), ".cache", "saba-agent-test")):
        try:
            os.makedirs(d, exist_ok=True)
            if os.access(d, os.W_OK):
                return d
        except OSError:
            continue
    raise FetchError("no writable cache directory for %s (set SABA_AWS4_CACHE)" % NAME)


def _check_integrity(data):
    algo, _, want = INTEGRITY.partition("-")
    got = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if got != want:
        raise FetchError("%s-%s.tgz has integrity %s-%s, expected %s"
                         % (NAME, VERSION, algo, got, INTEGRITY))


def _fetch_npm(tmp):
    npm = shutil.which("npm")
    if npm is None:
        return None
    p = subprocess.run([npm, "pack", "%s@%s" % (NAME, VERSION), "--pack-destination", tmp,
                        "--silent"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300, cwd=tmp)
    tgz = os.path.join(tmp, "%s-%s.tgz" % (NAME, VERSION))
    if p.returncode != 0 or not os.path.isfile(tgz):
        raise FetchError("npm pack %s@%s failed (exit %d): %s" % (
            NAME, VERSION, p.returncode, p.stderr.decode("utf-8", "replace")[-500:]))
    with open(tgz, "rb") as f:
        return f.read()


def _fetch_direct():
    registry = os.environ.get("NPM_CONFIG_REGISTRY") or "https://registry.npmjs.org/"
    url = "%s/%s/-/%s-%s.tgz" % (registry.rstrip("/"), NAME, NAME, VERSION)
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.read()
    except OSError as e:
        raise FetchError("cannot download %s: %s" % (url, e)) from e


def ensure():
    """The directory holding aws4.js, fetching the package when needed."""
    root = cache_root()
    final = os.path.join(root, "%s-%s" % (NAME, VERSION))
    if os.path.isfile(os.path.join(final, "aws4.js")):
        return final
    tmp = tempfile.mkdtemp(prefix=".aws4-", dir=root)
    try:
        data = _fetch_npm(tmp)
        if data is None:
            data = _fetch_direct()
        _check_integrity(data)
        out = os.path.join(tmp, "pkg")
        os.mkdir(out)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for name in FILES:
                member = tar.getmember("package/" + name)
                if not member.isfile():
                    raise FetchError("%s in the tarball is not a file" % name)
                with open(os.path.join(out, name), "wb") as f:
                    f.write(tar.extractfile(member).read())
        try:
            os.rename(out, final)
        except OSError:
            if not os.path.isfile(os.path.join(final, "aws4.js")):   # lost no race: real error
                raise
    except (KeyError, tarfile.TarError, subprocess.TimeoutExpired) as e:
        raise FetchError("unpacking %s-%s: %s" % (NAME, VERSION, e)) from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


if __name__ == "__main__":
    try:
        print(ensure())
    except FetchError as e:
        print("aws4.py: %s" % e, file=sys.stderr)
        sys.exit(1)
