/**
 * The consent ledger: every opt-in and opt-out, per contact and purpose. The current state is
 * derived from the events (latest wins), so the business can show when and how consent changed.
 */
export interface ConsentEventTable {
  id: string;
  contact_id: string;
  purpose: string;
  action: 'opt-in' | 'opt-out';
  /** keyword | button | api | webhook | agent */
  source: string;
  notice_version: string | null;
  /** Where the evidence is (a message id of ours, a request id); never customer text. */
  evidence_ref: string | null;
  occurred_at: number;
  recorded_at: number;
}
