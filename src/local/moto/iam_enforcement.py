"""Make moto's IAM enforcement judge requests the way AWS does, for the actions the pipeline uses.

moto 5.2.1 authorizes a request once ``INITIAL_NO_AUTH_ACTION_COUNT`` requests have passed (every S3,
SQS, DynamoDB, SNS, IAM... request counts, failed ones too; ``/moto-api/*`` calls do not). The local
runtime starts moto with the default (never enforce), provisions, creates the IAM users, and then posts
``0`` to ``/moto-api/reset-auth``, which turns enforcement on from the next request.

What moto does by itself (read in moto/iam/access_control.py, checked by experiment): it evaluates the
Action and Resource of identity policies (``*`` wildcards, so ``arn:aws:s3:::bucket/*`` works), explicit
denies win; it does not evaluate resource policies (bucket, queue, topic policies), conditions on
identity policies fail closed, and permission boundaries and SCPs do not exist. Without these patches
it also got the following wrong, each of which would let a missing permission pass or an allowed call
fail:

1. DynamoDB and SNS requests were authorized against resource ``*``: a policy naming the table or topic
   ARN (as every least-privilege policy does) was never matched, so every call was denied. They now
   carry the table ARN (the index ARN for a Query on an index; one check per table of a batch call) and
   the topic ARN; GetQueueUrl carries the queue ARN (it names the queue, not its URL).
2. SQS batch calls were checked as ``sqs:SendMessageBatch``/``DeleteMessageBatch``/
   ``ChangeMessageVisibilityBatch``, which are not IAM actions: AWS authorizes them as the single
   action (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html).
3. S3 names: HeadBucket and ListObjects(V2) need ``s3:ListBucket``, ListObjectVersions
   ``s3:ListBucketVersions``, ListMultipartUploads ``s3:ListBucketMultipartUploads``; a HEAD with a
   ``versionId`` needs ``s3:GetObjectVersion`` (moto checked ``s3:GetObject``); Get/PutObjectTagging with
   a ``versionId`` need ``s3:GetObjectVersionTagging``/``s3:PutObjectVersionTagging``.
4. CopyObject was checked only as ``s3:PutObject`` on the destination; AWS also needs ``s3:GetObject``
   (``s3:GetObjectVersion`` with a source version id) on the source
   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html, "Permissions").
5. A PutObject or CopyObject that sets tags (``x-amz-tagging``) also needs ``s3:PutObjectTagging``
   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html, "Permissions").
6. GET/HEAD of a missing key answered 404 to a caller without ``s3:ListBucket`` on the bucket; AWS
   answers 403 (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions").
7. The signature of an S3 request whose key needs percent-encoding (``café.jpg``, ``a+b.pdf``,
   ``100%.zip``) never matched: moto signed the decoded path, but S3's canonical URI is the path exactly
   as sent (S3 is the one service whose SigV4 path is not normalized). It now signs the raw path.
8. Denials said "Access Denied" (S3) or "User: ... is not authorized to perform: dynamodb:PutItem" in an
   XML body the JSON-protocol SDK clients cannot parse. Every denial now names the principal, the
   action and the resource, as AWS does, in the protocol of the service (JSON for DynamoDB and SQS).
"""

import json
from urllib.parse import unquote, urlparse

from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError, _RESTError
from moto.dynamodb.responses import DynamoHandler
from moto.iam.access_control import IAMRequest, IAMRequestBase, S3IAMRequest
from moto.s3.exceptions import S3ClientError
from moto.s3.responses import S3Response
from moto.sns.responses import SNSResponse
from moto.sqs.responses import SQSResponse

IAM_ACTION_OF = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    "s3:HeadBucket": "s3:ListBucket",
    "s3:ListObjects": "s3:ListBucket",
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:ListObjectVersions": "s3:ListBucketVersions",
    "s3:ListMultipartUploads": "s3:ListBucketMultipartUploads",
}


def enforcing():
    """True once moto authorizes requests (after INITIAL_NO_AUTH_ACTION_COUNT requests)."""
    return ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT


def denial_message(principal, action, resource):
    return (
        f"User: {principal} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


class S3AccessDenied(S3ClientError):
    def __init__(self, message):
        super().__init__("AccessDenied", message)


class XmlAccessDenied(_RESTError):
    code = 403

    def __init__(self, message):
        super().__init__("AccessDenied", message)


class JsonAccessDenied(JsonRESTError):
    def __init__(self, error_type, message, status):
        super().__init__(error_type, message)
        self.code = status


# 1-3, 7: action names, and the resource kept on the request so a denial can name it.
_original_request_init = IAMRequestBase.__init__
_original_check_action_permitted = IAMRequestBase.check_action_permitted


def _request_init(self, *args, **kwargs):
    _original_request_init(self, *args, **kwargs)
    self._action = IAM_ACTION_OF.get(self._action, self._action)



def _check_action_permitted(self, resource):
    self._denied_resource = resource
    _original_check_action_permitted(self, resource)


def _deny_normal(self):
    message = denial_message(self._access_key.arn, self._action, getattr(self, "_denied_resource", "*"))
    target = self._headers.get("X-Amz-Target") or self._headers.get("x-amz-target") or ""
    if target.startswith("DynamoDB_"):
        # DynamoDB's JSON protocol: a 400 whose __type the SDK turns into AccessDeniedException.
        raise JsonAccessDenied("com.amazonaws.dynamodb.v20120810#AccessDeniedException", message, 400)
    if target.startswith("AmazonSQS."):
        raise JsonAccessDenied("com.amazonaws.sqs#AccessDenied", message, 403)
    raise XmlAccessDenied(message)


def _deny_s3(self):
    raise S3AccessDenied(
        denial_message(self._access_key.arn, self._action, getattr(self, "_denied_resource", "*"))
    )


# 1. DynamoDB: the table (or index) ARNs the request touches; one check per table.
def _dynamodb_resources(self):
    # moto's DynamoHandler replaces the raw body with the parsed parameters before authorizing.
    body = self.body
    if not isinstance(body, dict):
        try:
            body = json.loads(body or "{}")
        except (TypeError, ValueError):
            return ["*"]
    prefix = f"arn:aws:dynamodb:{self.region}:{self.current_account}:table/"
    if body.get("TableName"):
        arn = prefix + body["TableName"]
        return [f"{arn}/index/{body['IndexName']}" if body.get("IndexName") else arn]
    tables = list((body.get("RequestItems") or {}).keys())
    if tables:
        return [prefix + table for table in tables]
    return ["*"]


def _dynamodb_authorize(self, resource="*"):
    for arn in resource if isinstance(resource, list) else [resource]:
        ActionAuthenticatorMixin._authenticate_and_authorize_normal_action(self, arn)


_original_sqs_resource = SQSResponse._determine_resource


def _sqs_resource(self):
    # GetQueueUrl (and CreateQueue) name the queue, not its URL; moto then authorized them on `*`.
    name = self._get_param("QueueName")
    if name and not self._get_param("QueueUrl"):
        return f"arn:aws:sqs:{self.region}:{self.current_account}:{name}"
    return _original_sqs_resource(self)


def _sns_resource(self):
    return self._get_param("TopicArn") or self._get_param("TargetArn") or "*"


# 3-6: S3 actions AWS checks that moto did not.
_original_s3_authorize = S3Response._authenticate_and_authorize_s3_action


def _s3_check(self, action, bucket_name=None, key_name=None):
    """Authorize `action` on the resource, whatever action the request itself was mapped to."""
    saved = self.data.get("Action")
    self.data["Action"] = action
    try:
        _original_s3_authorize(self, bucket_name=bucket_name, key_name=key_name)
    finally:
        self.data["Action"] = saved


def _object_exists(self, bucket_name, key_name):
    try:
        bucket = self.backend.get_bucket(bucket_name)
    except Exception:
        return True  # a missing bucket answers NoSuchBucket, which no permission changes
    return key_name in bucket.keys


def _s3_authorize(self, bucket_name=None, key_name=None):
    if enforcing() and getattr(self, "raw_path", None):
        self.uri = urlparse(self.uri)._replace(path=self.raw_path).geturl()
    if not enforcing() or not key_name:
        return _original_s3_authorize(self, bucket_name=bucket_name, key_name=key_name)
    action = self.data.get("Action")
    if self.method == "HEAD" and "versionId" in self.querystring:
        action = "GetObjectVersion"
    if "tagging" in self.querystring and "versionId" in self.querystring:
        # moto named GET ?tagging&versionId s3:GetObjectVersion and PUT s3:PutObjectTagging; AWS
        # authorizes them as the version's tagging actions (the in-place quarantine of a versioned upload).
        action = {"GET": "GetObjectVersionTagging", "PUT": "PutObjectVersionTagging"}.get(self.method, action)
    _s3_check(self, action, bucket_name, key_name)
    if self.method == "PUT" and action == "PutObject":
        source = self.headers.get("x-amz-copy-source")
        if source:
            path, _, query = unquote(source).lstrip("/").partition("?")
            source_bucket, _, source_key = path.partition("/")
            read = "GetObjectVersion" if "versionId=" in query else "GetObject"
            _s3_check(self, read, source_bucket, source_key)
        if self.headers.get("x-amz-tagging"):
            _s3_check(self, "PutObjectTagging", bucket_name, key_name)
    if action in ("GetObject", "GetObjectVersion") and not _object_exists(self, bucket_name, key_name):
        try:
            _s3_check(self, "ListBucket", bucket_name)
        except S3ClientError as denied:
            # The answer AWS gives: without s3:ListBucket a missing key is indistinguishable from a denial.
            raise S3AccessDenied(
                f"{denied.message} (the object asked for does not exist: without s3:ListBucket S3 answers 403, not 404)"
            ) from None


def install():
    """Install the patches (done once, on import, by launch_moto.py)."""
    IAMRequestBase.__init__ = _request_init  # type: ignore[method-assign]
    IAMRequestBase.check_action_permitted = _check_action_permitted  # type: ignore[method-assign]
    IAMRequest._raise_access_denied = _deny_normal  # type: ignore[method-assign]
    S3IAMRequest._raise_access_denied = _deny_s3  # type: ignore[method-assign]
    DynamoHandler._determine_resource = _dynamodb_resources  # type: ignore[attr-defined]
    DynamoHandler._authenticate_and_authorize_normal_action = _dynamodb_authorize  # type: ignore[method-assign]
    SNSResponse._determine_resource = _sns_resource  # type: ignore[attr-defined]
    SQSResponse._determine_resource = _sqs_resource  # type: ignore[attr-defined]
    S3Response._authenticate_and_authorize_s3_action = _s3_authorize  # type: ignore[method-assign]
