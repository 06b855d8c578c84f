"""Canonical URLs and article ids.

`canonical_url` is the publisher's form with tracking parameters and the fragment removed.
`article_id` hashes a further-normalised form (scheme, host case, `www.`, AMP variants, trailing
slash, parameter order) so that every variant of one article has one id.
"""
from __future__ import annotations

import hashlib
import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

# Query parameters that identify a campaign or a click, never the article.
TRACKING_PARAMETERS = re.compile(
    r"^(utm_\w+|fbclid|gclid|gclsrc|dclid|msclkid|yclid|mc_cid|mc_eid|_hsenc|_hsmi|mkt_tok|"
    r"igshid|ocid|cmpid|smid|smtyp|ito|rssid|ref|ref_src|ref_url|taid|xtor|__twitter_impression|"
    r"ns_campaign|ns_mchannel|ns_source|ns_linkname|ns_fee|sr_share|soc_src|soc_trk|at_medium|"
    r"at_campaign|outputtype)$",
    re.IGNORECASE,
)
AMP_PATH = re.compile(r"(/amp)(?=/|$)|(\.amp)(?=\.html?$|$)", re.IGNORECASE)


def _drop_tracking(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [p for p in parts.query.split("&") if p and not TRACKING_PARAMETERS.match(p.split("=", 1)[0])]
    return urlunsplit(parts._replace(query="&".join(kept)))


def canonical_url(url: str) -> str:
    """The publisher's URL without tracking parameters or fragment; otherwise unchanged."""
    parts = urlsplit(_drop_tracking(url.strip()))
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower(), fragment=""))


def identity_url(url: str) -> str:
    """The form an article's id is a hash of: one string for every variant of one URL."""
    url = canonicalize_url(canonical_url(url), keep_fragments=False)
    parts = urlsplit(url)
    host = parts.hostname or ""
    for prefix in ("www.", "amp.", "m."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix):]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = AMP_PATH.sub("", parts.path).rstrip("/") or "/"
    query = url_query_cleaner(parts.query and f"?{parts.query}", ("amp",), remove=True).lstrip("?")
    # http and https serve one article; the id ignores the scheme.
    return urlunsplit(("https", host, path, query, ""))


def article_id(url: str) -> str:
    return hashlib.blake2b(identity_url(url).encode("utf-8"), digest_size=10).hexdigest()


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
