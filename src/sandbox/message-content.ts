/**
 * What a message shows on the customer's phone, in a plain shape the simulator page renders
 * (as text only) and tests read. Built from the request the business sent or the reply the
 * customer made.
 */
export type MessageContent =
  | { kind: 'text'; text: string }
  | { kind: 'buttons'; header?: string; text: string; footer?: string; buttons: { id: string; title: string }[] }
  | {
      kind: 'list';
      header?: string;
      text: string;
      footer?: string;
      button: string;
      sections: { title?: string; rows: { id: string; title: string; description?: string }[] }[];
    }
  | { kind: 'link'; text: string; displayText: string; url: string }
  | { kind: 'template'; name: string; language: string; category: string; text: string }
  | { kind: 'media'; mediaType: MediaKind; caption?: string; filename?: string; mediaId?: string; link?: string }
  | { kind: 'reaction'; messageId: string; emoji: string }
  | { kind: 'location'; latitude: number; longitude: number; name?: string; address?: string }
  | { kind: 'contacts'; names: string[] }
  | { kind: 'reply'; replyType: 'button_reply' | 'list_reply'; id: string; title: string; description?: string }
  | { kind: 'interactive'; interactiveType: string; text?: string };

export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';
