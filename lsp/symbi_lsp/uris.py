"""Document URIs ↔ the paths that symbi diagnostics and spans show."""

from __future__ import annotations

import os
from pathlib import Path

from pygls import uris


def uri_to_path(uri: str) -> str:
    """The file-system path of a `file:` URI (normalised); any other URI is used as it is."""
    if uri.startswith("file:"):
        path = uris.to_fs_path(uri)
        if path:
            return os.path.normpath(path)
    if "://" not in uri and ":" not in uri[2:]:
        return os.path.normpath(uri)
    return uri


def path_to_uri(path: str) -> str:
    """The `file:` URI of a path; a string that already is a URI is returned unchanged."""
    if "://" in path or path.startswith("untitled:"):
        return path
    return uris.from_fs_path(str(Path(path).absolute())) or path
