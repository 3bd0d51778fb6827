"""Start moto_server with SQS costs that no longer grow with queue depth.

Why: moto 5.2.x does work proportional to the number of queued messages on every SQS call, so a
local dump of thousands of files never drained (measured at 5,000 queued: SendMessageBatch ~9 msg/s,
a receive of 10 took seconds). Four patches, each keeping moto's observable behaviour:

1. ``Queue.attributes`` recounted three message totals by scanning every message, and SendMessage,
   ReceiveMessage and the retention check read it several times per message. The property now leaves
   the counts out; GetQueueAttributes adds them back only when a caller asks, so they stay exact.
2. ``Queue.messages`` (visible, not delayed) asked the clock twice per message through moto's slow
   datetime helpers; it now reads the clock once per call and compares the stored timestamps.
3. ``Queue.delete_message`` scanned every message's receipt handles; receipts are now indexed when a
   message is received (a delete with any receipt the message ever had still works, as in moto).
4. The per-message retention check read all queue attributes; it now reads the one it needs.

And two thread-safety fixes (moto serves requests on threads): ReceiveMessage did not lock its scan,
so two concurrent receives could take the same message (measured: 2-3 duplicates per 2,000 messages
with 8 pollers) -- each scan now runs under a lock, the long-poll wait outside it; and DeleteMessage
rebuilt the message list unlocked, so concurrent deletes could resurrect each other's messages
(measured: a batch of 10 redelivered once in ~4,000) -- it now holds the lock SendMessage uses.

Modules installed beside these: ``iam_enforcement`` (IAM checks moto skips), ``copy_guards`` (the copy
preconditions moto ignores), ``event_identity`` (S3 event records carry ``sequencer`` and ``versionId``
as S3's do, so every local upload gets its own upload id) and, at start, ``origin_guard`` (no browser
may drive the local endpoint). Each module's docstring says why.

Usage: python3 launch_moto.py -H 127.0.0.1 -p 4566   (same arguments as moto_server)
"""

import ctypes
import json
import os
import signal
import sys
import threading
import time

import moto
from moto.core.utils import camelcase_to_underscores, unix_time, unix_time_millis
from moto.server import main
from moto.sqs.exceptions import ReceiptHandleIsInvalid
from moto.sqs.models import Message, Queue, SQSBackend

import iam_enforcement
import copy_guards
import event_identity
import origin_guard

PATCHED_FOR = "5.2.1"

COUNT_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateNumberOfMessagesNotVisible",
)


# 1. Queue attributes without the three O(n) counts; counts computed only on request.
def _attributes_without_counts(self):
    names = [a for a in Queue.BASE_ATTRIBUTES if a not in COUNT_ATTRIBUTES]
    if self.fifo_queue:
        names += Queue.FIFO_ATTRIBUTES
    if self.kms_master_key_id:
        names += Queue.KMS_ATTRIBUTES
    result = {name: getattr(self, camelcase_to_underscores(name)) for name in names}
    if self.policy:
        result["Policy"] = self.policy
    if self.redrive_policy:
        result["RedrivePolicy"] = json.dumps(self.redrive_policy)
    return {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in result.items()}


_original_get_queue_attributes = SQSBackend.get_queue_attributes


def _get_queue_attributes(self, queue_name, attribute_names):
    attributes = dict(_original_get_queue_attributes(self, queue_name, attribute_names))
    if attribute_names:
        queue = self.get_queue(queue_name)
        for name in COUNT_ATTRIBUTES:
            if "All" in attribute_names or name in attribute_names:
                attributes[name] = getattr(queue, camelcase_to_underscores(name))
    return attributes


# 2. Visible, undelayed messages with one clock read (same comparisons as Message.visible/.delayed).
def _visible_messages(self):
    now = unix_time_millis()
    return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]


# 3. Receipt handle -> message, filled on receive, so a delete does not scan the queue.
_receipt_owner = {}
_original_mark_received = Message.mark_received


def _mark_received(self, visibility_timeout=None):
    _original_mark_received(self, visibility_timeout)
    _receipt_owner[self.receipt_handle] = self


def _delete_message(self, receipt_handle):
    if receipt_handle in self.deleted_messages:
        return  # already deleted: moto (like SQS) accepts it again
    message = _receipt_owner.get(receipt_handle)
    # Under the lock SendMessage appends with: moto rebuilt the list unlocked, so two concurrent deletes
    # could put back each other's message (deleted, reported so, and redelivered after the visibility
    # timeout), and a delete racing a send could drop the new message.
    with self._messages_lock:
        # `in` on a list compares identity first, in C: cheap even at 10,000 messages.
        if message is None or message not in self._messages:
            raise ReceiptHandleIsInvalid()
        self.pending_messages.discard(message)
        self.deleted_messages.update(message.all_receipt_handles)
        for handle in message.all_receipt_handles:
            _receipt_owner.pop(handle, None)
        # Replace the list rather than mutate it: other request threads may be iterating the old one.
        remaining = list(self._messages)
        remaining.remove(message)
        self._messages = remaining


# 4. Retention check reading only MessageRetentionPeriod.
def _valid_for_retention(self, queue_name, message):
    queue = self.get_queue(queue_name)
    return int(queue.message_retention_period) + message.sent_timestamp / 1000 > unix_time()


# 5. Receives are atomic: scan and mark under a lock (non-waiting), wait for new messages outside it.
_receive_lock = threading.Lock()
_original_receive_message = SQSBackend.receive_message


def _receive_message(self, queue_name, count, wait_seconds_timeout, visibility_timeout, message_attribute_names=None):
    deadline = time.monotonic() + (wait_seconds_timeout or 0)
    while True:
        queue = self.get_queue(queue_name)
        # The queue's own lock too: the scan may move messages to the DLQ (a list mutation).
        with _receive_lock, queue._messages_lock:
            result = _original_receive_message(
                self, queue_name, count, 0, visibility_timeout, message_attribute_names
            )
        left = deadline - time.monotonic()
        if result or left <= 0:
            return result
        # Wakes as soon as a message becomes visible (SendMessage notifies), at the latest after 1 s;
        # the short sleep keeps a queue whose visible messages cannot be taken from spinning.
        queue.wait_for_messages(min(1.0, left))
        time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))


def apply_patches():
    """Install the patches on moto's SQS classes (done once, on import)."""
    Queue.attributes = property(_attributes_without_counts)  # type: ignore[assignment]
    Queue.messages = property(_visible_messages)  # type: ignore[assignment]
    Queue.delete_message = _delete_message  # type: ignore[method-assign]
    Message.mark_received = _mark_received  # type: ignore[method-assign]
    SQSBackend.get_queue_attributes = _get_queue_attributes  # type: ignore[method-assign]
    SQSBackend.is_message_valid_based_on_retention_period = _valid_for_retention  # type: ignore[method-assign]
    SQSBackend.receive_message = _receive_message  # type: ignore[method-assign]


apply_patches()
iam_enforcement.install()
copy_guards.install()
event_identity.install()


def die_with_parent(parent_pid):
    """Linux: get SIGTERM when the process that started us dies, even by SIGKILL, so no moto is orphaned."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        sys.exit(0)


if __name__ == "__main__":
    parent = os.environ.get("SILENT_SCALPER_PARENT_PID", "")
    if parent.isdigit():
        die_with_parent(int(parent))
    note = "" if moto.__version__ == PATCHED_FOR else f" (written for {PATCHED_FOR}, running {moto.__version__})"
    print(f"silent-scalper: moto SQS patched for queue depth{note}", file=sys.stderr, flush=True)
    origin_guard.install()
    main(sys.argv[1:])
