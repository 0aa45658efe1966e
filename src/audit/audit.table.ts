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
  /** The checkpoint verifier key, published for convenience: verifiers should pin their own copy. */
  verifier_key: string | null;
  updated_at: number;
}

export interface AuditCheckpointTable {
  tree_size: number;
  root_hash: Buffer;
  /** The C2SP signed note, byte for byte as signed. */
  note: string;
  created_at: number;
}

export interface AuditTables {
  audit_entries: AuditEntryTable;
  audit_nodes: AuditNodeTable;
  audit_head: AuditHeadTable;
  audit_checkpoints: AuditCheckpointTable;
}
