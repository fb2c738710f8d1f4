"""Where each fact lives in the single ledger table (see api/TABLE.md): every key is made here.

Every hot figure is split over ``shards`` items with *distinct partition
keys*, so DynamoDB spreads them over partitions and no one item takes more
than its share of a giving-day spike.
"""

from __future__ import annotations

import hashlib

from .store import Key

#: Items per hot figure. 10,000 pledges/s over 32 shards is ~313 transactional
#: writes (626 write units) per item per second, under the 1,000 units/s limit.
SHARDS = 32
#: Donor-wall index partitions per project. Only a payment (or, paced by the expiry job, a
#: closing) writes them: 10,000 confirmations/s over 16 is ~625 index writes per partition per
#: second (12 would give ~834 on average, but the bench saw 897 in the busiest second: too near
#: 1,000), and one wall page is 16 small queries instead of 32.
WALL_SHARDS = 16
#: Index partitions of unpaid pledges by expiry time (the expiry job reads them; a pledge
#: writes one and its payment moves it out: 10,000/s of each over 32 is ~625 writes/s).
PENDING_SHARDS = 32
#: The index partition of payments that need an operator (amount differs, pledge closed, paid twice).
RECONCILE = "RECONCILE"


def digest(*parts: str, size: int = 32) -> str:
    """A stable, opaque reference (hex) for private values such as donor keys and addresses."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:size]


def shard_of(text: str, shards: int) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) % shards


def pledge(pledge_id: str) -> Key:
    return (f"PLEDGE#{pledge_id}", "PLEDGE")


def wall_partition(project_id: str, shard: int) -> str:
    return f"WALL#{project_id}#{shard:02d}"


def wall_head(project_id: str) -> Key:
    """The newest rows of a project's wall, merged from its partitions by a reader (see wall.py)."""
    return (f"WALLHEAD#{project_id}", "WALLHEAD")


def pending_partition(shard: int) -> str:
    return f"PENDING#{shard:02d}"


def contact(pledge_id: str) -> Key:
    """A donor's receipt contact, kept apart from the pledge so it can expire (``ttl``)."""
    return (f"CONTACT#{pledge_id}", "CONTACT")


def payment(provider: str, transaction_id: str) -> Key:
    """One provider payment: written once, so a repeated notification cannot count twice."""
    return (f"PAYMENT#{provider}#{transaction_id}", "PAYMENT")


def payer_ref(provider: str, payer_id: str) -> str:
    """The verified payer (WeChat openid, Alipay buyer_id, bank account) as an opaque reference."""
    return digest("payer", provider, payer_id)


def pool_header(campaign_id: str) -> Key:
    return (f"POOL#{campaign_id}", "HEADER")


def pool_shard(campaign_id: str, shard: int) -> Key:
    return (f"POOL#{campaign_id}#{shard:02d}", "POOL")


def cap_header(campaign_id: str, project_id: str) -> Key:
    return (f"PCAP#{campaign_id}#{project_id}", "HEADER")


def cap_shard(campaign_id: str, project_id: str, shard: int) -> Key:
    return (f"PCAP#{campaign_id}#{project_id}#{shard:02d}", "PCAP")


def project_total(project_id: str, shard: int) -> Key:
    return (f"PTOTAL#{project_id}#{shard:02d}", "TOTAL")


def team_total(team_id: str, shard: int) -> Key:
    return (f"TTOTAL#{team_id}#{shard:02d}", "TOTAL")


def project_pledged(project_id: str, shard: int) -> Key:
    """Pledges made (amount, count) for a project: written by pledges only, apart from the totals
    the payments write, so neither family takes both spikes' writes."""
    return (f"PPLEDGED#{project_id}#{shard:02d}", "PLEDGED")


def team_pledged(team_id: str, shard: int) -> Key:
    return (f"TPLEDGED#{team_id}#{shard:02d}", "PLEDGED")


def project_donor(project_id: str, donor_ref: str) -> Key:
    return (f"PDONOR#{project_id}#{donor_ref}", "DONOR")


def donor(donor_ref: str, campaign_id: str) -> Key:
    return (f"DONOR#{donor_ref}", f"CAMPAIGN#{campaign_id}")


def source_bucket(source_ref: str, bucket: int) -> Key:
    return (f"SOURCE#{source_ref}#{bucket}", "COUNT")


def settlement(campaign_id: str) -> Key:
    return (f"SETTLEMENT#{campaign_id}", "SETTLEMENT")


# ---- volunteer claims (api/VOLUNTEERS.md) ----


def need_hold(need_id: str) -> Key:
    """The need's current claim: the item two racing teams both try to write."""
    return (f"NEED#{need_id}", "CLAIM")


def need_claim(need_id: str, claim_id: str) -> Key:
    """One claim, kept for the history after a rejection."""
    return (f"NEED#{need_id}", f"CLAIM#{claim_id}")


CLAIM_PREFIX = "CLAIM#"


def need_of_hold(key: Key) -> str:
    return key[0][len("NEED#") :]


# ---- home visits (api/VOLUNTEERS.md) ----


def cottage_partition(cottage_id: str) -> str:
    return f"COTTAGE#{cottage_id}"


def visit(cottage_id: str, visit_id: str) -> Key:
    return (cottage_partition(cottage_id), f"VISIT#{visit_id}")


VISIT_PREFIX = "VISIT#"


def visit_summary(cottage_id: str) -> Key:
    return (cottage_partition(cottage_id), "VISITS")


def programme_visits(programme_id: str) -> str:
    """The gsi1 partition holding a programme's visit summaries."""
    return f"VISITS#{programme_id}"


# ---- audit trail (api/TABLE.md) ----


def audit_partition(programme_id: str) -> str:
    """One programme's audit trail; ``*`` holds what a platform admin read across every programme."""
    return f"AUDIT#{programme_id}"


AUDIT_PREFIX = "AT#"


def audit_entry(programme_id: str, at: str, entry_id: str) -> Key:
    """One audited read or write, sorted by time (ISO 8601, Beijing) within the programme."""
    return (audit_partition(programme_id), f"{AUDIT_PREFIX}{at}#{entry_id}")
