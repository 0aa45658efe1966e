import { afterEach, describe, expect, it } from 'vitest';
import { createTestEmulator, wamidOf } from './support/emulator-fixture.js';
import type { TestEmulator } from './support/emulator-fixture.js';
import { openFakePage } from './support/fake-page.js';
import type { FakeElement } from './support/fake-page.js';

// Pins: the customer page renders any text, the customer's or the business's, as text (the DOM
// stand-in throws on every HTML sink), and its buttons send the reply they show.

const CUSTOMER = '4915112345678';
const HOSTILE = '<img src=x onerror=alert(1)>';
/** Button titles are limited to 20 characters. */
const HOSTILE_TITLE = '<b onclick=x>M</b>';
let test: TestEmulator;

afterEach(() => test.emulator.close());

function texts(root: FakeElement): string[] {
  return root.descendants().map((node) => node.textContent).filter((text) => text !== '');
}

describe('customer page script', () => {
  it('takes the token from the fragment and removes it from the address bar', async () => {
    test = await createTestEmulator();
    const page = await openFakePage(test.emulator, { phone: CUSTOMER, fragment: `#token=${test.emulator.controlToken}` });
    expect(page.replacedUrls).toEqual(['/']);
    expect(page.elements.business.textContent).toContain(test.emulator.displayPhoneNumber);
  });

  it('renders hostile text from the customer and the business as plain text', async () => {
    test = await createTestEmulator();
    await test.emulator.say({ from: CUSTOMER, name: HOSTILE, text: HOSTILE });
    await test.send({ to: CUSTOMER, text: { body: `${HOSTILE}<script>alert(2)</script>` } });
    const page = await openFakePage(test.emulator, { phone: CUSTOMER, fragment: `#token=${test.emulator.controlToken}` });
    const rendered = texts(page.elements.thread);
    expect(rendered).toContain(HOSTILE);
    expect(rendered).toContain(`${HOSTILE}<script>alert(2)</script>`);
    expect(page.elements.thread.children.map((item) => item.className)).toEqual(['inbound', 'outbound']);
  });

  it('shows reply buttons that send the matching interactive reply with the message as context', async () => {
    test = await createTestEmulator();
    await test.emulator.say({ from: CUSTOMER, text: 'slot?' });
    const question = wamidOf(
      await test.send({
        to: CUSTOMER,
        type: 'interactive',
        interactive: { type: 'button', body: { text: 'Keep Tuesday?' }, action: { buttons: [{ type: 'reply', reply: { id: 'keep', title: 'Keep' } }, { type: 'reply', reply: { id: 'move', title: HOSTILE_TITLE } }] } },
      }),
    );
    const page = await openFakePage(test.emulator, { phone: CUSTOMER, fragment: `#token=${test.emulator.controlToken}` });
    const buttons = page.elements.thread.descendants().filter((node) => node.tagName === 'BUTTON');
    expect(buttons.map((button) => button.textContent)).toEqual(['Keep', HOSTILE_TITLE]);
    await buttons[1]!.listeners.get('click')!({ preventDefault: () => undefined });
    await page.settle();
    expect(test.emulator.conversation(CUSTOMER)?.messages.at(-1)).toMatchObject({
      direction: 'inbound',
      contextId: question,
      content: { kind: 'reply', replyType: 'button_reply', id: 'move', title: HOSTILE_TITLE },
    });
  });

  it('shows list rows as buttons that send a list reply', async () => {
    test = await createTestEmulator();
    await test.emulator.say({ from: CUSTOMER, text: 'slots?' });
    await test.send({
      to: CUSTOMER,
      type: 'interactive',
      interactive: { type: 'list', body: { text: 'Pick one' }, action: { button: 'Slots', sections: [{ title: 'Tuesday', rows: [{ id: 'tue-10', title: '10:00', description: 'Main office' }] }] } },
    });
    const page = await openFakePage(test.emulator, { phone: CUSTOMER, fragment: `#token=${test.emulator.controlToken}` });
    const row = page.elements.thread.descendants().find((node) => node.tagName === 'BUTTON');
    expect(row?.textContent).toBe('10:00: Main office');
    await row!.listeners.get('click')!({ preventDefault: () => undefined });
    await page.settle();
    expect(test.emulator.conversation(CUSTOMER)?.messages.at(-1)?.content).toEqual({ kind: 'reply', replyType: 'list_reply', id: 'tue-10', title: '10:00', description: 'Main office' });
  });

  it('sends what the person types and shows the business reply on the next poll', async () => {
    test = await createTestEmulator();
    const page = await openFakePage(test.emulator, { phone: `+${CUSTOMER}`, fragment: `#token=${test.emulator.controlToken}` });
    page.elements.text.value = 'typed on the page';
    let isPrevented = false;
    await page.elements.composer.listeners.get('submit')!({ preventDefault: () => (isPrevented = true) });
    await page.settle();
    expect(isPrevented).toBe(true);
    expect(test.emulator.conversation(CUSTOMER)?.messages[0]?.content).toEqual({ kind: 'text', text: 'typed on the page' });
    await test.send({ to: CUSTOMER, text: { body: 'answered' } });
    await page.poll();
    expect(texts(page.elements.thread)).toContain('answered');
  });

  it('drives nothing without the token', async () => {
    test = await createTestEmulator();
    const page = await openFakePage(test.emulator, { phone: CUSTOMER, fragment: '' });
    expect(page.elements.notice.textContent).toContain('#token=');
    expect(page.elements.composer.listeners.size).toBe(0);
  });
});
