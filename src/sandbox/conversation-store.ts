import type { Clock } from '../clock.js';
import type { MessageContent } from './message-content.js';
import type { StatusError } from './webhook-payloads.js';

/** The customer-service window Meta opens with each customer message. */
export const CUSTOMER_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Per customer; older messages leave the emulator's memory first. */
const MAX_MESSAGES_PER_CUSTOMER = 1_000;

export type OutboundStatus = 'accepted' | 'sent' | 'delivered' | 'read' | 'failed';
const statusRank: Record<OutboundStatus, number> = { accepted: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

interface BaseRecord {
  seq: number;
  wamid: string;
  waId: string;
  at: number;
  content: MessageContent;
  /** The wamid this message answers or reacts to, when it has one. */
  contextId?: string;
}

export interface InboundRecord extends BaseRecord {
  direction: 'inbound';
  /** Set when the business marked it read (mark-as-read). */
  isReadByBusiness: boolean;
}

export interface OutboundRecord extends BaseRecord {
  direction: 'outbound';
  /** The message `type` of the request. */
  type: string;
  status: OutboundStatus;
  errors?: StatusError[];
}

export type ConversationRecord = InboundRecord | OutboundRecord;

interface Customer {
  waId: string;
  name: string;
  lastInboundAt: number | null;
  records: ConversationRecord[];
}

export type ConversationStore = ReturnType<typeof createConversationStore>;

/** Customers, their windows, and every message both ways, in memory. */
export function createConversationStore({ clock }: { clock: Clock }) {
  const customers = new Map<string, Customer>();
  const byWamid = new Map<string, ConversationRecord>();
  let nextSeq = 1;

  function customerOf(waId: string): Customer {
    let customer = customers.get(waId);
    if (!customer) {
      customer = { waId, name: 'Customer', lastInboundAt: null, records: [] };
      customers.set(waId, customer);
    }
    return customer;
  }

  function append(customer: Customer, record: ConversationRecord): void {
    customer.records.push(record);
    byWamid.set(record.wamid, record);
    if (customer.records.length > MAX_MESSAGES_PER_CUSTOMER) {
      const dropped = customer.records.shift();
      if (dropped) byWamid.delete(dropped.wamid);
    }
  }

  return {
    /** A customer wrote: records the message and opens (or resets) the 24-hour window. */
    recordInbound(input: { wamid: string; waId: string; name?: string; content: MessageContent; contextId?: string }): InboundRecord {
      const customer = customerOf(input.waId);
      if (input.name !== undefined) customer.name = input.name;
      const at = clock.now();
      customer.lastInboundAt = at;
      const record: InboundRecord = { direction: 'inbound', seq: nextSeq++, at, isReadByBusiness: false, ...input };
      append(customer, record);
      return record;
    },
    recordOutbound(input: { wamid: string; waId: string; type: string; content: MessageContent; contextId?: string }): OutboundRecord {
      const record: OutboundRecord = { direction: 'outbound', seq: nextSeq++, at: clock.now(), status: 'accepted', ...input };
      append(customerOf(input.waId), record);
      return record;
    },
    isWindowOpen(waId: string): boolean {
      const lastInboundAt = customers.get(waId)?.lastInboundAt ?? null;
      return lastInboundAt !== null && clock.now() - lastInboundAt < CUSTOMER_WINDOW_MS;
    },
    /** Moves a business message forward (sent < delivered < read); failed is terminal. */
    applyStatus(wamid: string, status: OutboundStatus, errors?: StatusError[]): void {
      const record = byWamid.get(wamid);
      if (record?.direction !== 'outbound' || record.status === 'failed') return;
      if (statusRank[status] <= statusRank[record.status]) return;
      record.status = status;
      if (errors) record.errors = errors;
    },
    findInbound(wamid: string): InboundRecord | null {
      const record = byWamid.get(wamid);
      return record?.direction === 'inbound' ? record : null;
    },
    findOutbound(wamid: string): OutboundRecord | null {
      const record = byWamid.get(wamid);
      return record?.direction === 'outbound' ? record : null;
    },
    /** One customer's thread, oldest first; null for a number that never wrote nor was written to. */
    viewConversation(waId: string) {
      const customer = customers.get(waId);
      if (!customer) return null;
      const { lastInboundAt } = customer;
      return {
        waId,
        name: customer.name,
        windowOpenUntil: lastInboundAt === null ? null : new Date(lastInboundAt + CUSTOMER_WINDOW_MS).toISOString(),
        messages: customer.records.map(viewRecord),
      };
    },
    /** Every business message, oldest first (optionally to one recipient). */
    listOutbound(waId?: string) {
      const records = waId === undefined ? [...customers.values()].flatMap((customer) => customer.records) : (customers.get(waId)?.records ?? []);
      return records
        .filter((record): record is OutboundRecord => record.direction === 'outbound')
        .sort((a, b) => a.seq - b.seq)
        .map(viewRecord);
    },
  };
}

function viewRecord(record: ConversationRecord) {
  return {
    seq: record.seq,
    direction: record.direction,
    wamid: record.wamid,
    waId: record.waId,
    timestamp: new Date(record.at).toISOString(),
    content: record.content,
    ...(record.contextId === undefined ? {} : { contextId: record.contextId }),
    ...(record.direction === 'outbound'
      ? { type: record.type, status: record.status, ...(record.errors ? { errors: record.errors } : {}) }
      : { isReadByBusiness: record.isReadByBusiness }),
  };
}

export type ConversationView = NonNullable<ReturnType<ConversationStore['viewConversation']>>;
export type MessageView = ConversationView['messages'][number];
