/** API keys of the business's internal services. The secret itself is never stored, only its SHA-256. */
export interface ApiKeyTable {
  id: string;
  name: string;
  /** The first characters of the key (`rmp_AbCd…`), enough to recognise it in a list. */
  display_prefix: string;
  secret_hash: Buffer;
  /** JSON array of scope names. */
  scopes: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}
