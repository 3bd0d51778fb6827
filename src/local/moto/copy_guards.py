"""CopyObject / UploadPartCopy guards that moto 5.2.1 ignores, answered as S3 documents them.

Why: the pipeline relies on two S3 guards to never lose or overwrite a file, and moto accepts both
headers and then copies anyway, so without this module a local run (and every e2e test) would pass
while the guards do nothing.

1. ``x-amz-copy-source-if-match: <etag>`` on CopyObject and UploadPartCopy: copy only when the source
   still has that ETag. S3 answers ``412 PreconditionFailed`` otherwise
   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html, "x-amz-copy-source-if-match").
2. ``If-None-Match: *`` on CopyObject: copy only when the target key does not exist. S3 answers
   ``412 PreconditionFailed`` when it does, and ``409 ConditionalRequestConflict`` when a concurrent
   write wins the race (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
   Here the check and the write run under one lock that PutObject and CompleteMultipartUpload also take,
   so the check is atomic against every other write of this server: a racing writer simply waits, and
   the loser sees the key and gets 412 (the 409 outcome is S3's, not reproduced locally).

The 412 body is moto's own ``PreconditionFailed`` error (``Code``, ``Message`` "At least one of the
pre-conditions you specified did not hold", ``Condition`` naming the header), the shape S3 returns.
"""

import threading
from urllib.parse import parse_qs, unquote, urlparse

from moto.s3.exceptions import PreconditionFailed
from moto.s3.responses import S3Response

# One lock for every write that a conditional copy must be atomic against (re-entrant: a guarded copy
# may reach another guarded method).
_write_lock = threading.RLock()


def _copy_source(headers):
    raw = headers.get("x-amz-copy-source")
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    parsed = urlparse(raw or "")
    bucket, _, key = unquote(parsed.path).lstrip("/").partition("/")
    version_id = parse_qs(parsed.query).get("versionId", [None])[0]
    return bucket, key, version_id


def _etag_matches(etag, wanted):
    """S3 compares ETags with or without quotes; `*` matches any existing object."""
    bare = etag.strip('"')
    return any(w.strip() == "*" or w.strip().strip('"') == bare for w in wanted.split(","))


def _check_source_if_match(response):
    wanted = response.headers.get("x-amz-copy-source-if-match")
    if wanted is None:
        return
    bucket, key, version_id = _copy_source(response.headers)
    source = response.backend.get_object(bucket, key, version_id=version_id)
    # A missing source is left to moto, which answers NoSuchKey / NoSuchVersion as S3 does.
    if source is not None and not _etag_matches(source.etag, wanted):
        raise PreconditionFailed("x-amz-copy-source-If-Match")


_original_copy_object = S3Response.copy_object
_original_upload_part_copy = S3Response.upload_part_copy
_original_put_object = S3Response.put_object
_original_key_response_post = S3Response._key_response_post


def _copy_object(self):
    with _write_lock:
        _check_source_if_match(self)
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None and if_none_match.strip() == "*":
            # get_object answers None for a missing key and for a delete marker: S3 lets the write
            # through in both cases.
            if self.backend.get_object(self.bucket_name, self.parse_key_name()) is not None:
                raise PreconditionFailed("If-None-Match")
        return _original_copy_object(self)


def _upload_part_copy(self):
    _check_source_if_match(self)
    return _original_upload_part_copy(self)


def _put_object(self):
    with _write_lock:
        return _original_put_object(self)


def _key_response_post(self, *args, **kwargs):
    # CompleteMultipartUpload (and CreateMultipartUpload, harmlessly) write under the same lock.
    with _write_lock:
        return _original_key_response_post(self, *args, **kwargs)


def install():
    """Patch moto's S3 responses (idempotent)."""
    if getattr(S3Response, "_silent_scalper_copy_guards", False):
        return
    S3Response.copy_object = _copy_object  # type: ignore[method-assign]
    S3Response.upload_part_copy = _upload_part_copy  # type: ignore[method-assign]
    S3Response.put_object = _put_object  # type: ignore[method-assign]
    S3Response._key_response_post = _key_response_post  # type: ignore[method-assign]
    S3Response._silent_scalper_copy_guards = True  # type: ignore[attr-defined]
