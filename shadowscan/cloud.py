"""Object storage (S3, GCS, Azure): URIs, stores built from the environment, and failures
said in one sentence that never shows a credential or an endpoint.

Both halves of shadowscan reach object storage through the Rust `object_store` crate:
logs through `obstore` (its Python binding), the store through deltalake, which
is built on the same crate. Credentials and endpoints therefore come the same
standard way for both: `AWS_*` variables (`AWS_ENDPOINT_URL` and `AWS_ALLOW_HTTP`
for an S3-compatible server), web identity and instance roles; `GOOGLE_*` and
`AZURE_*` for the others. shadowscan never takes them on its command line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from shadowscan.errors import StoreError

#: Schemes read as object storage; any other `x://` is refused rather than taken for a path.
SCHEMES = ("s3", "s3a", "gs", "az", "azure", "abfs", "abfss")
_URI = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
#: Variables whose values never reach any output, even inside a library's message.
SECRET_VARIABLES = re.compile(
    r"^(AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|ENDPOINT_URL\w*|ENDPOINT)"
    r"|AZURE_STORAGE_\w*(KEY|TOKEN|SECRET|SAS\w*)|AZURE_CLIENT_SECRET"
    r"|GOOGLE_SERVICE_ACCOUNT_KEY|GOOGLE_APPLICATION_CREDENTIALS)$"
)
_REDACTED = "[redacted]"
#: An object is read in ranged requests of this size, the next fetched during this one.
READ_BUFFER = 8 << 20


def is_uri(text: str | os.PathLike) -> bool:
    """`s3://…`, `gs://…`, `az://…`: anything with a scheme, which no local path has."""
    return bool(_URI.match(str(text)))


@dataclass(frozen=True)
class ObjectUri:
    """A place on object storage: its scheme, bucket (or container) and key prefix."""

    scheme: str
    bucket: str
    key: str

    @classmethod
    def parse(cls, text: str) -> ObjectUri:
        """Read `scheme://bucket/key`; credentials or a query in it are refused unshown."""
        parts = urlsplit(str(text))
        scheme = parts.scheme.lower()
        if scheme not in SCHEMES:
            raise StoreError(
                f"{scheme}:// is not an object store shadowscan reads.",
                hint="Use s3://, gs://, az:// or abfs(s)://, or a local path.",
            )
        if parts.query or parts.fragment or parts.password is not None:
            raise StoreError(
                f"a {scheme}:// address with credentials or options in it is not read.",
                hint="Give credentials the standard way (AWS_*, GOOGLE_*, AZURE_* variables, "
                "a profile or an instance role), never in the address.",
            )
        if not parts.netloc:
            raise StoreError(
                f"{scheme}:// names no bucket.", hint=f"Write {scheme}://BUCKET/PREFIX"
            )
        return cls(scheme, parts.netloc, parts.path.strip("/"))

    @property
    def root(self) -> str:
        """The bucket's address, with no key."""
        return f"{self.scheme}://{self.bucket}"

    def join(self, key: str) -> str:
        return f"{self.root}/{key}" if key else self.root

    def __str__(self) -> str:
        return self.join(self.key)


class AccessDenied(StoreError):
    """The object store refused the credentials: no other object would fare better."""


def bucket_store(uri: ObjectUri):
    """An obstore store for the whole bucket, configured from the environment."""
    from obstore.store import from_url

    if uri.scheme.startswith("s3"):
        use_aws_profile()
    with remote_errors(uri.root, "open"):
        return from_url(uri.root)


def use_aws_profile() -> None:
    """Resolve `AWS_PROFILE` (~/.aws/config and credentials, SSO, assumed roles) into this
    process's AWS_* variables, as `aws configure export-credentials` would.

    object_store, under both obstore and deltalake, reads variables, web identity
    and instance roles but no profile; boto3 reads profiles, when it is installed.
    Variables already set win: they are the more explicit choice.
    """
    if not os.environ.get("AWS_PROFILE") or os.environ.get("AWS_ACCESS_KEY_ID"):
        return
    try:
        import boto3
    except ImportError:
        raise StoreError(
            "AWS_PROFILE is set, but reading a profile needs boto3, which is not installed.",
            hint="pip install boto3, or export the profile's credentials: "
            "eval $(aws configure export-credentials --format env).",
        ) from None
    from botocore.exceptions import BotoCoreError

    try:
        session = boto3.Session()
        found = session.get_credentials()
    except BotoCoreError:  # no such profile, a broken config file, an SSO login expired
        raise AccessDenied("the profile named by AWS_PROFILE cannot be read.") from None
    if found is None:
        raise AccessDenied("the profile named by AWS_PROFILE holds no credentials.")
    frozen = found.get_frozen_credentials()
    os.environ["AWS_ACCESS_KEY_ID"] = frozen.access_key
    os.environ["AWS_SECRET_ACCESS_KEY"] = frozen.secret_key
    if frozen.token:
        os.environ["AWS_SESSION_TOKEN"] = frozen.token
    if session.region_name and not os.environ.get("AWS_REGION"):
        os.environ["AWS_REGION"] = session.region_name


@contextmanager
def remote_errors(shown: str, doing: str) -> Iterator[None]:
    """Turn an object store's failure into one sentence naming only `shown`.

    A library's own message can carry the endpoint, the request URL or the key
    id (S3's InvalidAccessKeyId names it), so it is never passed on.
    """
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        if refused(exc):
            raise AccessDenied(f"cannot {doing} {shown}: {REFUSED}.") from None
        reason = failure(exc)
        if reason is None:
            raise
        raise StoreError(f"cannot {doing} {shown}: {reason}.") from None


REFUSED = (
    "the object store refused the credentials (check AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY, or their GOOGLE_* and AZURE_* equivalents, profile or role)"
)
_REFUSALS = re.compile(
    r"(?i)InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|Forbidden|Unauthori[sz]ed"
    r"|\b40[13]\b|credential|ExpiredToken"
)


def refused(exc: BaseException) -> bool:
    """Whether an object store (or deltalake on one) turned the credentials down."""
    from obstore import exceptions as ob

    denied = (ob.UnauthenticatedError, ob.PermissionDeniedError, PermissionError)
    return isinstance(exc, denied) or bool(_REFUSALS.search(str(exc)))


def failure(exc: BaseException) -> str | None:
    """What went wrong with an object store, in words of ours; None if it is not one."""
    from deltalake.exceptions import DeltaError
    from obstore import exceptions as ob

    missing = (ob.NotFoundError, FileNotFoundError)
    if isinstance(exc, missing) or re.search(r"(?i)NoSuchBucket", str(exc)):
        return "no such bucket or object"
    if isinstance(exc, ob.BaseError | DeltaError | OSError):
        return "the object store could not be reached or answered with an error"
    return None


def redact(text: str) -> str:
    """`text` with the value of every credential and endpoint variable blanked out."""
    for name, value in os.environ.items():
        if value and len(value) >= 4 and SECRET_VARIABLES.match(name):
            text = text.replace(value, _REDACTED)
    return text
