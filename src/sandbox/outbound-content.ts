import type { MediaKind, MessageContent } from './message-content.js';
import type { InteractiveRequest, TypedSendRequest } from './send-request-schema.js';

/** What the customer's phone shows for an accepted request (templates come with their filled text). */
export function describeOutbound(request: TypedSendRequest, template?: { category: string; text: string }): MessageContent {
  switch (request.type) {
    case 'text':
      return { kind: 'text', text: request.text.body };
    case 'template':
      return { kind: 'template', name: request.template.name, language: request.template.language.code, category: template?.category ?? '', text: template?.text ?? '' };
    case 'interactive':
      return describeInteractive(request.interactive);
    case 'reaction':
      return { kind: 'reaction', messageId: request.reaction.message_id, emoji: request.reaction.emoji };
    case 'location': {
      const { latitude, longitude, name, address } = request.location;
      return { kind: 'location', latitude, longitude, ...(name === undefined ? {} : { name }), ...(address === undefined ? {} : { address }) };
    }
    case 'contacts':
      return { kind: 'contacts', names: request.contacts.map((contact) => contact.name.formatted_name) };
    case 'image':
      return describeMedia('image', request.image);
    case 'video':
      return describeMedia('video', request.video);
    case 'audio':
      return describeMedia('audio', request.audio);
    case 'document':
      return describeMedia('document', request.document);
    case 'sticker':
      return describeMedia('sticker', request.sticker);
  }
}

interface MediaRequest {
  id?: string;
  link?: string;
  caption?: string;
  filename?: string;
}

function describeMedia(mediaType: MediaKind, media: MediaRequest): MessageContent {
  return {
    kind: 'media',
    mediaType,
    ...(media.caption === undefined ? {} : { caption: media.caption }),
    ...(media.filename === undefined ? {} : { filename: media.filename }),
    ...(media.id === undefined ? {} : { mediaId: media.id }),
    ...(media.link === undefined ? {} : { link: media.link }),
  };
}

function describeInteractive(interactive: InteractiveRequest): MessageContent {
  switch (interactive.type) {
    case 'button':
      return {
        kind: 'buttons',
        ...headerText(interactive.header),
        text: interactive.body.text,
        ...(interactive.footer ? { footer: interactive.footer.text } : {}),
        buttons: interactive.action.buttons.map((button) => ({ id: button.reply.id, title: button.reply.title })),
      };
    case 'list':
      return {
        kind: 'list',
        ...headerText(interactive.header),
        text: interactive.body.text,
        ...(interactive.footer ? { footer: interactive.footer.text } : {}),
        button: interactive.action.button,
        sections: interactive.action.sections.map((section) => ({
          ...(section.title === undefined ? {} : { title: section.title }),
          rows: section.rows.map((row) => ({ id: row.id, title: row.title, ...(row.description === undefined ? {} : { description: row.description }) })),
        })),
      };
    case 'cta_url':
      return { kind: 'link', text: interactive.body.text, displayText: interactive.action.parameters.display_text, url: interactive.action.parameters.url };
    default:
      return { kind: 'interactive', interactiveType: interactive.type, ...(interactive.body ? { text: interactive.body.text } : {}) };
  }
}

function headerText(header: { type: string; text?: unknown } | undefined): { header?: string } {
  return header?.type === 'text' && typeof header.text === 'string' ? { header: header.text } : {};
}
