/**
 * The audit log's Merkle tree (RFC 9162 §2.1, SHA-256): the one module other code imports. Each
 * concept lives in its own file; see README.md for what they guarantee.
 */
export {
  MERKLE_HASH_LENGTH,
  areHashesEqual,
  computeRootFromLeafHashes,
  hashChildren,
  hashEmptyTree,
  hashLeaf,
  isMerkleHash,
  isTreeSize,
} from './merkle-hash.js';
export type { MerkleNode, MerkleNodeId } from './merkle-node.js';
export type { FrontierAppend, MerkleFrontier } from './merkle-frontier.js';
export {
  appendLeafHash,
  computeFrontierRoot,
  createEmptyFrontier,
  listFrontierNodes,
  restoreFrontier,
} from './merkle-frontier.js';
export type { MaybePromise, MerkleNodeSource, ProofPlan } from './merkle-proof.js';
export {
  computeRootFromSource,
  createConsistencyProof,
  createInclusionProof,
  planConsistencyProof,
  planInclusionProof,
  resolveProofPlan,
} from './merkle-proof.js';
export type { ReadLeafHashes } from './merkle-node-source.js';
export { createLeafRangeNodeSource, createMemoryNodeSource } from './merkle-node-source.js';
export type { ConsistencyClaim, InclusionClaim, MerkleRejectionReason, MerkleVerdict } from './merkle-verify.js';
export { verifyConsistencyProof, verifyInclusionProof } from './merkle-verify.js';
