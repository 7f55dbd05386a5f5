"""A real S3 API over HTTP for the media tests: moto's server in a thread on a free local port.

moto implements S3's HTTP protocol (signatures, multipart uploads, ETags, listing pages); the store under test
talks to it through boto3 exactly as it would to MinIO or AWS, so nothing of labelhub is mocked.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import boto3
import pytest
from moto.server import ThreadedMotoServer

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Credentials the server accepts (it checks none unless refuse_credentials is on); never real ones.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "labelhub-test", "AWS_SECRET_ACCESS_KEY": "labelhub-test-secret-xyz",
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
                    "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true"}  # fmt: skip


@contextmanager
def s3_server() -> Iterator[str]:
    """Run the S3 server with the test credentials in the environment; yield its endpoint URL."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line for every request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        with pytest.MonkeyPatch.context() as mp:
            for name, value in FAKE_CREDENTIALS.items():
                mp.setenv(name, value)
            yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_client(endpoint: str) -> S3Client:
    """A plain boto3 client on the test server, to look at what the store wrote."""
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


def new_bucket(endpoint: str, name: str) -> str:
    """Create the bucket ``name`` on the server and return its name."""
    s3_client(endpoint).create_bucket(Bucket=name)
    return name


@contextmanager
def refuse_credentials(endpoint: str) -> Iterator[None]:
    """Make the server check signatures against its (empty) user list, so every key is refused, for the block."""

    def set_auth(after: bytes) -> None:  # how many requests pass before signatures are checked
        headers = {"Content-Type": "text/plain"}  # a form type would leave the body to the form parser
        request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=after, headers=headers, method="POST")
        urllib.request.urlopen(request).close()

    set_auth(b"0")
    try:
        yield
    finally:
        set_auth(b"inf")
