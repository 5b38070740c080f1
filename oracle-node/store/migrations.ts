// Numbered schema migrations. `PRAGMA user_version` holds how many have run; never edit a shipped
// one, append a new one. Integers that fit int64 (network id, epoch, view) are INTEGER so they sort;
// token amounts are decimal TEXT (uint256).
export const MIGRATIONS: readonly string[] = [
  // 1: agreement state
  `
  CREATE TABLE signing_decisions (
    network_id INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    kind TEXT NOT NULL,            -- 'proposal' | 'prevote' | 'precommit' | 'result-vote'
    view INTEGER NOT NULL,         -- -1 for epoch-scoped decisions (result-vote)
    value TEXT NOT NULL,           -- what was (or will be) signed: a value id or 'nil'
    created_at INTEGER NOT NULL,
    PRIMARY KEY (network_id, epoch, kind, view)
  ) STRICT;
  CREATE TABLE consensus_state (
    network_id INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    view INTEGER NOT NULL,
    locked_value TEXT, locked_view INTEGER NOT NULL,
    valid_value TEXT, valid_view INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (network_id, epoch)
  ) STRICT;
  CREATE TABLE observations (
    network_id INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    observer TEXT NOT NULL,        -- signer address, lowercase
    hash TEXT NOT NULL,            -- keccak256 of bytes
    peer_id TEXT NOT NULL,
    bytes BLOB NOT NULL,           -- canonical observation encoding
    envelope BLOB NOT NULL,        -- signed gossip envelope (verifiable with openEnvelope)
    received_at INTEGER NOT NULL,
    PRIMARY KEY (network_id, epoch, observer, hash)
  ) STRICT;
  CREATE TABLE results (
    network_id INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    result_root TEXT NOT NULL,
    observations_commitment TEXT NOT NULL,
    device_count INTEGER NOT NULL,
    total_reward TEXT NOT NULL,
    total_slash TEXT NOT NULL,
    slashes TEXT NOT NULL,         -- JSON DeviceSlash[] (amounts as decimal strings)
    observations TEXT NOT NULL,    -- JSON [{observer, hash}] used, sorted by observer
    tree BLOB NOT NULL,            -- StandardMerkleTree node hashes, 32 bytes each, in tree order
    certified INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (network_id, epoch)
  ) STRICT;
  CREATE TABLE lines (
    network_id INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    uptime_bps INTEGER NOT NULL,
    work TEXT NOT NULL,
    reward TEXT NOT NULL,
    slash TEXT NOT NULL,
    tree_index INTEGER NOT NULL,
    PRIMARY KEY (network_id, epoch, device_id)
  ) STRICT;
  CREATE INDEX lines_by_device ON lines (device_id, network_id, epoch);
  CREATE TABLE votes (
    network_id INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    signer TEXT NOT NULL,
    result_root TEXT NOT NULL,
    observations_commitment TEXT NOT NULL,
    signature TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (network_id, epoch, signer, result_root, observations_commitment)
  ) STRICT;
  CREATE TABLE equivocations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    network_id INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    signer TEXT NOT NULL,
    kind TEXT NOT NULL,
    first BLOB NOT NULL,
    second BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (network_id, epoch, signer, kind)
  ) STRICT;
  `,
  // 2: retention (issue 16). Epochs below `pruned_before` were deleted by `Store.prune`; the feed
  // answers 410 for them and the store refuses new writes there, so late gossip cannot refill them.
  `
  CREATE TABLE retention (
    network_id INTEGER PRIMARY KEY,
    pruned_before INTEGER NOT NULL,
    retention_epochs INTEGER,      -- the policy that pruned, for the feed's answer; NULL if unknown
    pruned_at INTEGER NOT NULL
  ) STRICT;
  `,
  // 3: the verdict stream's events (issue 18), signed and numbered once: the newest few thousand are
  // kept so a reader resumes with `Last-Event-ID` across reconnects and node restarts, and the
  // sequence stays monotonic. `Store.appendFeedEvent` trims it to the configured ring size.
  `
  CREATE TABLE feed_events (
    seq INTEGER PRIMARY KEY,
    network_id INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    device_id TEXT,               -- NULL for epoch-wide events (settled)
    type TEXT NOT NULL,
    body TEXT NOT NULL            -- the signed event's JSON, exactly as served
  ) STRICT;
  CREATE INDEX feed_events_by_network ON feed_events (network_id, seq);
  `,
  // 4: webhook deliveries (issue 18), written before the first attempt and deleted on a 2xx, so a
  // restart resumes them. `receiver` is the sha256 of the receiver's URL (a URL may carry a token).
  // Bounded per receiver by `feed.webhooks.queue` (oldest dropped, counted in `webhook_receivers`).
  `
  CREATE TABLE webhook_deliveries (
    receiver TEXT NOT NULL,
    seq INTEGER NOT NULL,          -- the stream event's seq: one per node, so deliveries stay in order
    event_id TEXT NOT NULL,        -- '<epoch>:<seq>', the x-vigil-event-id header
    type TEXT NOT NULL,
    body TEXT NOT NULL,            -- the signed event's JSON, exactly as posted
    attempts INTEGER NOT NULL,     -- failed attempts so far
    next_attempt_at INTEGER NOT NULL, -- unix ms
    PRIMARY KEY (receiver, seq)
  ) STRICT;
  CREATE TABLE webhook_receivers (
    receiver TEXT PRIMARY KEY,
    dropped INTEGER NOT NULL       -- deliveries dropped unsent because the queue was full
  ) STRICT;
  `,
  // 5: fraud evidence bundles (issue 18) this node verified (its own fraud verdicts, bundles accepted
  // from gossip, those in the observations a result was computed from), kept by their keccak256 so
  // the feed can serve the bundle an on-chain `DeviceSlashApplied` names. At most
  // `FRAUD_EVIDENCE_PER_DEVICE` per device and epoch (the first ones), each at most
  // `MAX_EVIDENCE_BYTES`; pruned with the epoch by retention.
  `
  CREATE TABLE fraud_evidence (
    network_id INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    evidence_hash TEXT NOT NULL,   -- keccak256(bytes), lowercase: DeviceSlash.evidenceHash
    device_id TEXT NOT NULL,       -- lowercase
    bytes BLOB NOT NULL,           -- the bundle in the attestation library's canonical encoding
    received_at INTEGER NOT NULL,
    PRIMARY KEY (network_id, epoch, evidence_hash)
  ) STRICT;
  CREATE INDEX fraud_evidence_by_device ON fraud_evidence (network_id, epoch, device_id);
  `,
  // 6: the number of devices that qualified in a result (weight > 0), the verification fee's basis
  // in the settlement report (issue 19). Results stored before it read 0.
  `
  ALTER TABLE results ADD COLUMN qualified_count INTEGER NOT NULL DEFAULT 0;
  `,
];
