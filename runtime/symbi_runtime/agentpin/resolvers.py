"""Where trusted keys come from: offline sources only (a discovery directory or a trust bundle).

Nothing here fetches a URL; a credential can never point the verifier at a key source.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from .discovery import DomainTrust, Revocations, parse_discovery_document, parse_revocation_document
from .encoding import is_plain_domain, load_json_object, short
from .errors import AgentPinError, AgentPinErrorCode, TrustSourceError

MAX_DOCUMENT_BYTES = 1 << 20


class KeyResolver(Protocol):
    """Resolves an issuer domain to its parsed discovery and revocation documents."""

    def resolve(self, domain: str) -> DomainTrust:
        """The trust for `domain` (a plain domain name); raise AgentPinError if there is none."""
        ...


def _require_plain(domain: str) -> None:
    # Defence in depth: the verifier checks this too, but a resolver builds paths from it.
    if not is_plain_domain(domain):
        raise AgentPinError(AgentPinErrorCode.INVALID_ISSUER, f"{short(domain)} is not a plain domain name")


_Stamp = tuple[int, int, int, int]


def _stamp(path: Path) -> _Stamp | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AgentPinError(AgentPinErrorCode.DISCOVERY_NOT_FOUND, f"cannot read {path.name}") from exc
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev)


def _read_document(path: Path, what: str, code: AgentPinErrorCode) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise AgentPinError(code, f"cannot read {what} {path.name}") from exc
    if len(data) > MAX_DOCUMENT_BYTES:
        raise AgentPinError(code, f"{what} {path.name} is larger than {MAX_DOCUMENT_BYTES} bytes")
    return load_json_object(data, f"{what} {path.name}", code)


class DiscoveryDirectory:
    """A directory of `{domain}.json` discovery documents and optional `{domain}.revocations.json`.

    Each domain is parsed once and re-parsed only when one of its two files changes, so a long-running
    scheduler sees new revocations without paying a parse per verification.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise TrustSourceError(f"discovery directory {self.path} does not exist or is not a directory")
        self._cache: dict[str, tuple[_Stamp, _Stamp | None, DomainTrust]] = {}

    def resolve(self, domain: str) -> DomainTrust:
        """Parsed documents for `domain`, from the cache unless a file changed."""
        _require_plain(domain)
        doc_path = self.path / f"{domain}.json"
        rev_path = self.path / f"{domain}.revocations.json"
        doc_stamp = _stamp(doc_path)
        if doc_stamp is None:
            raise AgentPinError(
                AgentPinErrorCode.DISCOVERY_NOT_FOUND, f"no discovery document {domain}.json for {domain}"
            )
        rev_stamp = _stamp(rev_path)
        cached = self._cache.get(domain)
        if cached is not None and cached[0] == doc_stamp and cached[1] == rev_stamp:
            return cached[2]
        discovery = parse_discovery_document(
            _read_document(doc_path, "discovery document", AgentPinErrorCode.DISCOVERY_INVALID), domain=domain
        )
        revocations = Revocations()
        if rev_stamp is not None:
            revocations = parse_revocation_document(
                _read_document(rev_path, "revocation document", AgentPinErrorCode.REVOCATION_INVALID),
                domain=domain,
            )
        trust = DomainTrust(discovery, revocations)
        self._cache[domain] = (doc_stamp, rev_stamp, trust)
        return trust


class TrustBundle:
    """A pre-shared AgentPin trust bundle: discovery and revocation documents for many domains.

    A snapshot: build a new one to pick up a new bundle file. Documents are parsed on first use.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        documents = data.get("documents")
        revocations = data.get("revocations", [])
        if not isinstance(documents, list) or not isinstance(revocations, list):
            raise TrustSourceError("trust bundle needs a documents list (and revocations, if any, as a list)")
        self._documents: dict[str, list[Mapping[str, Any]]] = {}
        self._revocations: dict[str, list[Mapping[str, Any]]] = {}
        for name, entries, index in (
            ("documents", documents, self._documents),
            ("revocations", revocations, self._revocations),
        ):
            for entry in entries:
                if not isinstance(entry, dict) or not isinstance(entry.get("entity"), str):
                    raise TrustSourceError(f"trust bundle {name} entry without an entity")
                index.setdefault(entry["entity"], []).append(entry)
        self._cache: dict[str, DomainTrust | AgentPinError] = {}

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> TrustBundle:
        """Load a bundle JSON file; TrustSourceError if it is missing or unreadable."""
        p = Path(path)
        try:
            data = _read_document(p, "trust bundle", AgentPinErrorCode.DISCOVERY_INVALID)
        except AgentPinError as exc:
            raise TrustSourceError(f"{exc.message} ({p})") from exc
        return cls(data)

    @property
    def domains(self) -> frozenset[str]:
        """Domains with a discovery document in the bundle."""
        return frozenset(self._documents)

    def resolve(self, domain: str) -> DomainTrust:
        """Parsed documents for `domain` (parsed once, failures included)."""
        _require_plain(domain)
        cached = self._cache.get(domain)
        if cached is None:
            cached = self._cache[domain] = self._parse(domain)
        if isinstance(cached, AgentPinError):
            raise AgentPinError(cached.code, cached.message)
        return cached

    def _parse(self, domain: str) -> DomainTrust | AgentPinError:
        docs = self._documents.get(domain, [])
        revs = self._revocations.get(domain, [])
        if not docs:
            return AgentPinError(
                AgentPinErrorCode.DISCOVERY_NOT_FOUND, f"{domain} is not in the trust bundle"
            )
        if len(docs) > 1 or len(revs) > 1:
            return AgentPinError(
                AgentPinErrorCode.DISCOVERY_INVALID, f"trust bundle has several documents for {domain}"
            )
        try:
            discovery = parse_discovery_document(docs[0], domain=domain)
            revocations = parse_revocation_document(revs[0], domain=domain) if revs else Revocations()
        except AgentPinError as exc:
            return exc
        return DomainTrust(discovery, revocations)


def open_trust_source(
    discovery_dir: str | os.PathLike[str] | None, trust_bundle: str | os.PathLike[str] | None
) -> KeyResolver:
    """The key resolver for a configured discovery directory or trust bundle (exactly one of them).

    Raises TrustSourceError when neither or both are given, or the one given cannot be used.
    """
    if discovery_dir is not None and trust_bundle is not None:
        raise TrustSourceError("give either a discovery directory or a trust bundle, not both")
    if discovery_dir is not None:
        return DiscoveryDirectory(discovery_dir)
    if trust_bundle is not None:
        return TrustBundle.from_file(trust_bundle)
    raise TrustSourceError(
        "no AgentPin trust source: set [scheduler.agentpin] discovery_dir or trust_bundle "
        "(SYMBI_AGENTPIN_DISCOVERY_DIR / SYMBI_AGENTPIN_TRUST_BUNDLE)"
    )
