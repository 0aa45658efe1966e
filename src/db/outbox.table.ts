/**
 * Work to do after a commit (send a message, forward an event). A job row owns its retry state;
 * a worker leases it (`lease_owner`, `lease_until`), and a lease that runs out makes it due again,
 * so a crashed worker's jobs are picked up by another.
 */
export interface OutboxJobTable {
  id: string;
  kind: string;
  /** The row the job is about (an outbound message id, an event id); jobs carry no customer data. */
  subject_id: string;
  state: 'pending' | 'done' | 'dead';
  attempts: number;
  run_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  /** Our own words and Meta's error code, never customer data. */
  last_error: string | null;
  created_at: number;
  updated_at: number;
}
