"""S3 event notifications that carry ``sequencer`` and ``versionId``, as S3's do.

Why: moto 5.2.1 writes ``s3.object`` as ``{key, size, eTag}`` only. Real S3 adds two fields that say
which upload an event is about (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html):

- ``versionId``: the object's version when the bucket is versioning-enabled;
- ``sequencer``: a hex string "used to determine event sequence, only used with PUTs and DELETEs". For
  one object key, a later event has the greater sequencer when the two strings are compared after the
  shorter one is left-padded with zeros; sequencers of different keys are not comparable.

The handler names an upload ``versionId ?? sequencer ?? eTag`` (``uploadIdOf`` in
src/pipeline/s3Event.ts), so without these fields every local upload of the same bytes -- a file a
quarantine retry copies back included -- got the same ETag-based id, and with it the same record and
quarantine key, which S3 never does. With this module the local runtime names uploads as AWS does.

What it does: it wraps ``moto.s3.notifications._get_s3_event``, the one function that builds the records
``send_event`` hands to every destination (SQS, which the pipeline uses, and Lambda and SNS alike), and
``send_event`` itself, so that one event gets one sequencer however many destinations receive it (S3
numbers the event, not the delivery). Both are looked up in the module at each call (``send_event`` by
moto.s3.models as ``notifications.send_event``, ``_get_s3_event`` by ``send_event`` as a global), so
replacing the module attributes is what takes effect. moto's record is kept as it is; ``s3.object`` gains:

- ``sequencer`` on ``ObjectCreated:*`` and ``ObjectRemoved:*`` events (S3's "PUTs and DELETEs"; other
  kinds such as tagging or ACL events get none, as on S3). Decision on the format: 18 uppercase hex
  digits, zero-padded (the width and look of S3's own examples, e.g. ``0055AED6DCD90281E5``), of a
  process-wide counter that is ``max(previous + 1, time.time_ns())`` under a lock. So it is strictly
  increasing across every event of this server (hence per bucket and key, which is all S3 promises),
  fixed-width (string order is number order, no padding needed to compare), and it keeps increasing
  across restarts of moto as long as the wall clock does not go back.
- ``versionId`` when the object has a version of its own (versioning enabled). moto reports ``"null"``
  (or nothing) for objects of an unversioned or suspended bucket; then the field is left out, as S3
  leaves it out for unversioned buckets.
"""

import threading
import time

from moto.s3 import notifications

# The moto version whose notifications.py this wraps (launch_moto.py reports a different running version).
PATCHED_FOR = "5.2.1"

# 18 hex digits count 16**18 ns, about 150,000 years: no time_ns() value outgrows the width.
SEQUENCER_HEX_DIGITS = 18
_SEQUENCED_EVENTS = ("s3:ObjectCreated:", "s3:ObjectRemoved:")

_sequencer_lock = threading.Lock()
_last_sequencer = 0


def next_sequencer():
    """The next sequencer: strictly greater than every earlier one of this process, fixed-width hex."""
    global _last_sequencer
    with _sequencer_lock:
        _last_sequencer = max(_last_sequencer + 1, time.time_ns())
        return format(_last_sequencer, f"0{SEQUENCER_HEX_DIGITS}X")


def _own_version_id(key):
    version_id = getattr(key, "version_id", None)
    return None if version_id in (None, "", "null") else str(version_id)


def _is_sequenced(event_name):
    return str(getattr(event_name, "value", event_name)).startswith(_SEQUENCED_EVENTS)


# The sequencer of the event send_event is dispatching on this thread (moto serves requests on threads).
_current_event = threading.local()
_original_send_event = notifications.send_event
_original_get_s3_event = notifications._get_s3_event


def _send_event(account_id, event_name, bucket, key):
    _current_event.sequencer = next_sequencer() if _is_sequenced(event_name) else None
    try:
        return _original_send_event(account_id, event_name, bucket, key)
    finally:
        _current_event.sequencer = None


def _get_s3_event(event_name, bucket, key, notification_id):
    body = _original_get_s3_event(event_name, bucket, key, notification_id)
    sequencer = getattr(_current_event, "sequencer", None)
    if sequencer is None and _is_sequenced(event_name):
        sequencer = next_sequencer()  # built outside send_event: still a fresh, increasing sequencer
    version_id = _own_version_id(key)
    for record in body.get("Records", []):
        obj = record["s3"]["object"]
        if version_id is not None:
            obj["versionId"] = version_id
        if sequencer is not None:
            obj["sequencer"] = sequencer
    return body


def install():
    """Patch moto's notification builder (idempotent)."""
    if getattr(notifications, "_silent_scalper_event_identity", False):
        return
    notifications.send_event = _send_event
    notifications._get_s3_event = _get_s3_event
    notifications._silent_scalper_event_identity = True
