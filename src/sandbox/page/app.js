// Customer phone for the Rampart sandbox. Every text from a customer or the business is put
// into the page with textContent only: nothing here parses strings as HTML.
'use strict';

const POLL_MS = 1000;
const tokenKey = 'rampart-sandbox-token';

function readControlToken() {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (match) {
    sessionStorage.setItem(tokenKey, decodeURIComponent(match[1]));
    // Keep the token out of the address bar, history and screenshots.
    history.replaceState(null, '', window.location.pathname);
  }
  return sessionStorage.getItem(tokenKey);
}

const token = readControlToken();
const elements = {
  business: document.getElementById('business'),
  phone: document.getElementById('phone'),
  name: document.getElementById('name'),
  notice: document.getElementById('notice'),
  thread: document.getElementById('thread'),
  composer: document.getElementById('composer'),
  text: document.getElementById('text'),
};
let lastRendered = '';

function showNotice(text, isProblem) {
  elements.notice.textContent = text;
  elements.notice.classList.toggle('problem', Boolean(isProblem));
}

async function callControl(path, init) {
  const response = await fetch(path, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init && init.body ? { 'content-type': 'application/json' } : {}) },
  });
  const body = await response.json().catch(() => ({}));
  return { status: response.status, body };
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function currentPhone() {
  return elements.phone.value.trim();
}

async function act(action) {
  const phone = currentPhone();
  if (!phone) {
    showNotice('Enter the customer phone number first.', true);
    return;
  }
  const name = elements.name.value.trim();
  const { status, body } = await callControl('/sandbox/say', {
    method: 'POST',
    body: JSON.stringify({ from: phone, ...(name ? { name } : {}), ...action }),
  });
  if (status !== 200) {
    showNotice(body.issues ? body.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ') : String(body.error || status), true);
    return;
  }
  const delivery = body.delivery;
  if (delivery.isAcknowledged) showNotice('Delivered to the gateway (HTTP 200).');
  else showNotice(`The gateway answered ${delivery.status === null ? 'nothing' : delivery.status}; the emulator keeps retrying.`, true);
  await refresh();
}

function renderChoices(message) {
  const content = message.content;
  const box = element('div', 'choices');
  const reply = (type, row) => () =>
    act({ reply: { type, id: row.id, title: row.title, ...(row.description ? { description: row.description } : {}), messageId: message.wamid } });
  if (content.kind === 'buttons') {
    for (const button of content.buttons) {
      const node = element('button', '', button.title);
      node.type = 'button';
      node.addEventListener('click', reply('button_reply', button));
      box.append(node);
    }
  } else {
    box.append(element('span', 'section-title', content.button));
    for (const section of content.sections) {
      if (section.title) box.append(element('span', 'section-title', section.title));
      for (const row of section.rows) {
        const node = element('button', '', row.description ? `${row.title}: ${row.description}` : row.title);
        node.type = 'button';
        node.addEventListener('click', reply('list_reply', row));
        box.append(node);
      }
    }
  }
  return box;
}

function describeContent(content) {
  switch (content.kind) {
    case 'text':
    case 'template':
      return content.text;
    case 'reply':
      return content.title;
    case 'media':
      return `[${content.mediaType}${content.filename ? `: ${content.filename}` : ''}]${content.caption ? ` ${content.caption}` : ''}`;
    case 'reaction':
      return content.emoji ? `reacted ${content.emoji}` : 'removed a reaction';
    case 'location':
      return `[location] ${content.name || ''} ${content.latitude}, ${content.longitude}`.trim();
    case 'contacts':
      return `[contacts] ${content.names.join(', ')}`;
    case 'interactive':
      return `[${content.interactiveType}] ${content.text || ''}`;
    default:
      return '';
  }
}

function renderMessage(message) {
  const item = element('li', message.direction);
  const content = message.content;
  if (content.header) item.append(element('span', 'heading', content.header));
  item.append(element('span', 'body', describeContent(content) || content.text || ''));
  if (content.footer) item.append(element('span', 'footer', content.footer));
  if (content.kind === 'buttons' || content.kind === 'list') item.append(renderChoices(message));
  if (content.kind === 'link' && content.url.startsWith('https://')) {
    const link = element('a', '', content.displayText);
    link.href = content.url;
    link.rel = 'noopener noreferrer';
    link.target = '_blank';
    const box = element('div', 'choices');
    box.append(link);
    item.append(box);
  }
  const time = new Date(message.timestamp).toLocaleTimeString();
  const state = message.direction === 'outbound'
    ? `${message.status}${message.errors ? ` (${message.errors.map((error) => error.code).join(', ')})` : ''}`
    : message.isReadByBusiness ? 'read by the business' : '';
  item.append(element('span', 'meta', `${time} ${state}`.trim()));
  return item;
}

async function refresh() {
  const phone = currentPhone();
  if (!phone || !token) return;
  const { status, body } = await callControl(`/sandbox/conversations/${encodeURIComponent(phone)}`);
  const messages = status === 200 ? body.messages : [];
  const snapshot = JSON.stringify(messages);
  if (snapshot === lastRendered) return;
  lastRendered = snapshot;
  elements.thread.replaceChildren(...messages.map(renderMessage));
}

async function start() {
  if (!token) {
    showNotice('Open the link rampart printed at start: it ends with #token=…', true);
    return;
  }
  elements.phone.value = localStorage.getItem('rampart-sandbox-phone') || '';
  elements.name.value = localStorage.getItem('rampart-sandbox-name') || '';
  const info = await callControl('/sandbox/info');
  if (info.status === 200) elements.business.textContent = `Writing to business number ${info.body.displayPhoneNumber}`;
  else showNotice('The control token was refused; open the link rampart printed at start again.', true);
  elements.phone.addEventListener('change', () => {
    localStorage.setItem('rampart-sandbox-phone', currentPhone());
    lastRendered = '';
    void refresh();
  });
  elements.name.addEventListener('change', () => localStorage.setItem('rampart-sandbox-name', elements.name.value.trim()));
  // Enter sends, as in a messaging app; Shift+Enter starts a new line.
  elements.text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      elements.composer.requestSubmit();
    }
  });
  elements.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = elements.text.value;
    if (!text.trim()) return;
    elements.text.value = '';
    void act({ text });
  });
  setInterval(() => void refresh().catch(() => showNotice('The emulator is not answering.', true)), POLL_MS);
  await refresh();
}

void start();
