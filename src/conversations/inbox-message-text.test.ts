import { describe, expect, it } from 'vitest';
import { describeInboundMessage, describeOutboundMessage } from './inbox-message-text.js';

describe('what a thread shows of a message', () => {
  it('takes the text a customer typed, whatever the kind of message', () => {
    expect(describeInboundMessage('text', { type: 'text', text: { body: 'hi' } })).toEqual({ text: 'hi', summary: 'Text' });
    expect(describeInboundMessage('document', { document: { id: '1', caption: 'invoice' } })).toEqual({ text: 'invoice', summary: 'Document' });
    expect(describeInboundMessage('interactive', { interactive: { type: 'list_reply', list_reply: { id: 'x', title: 'Blue' } } })).toEqual({ text: 'Blue', summary: 'List reply' });
    expect(describeInboundMessage('button', { button: { payload: 'P', text: 'Stop promotions' } })).toEqual({ text: 'Stop promotions', summary: 'Button reply' });
  });

  it('summarises what carries no text, and never fails on an odd or unknown shape', () => {
    expect(describeInboundMessage('contacts', { contacts: [{ name: { formatted_name: 'Bob' } }] })).toEqual({ text: null, summary: 'Contact card' });
    expect(describeInboundMessage('text', { text: 'not an object' })).toEqual({ text: null, summary: 'Text' });
    expect(describeInboundMessage('future_kind', null)).toEqual({ text: null, summary: 'Message' });
  });

  it('names the template of a template message, and the body of interactive ones', () => {
    expect(describeOutboundMessage('template', { type: 'template', template: { name: 'order_update' } })).toEqual({ text: 'Template: order_update', summary: 'Template: order_update' });
    expect(describeOutboundMessage('interactive', { interactive: { body: { text: 'Pick one' } } })).toEqual({ text: 'Pick one', summary: 'Interactive message' });
    expect(describeOutboundMessage('image', { image: { link: 'https://x.example/a.png' } })).toEqual({ text: null, summary: 'Image' });
  });
});
