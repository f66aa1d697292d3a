"""Metadata-only responses (meta.k8s.io/v1 PartialObjectMetadata), as the real API server
sends them when the Accept header asks (client-go's metadata informers).

Checked against kube-apiserver v1.26: a list wants as=PartialObjectMetadataList, everything
else (get, a write's answer, every watch event, bookmarks included) as=PartialObjectMetadata.
The other form is refused with 406 NotAcceptable for a list, and a list form for one object
is a 500 ("content is not a list"). A media range without as= (plain application/json) after
it is the fallback a client offers; it is served only when no as= form was asked for.
"""
import re

_PART = re.compile(r"(?:^|;)\s*as=(PartialObjectMetadata(?:List)?)\s*(?:;|$)")


def wanted(accept):
    """'item', 'list' or None: which metadata form the first meta.k8s.io range asks for."""
    for rng in (accept or "").split(","):
        if "g=meta.k8s.io" not in rng:
            continue
        m = _PART.search(rng)
        if m:
            return "list" if m.group(1).endswith("List") else "item"
    return None


def item(obj):
    """The PartialObjectMetadata of obj."""
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata", {})}


def as_list(lst):
    """The PartialObjectMetadataList of a list response."""
    return {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
            "metadata": lst.get("metadata", {}), "items": [item(o) for o in lst["items"]]}
