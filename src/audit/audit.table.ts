/**
 * The audit slice's tables. Entries and nodes are append-only; `audit_head` is the one row every
 * append locks, so sequence numbers and the frontier stay consistent across gateway processes.
 */

/** One audit record; `seq` is its leaf index in the Merkle tree. No column holds plaintext personal data. */
export interface AuditEntryTable {
  seq: number;
  /** Random UUID: gives every leaf entropy, so a hash seen in a proof cannot be guessed from candidates. */
  entry_id: string;
  occurred_at: number;
  actor_type: string;
  actor_id: string;
  actor_label: string | null;
  action: string;
  resource_type: string;
  resource_id: string;
  /** The contact's Rampart id (the pseudonym), never a phone number. */
  subject_contact_id: string | null;
  source_address: string | null;
  request_id: string | null;
  outcome: string;
  /** Canonical JSON (sorted keys), exactly the bytes the leaf encodes. */
  details: string;
  leaf_hash: Buffer;
}

/** Complete subtrees (level 0 = leaf hashes), as the frontier reports them: what proofs are served from. */
export interface AuditNodeTable {
  level: number;
  node_index: number;
  hash: Buffer;
}

/** The single row (id 1) appends lock: the tree size and its frontier, and the log's identity. */
export interface AuditHeadTable {
  id: number;
  size: number;
  /** The frontier's hashes, largest subtree first, concatenated (32 bytes each). */
  frontier: Buffer;
  /** `rampart/<deployment id>/audit`; set when the signing key is first loaded. */
  origin: string | null;
  /** The current signing key's verifier key, published for convenience: verifiers should pin their own copies. */
  verifier_key: string | null;
  updated_at: number;
}

export interface AuditCheckpointTable {
  tree_size: number;
  root_hash: Buffer;
  /** The C2SP signed note, byte for byte as signed. */
  note: string;
  created_at: number;
  /** The `audit_signing_keys` version that signed it (its note's signature line names the same key). */
  signing_key_version: number | null;
}

/**
 * The checkpoint signing keys over the log's life (migration `2026-11-23-007-audit-signing-keys`).
 * The private keys are in `key_material`, wrapped by the KMS (`audit-checkpoint-signing` for
 * version 1, `audit-checkpoint-signing-v<N>` after). Exactly one row is current (not retired).
 */
export interface AuditSigningKeyTable {
  version: number;
  /** `<origin>+<key id>+<key>`; null only for a carried-over key until Rampart's next start fills it in. */
  verifier_key: string | null;
  created_at: number;
  retired_at: number | null;
  /** The tree size of the first checkpoint its successor signed: every checkpoint this key signed is smaller. */
  retired_at_tree_size: number | null;
}

export interface AuditTables {
  audit_entries: AuditEntryTable;
  audit_nodes: AuditNodeTable;
  audit_head: AuditHeadTable;
  audit_checkpoints: AuditCheckpointTable;
  audit_signing_keys: AuditSigningKeyTable;
}
