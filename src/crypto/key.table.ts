/** Key-encryption metadata and the wrapped key; the unwrapped key never reaches the database. */
export interface WrappedKeyColumns {
  kek_provider: string;
  kek_id: string;
  kek_version: number;
  wrapped_key: Buffer;
  created_at: number;
}

/** Per-owner data keys (`contact:<id>`, or `system` for data that belongs to no customer). */
export interface DataKeyTable extends WrappedKeyColumns {
  id: string;
  owner: string;
}

/** Long-lived keys for a purpose (the blind-index root key), wrapped by the KMS. */
export interface KeyMaterialTable extends WrappedKeyColumns {
  purpose: string;
}
