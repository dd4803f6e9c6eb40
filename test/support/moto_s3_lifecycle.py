"""
moto_server whose S3 lifecycle rules keep an `And` filter's object size bounds.

moto 5.2 stores a lifecycle rule's `Filter.And` with its prefix and tags only: it accepts
`ObjectSizeGreaterThan` / `ObjectSizeLessThan` on PutBucketLifecycleConfiguration and leaves them
out of GetBucketLifecycleConfiguration, so a rule read back is not the rule that was put. Started by
test/support/moto.ts (`startMoto({ s3LifecycleSizes: true })`) instead of `moto_server`, with the
same arguments; it keeps the bounds on moto's bucket object beside the rules moto parsed (replaced
by each put, gone with the bucket or a reset) and adds them back to the rule of the same ID when
the configuration is read. Nothing else about moto changes.
"""

import sys
from typing import Any

from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response

SIZE_KEYS = ("ObjectSizeGreaterThan", "ObjectSizeLessThan")

_set_lifecycle = FakeBucket.set_lifecycle
_delete_lifecycle = FakeBucket.delete_lifecycle
_get_bucket_lifecycle = S3Response.get_bucket_lifecycle


def set_lifecycle(self: FakeBucket, rules: list[dict[str, Any]]) -> None:
    _set_lifecycle(self, rules)
    sizes: dict[str, dict[str, int]] = {}
    for rule in rules:
        bounds = ((rule.get("Filter") or {}).get("And")) or {}
        kept = {k: int(bounds[k]) for k in SIZE_KEYS if bounds.get(k) is not None}
        if kept and rule.get("ID"):
            sizes[rule["ID"]] = kept
    self.scopecloud_and_sizes = sizes  # type: ignore[attr-defined]


def delete_lifecycle(self: FakeBucket) -> None:
    _delete_lifecycle(self)
    self.scopecloud_and_sizes = {}  # type: ignore[attr-defined]


def get_bucket_lifecycle(self: S3Response) -> Any:
    bucket = self.backend.get_bucket(self.bucket_name)
    sizes: dict[str, dict[str, int]] = getattr(bucket, "scopecloud_and_sizes", {})
    plain = self.serialized

    def serialized(action_result: Any) -> Any:
        for rule in action_result.result.get("Rules", []):
            extra = sizes.get(rule.get("ID"))
            if extra and "And" in rule.get("Filter", {}):
                rule["Filter"]["And"].update(extra)
        return plain(action_result)

    self.serialized = serialized  # type: ignore[method-assign]
    try:
        return _get_bucket_lifecycle(self)
    finally:
        del self.serialized


FakeBucket.set_lifecycle = set_lifecycle  # type: ignore[method-assign]
FakeBucket.delete_lifecycle = delete_lifecycle  # type: ignore[method-assign]
S3Response.get_bucket_lifecycle = get_bucket_lifecycle  # type: ignore[method-assign]

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
