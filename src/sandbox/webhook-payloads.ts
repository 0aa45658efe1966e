/** Builders for the webhook bodies Meta posts, field by field (shapes from Meta's webhook reference). */

export interface BusinessNumber {
  phoneNumberId: string;
  displayPhoneNumber: string;
  wabaId: string;
}

export interface WebhookContact {
  profile: { name: string };
  wa_id: string;
}

export interface StatusError {
  code: number;
  title: string;
  message: string;
  error_data: { details: string };
  href: string;
}

export interface StatusUpdate {
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  timestamp: string;
  recipient_id: string;
  conversation?: { id: string; expiration_timestamp?: string; origin: { type: string } };
  pricing?: { billable: boolean; pricing_model: string; category: string; type: string };
  errors?: StatusError[];
  biz_opaque_callback_data?: string;
}

export function toUnixSeconds(epochMs: number): string {
  return String(Math.floor(epochMs / 1000));
}

/** A `messages` change: customer messages (with their contacts) or statuses of business messages. */
export function buildMessagesWebhook(
  number: BusinessNumber,
  value: { contacts?: WebhookContact[]; messages?: object[]; statuses?: StatusUpdate[] },
): object {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: number.wabaId,
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: number.displayPhoneNumber, phone_number_id: number.phoneNumberId },
              ...value,
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}

export interface TemplateStatusEvent {
  event: 'APPROVED' | 'REJECTED' | 'PENDING' | 'PAUSED' | 'DISABLED' | 'FLAGGED' | 'REINSTATED';
  templateId: string;
  name: string;
  language: string;
  reason: string;
}

export function buildTemplateStatusWebhook(wabaId: string, update: TemplateStatusEvent, epochMs: number): object {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: wabaId,
        time: Math.floor(epochMs / 1000),
        changes: [
          {
            value: {
              event: update.event,
              // Meta sends the id as a JSON number here; ours stay below 2^53.
              message_template_id: Number(update.templateId),
              message_template_name: update.name,
              message_template_language: update.language,
              reason: update.reason,
            },
            field: 'message_template_status_update',
          },
        ],
      },
    ],
  };
}
