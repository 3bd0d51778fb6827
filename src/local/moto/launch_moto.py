"""Start moto_server with SQS queue attributes computed lazily.

Why: moto 5.2.x builds ``Queue.attributes`` -- including three message counts that scan every
message -- on each SendMessage/ReceiveMessage (retention check, FIFO dedup flags). At 5,000 queued
messages that made SendMessageBatch ~9 msg/s and a receive of 10 take seconds, so a local dump of
thousands of files never drained. Here the property leaves the counts out, and GetQueueAttributes
adds them back only when a caller asks for them, so the counts stay exact.

Usage: python3 launch_moto.py -H 127.0.0.1 -p 4566   (same arguments as moto_server)
"""

import json
import sys

from moto.core.utils import camelcase_to_underscores
from moto.server import main
from moto.sqs.models import Queue, SQSBackend

COUNT_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateNumberOfMessagesNotVisible",
)


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


Queue.attributes = property(_attributes_without_counts)  # type: ignore[assignment]
SQSBackend.get_queue_attributes = _get_queue_attributes  # type: ignore[method-assign]

if __name__ == "__main__":
    print("silent-scalper: moto SQS patched (lazy queue counts)", file=sys.stderr, flush=True)
    main(sys.argv[1:])
