import { runInNewContext } from 'node:vm';
import type { CloudApiEmulator } from '../../../src/sandbox/cloud-api-emulator.js';

/**
 * Just enough of a browser to run the customer page's script against an emulator through
 * `app.inject`. Every HTML-parsing sink throws, so a rendering path that uses one fails the test.
 */
export class FakeElement {
  readonly tagName: string;
  children: FakeElement[] = [];
  textContent = '';
  className = '';
  value = '';
  href = '';
  rel = '';
  target = '';
  type = '';
  readonly listeners = new Map<string, (event: { preventDefault(): void }) => unknown>();
  readonly classList = { toggle: (name: string, isOn: boolean) => (this.className = isOn ? name : '') };

  constructor(tagName: string) {
    this.tagName = tagName.toUpperCase();
  }

  append(...nodes: FakeElement[]): void {
    this.children.push(...nodes);
  }

  replaceChildren(...nodes: FakeElement[]): void {
    this.children = nodes;
  }

  addEventListener(type: string, listener: (event: { preventDefault(): void }) => unknown): void {
    this.listeners.set(type, listener);
  }

  set innerHTML(_value: string) {
    throw new Error('the page used innerHTML');
  }

  set outerHTML(_value: string) {
    throw new Error('the page used outerHTML');
  }

  insertAdjacentHTML(): never {
    throw new Error('the page used insertAdjacentHTML');
  }

  /** Every element below this one, depth first. */
  descendants(): FakeElement[] {
    return this.children.flatMap((child) => [child, ...child.descendants()]);
  }
}

export interface FakePage {
  elements: Record<'business' | 'phone' | 'name' | 'notice' | 'thread' | 'composer' | 'text', FakeElement>;
  /** Runs the page's polling callback once and waits for it. */
  poll(): Promise<void>;
  /** Lets pending promise chains of the script run. */
  settle(): Promise<void>;
  replacedUrls: string[];
}

export async function openFakePage(emulator: CloudApiEmulator, options: { phone: string; fragment: string }): Promise<FakePage> {
  const ids = ['business', 'phone', 'name', 'notice', 'thread', 'composer', 'text'] as const;
  const elements = Object.fromEntries(ids.map((id) => [id, new FakeElement(id === 'thread' ? 'ol' : 'div')])) as FakePage['elements'];
  const storage = () => {
    const values = new Map<string, string>();
    return { getItem: (key: string) => values.get(key) ?? null, setItem: (key: string, value: string) => void values.set(key, value) };
  };
  const localStorage = storage();
  localStorage.setItem('rampart-sandbox-phone', options.phone);
  const replacedUrls: string[] = [];
  let pollCallback: (() => unknown) | null = null;
  let inFlight = 0;
  const fakeFetch = async (url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
    inFlight += 1;
    try {
      const response = await emulator.app.inject({
        method: (init.method ?? 'GET') as 'GET',
        url,
        headers: init.headers ?? {},
        ...(init.body === undefined ? {} : { payload: init.body }),
      });
      return { status: response.statusCode, json: async () => JSON.parse(response.body) as unknown };
    } finally {
      inFlight -= 1;
    }
  };
  const context = {
    window: { location: { hash: options.fragment, pathname: '/' } },
    document: { getElementById: (id: (typeof ids)[number]) => elements[id], createElement: (tag: string) => new FakeElement(tag) },
    history: { replaceState: (_state: unknown, _title: string, url: string) => replacedUrls.push(url) },
    sessionStorage: storage(),
    localStorage,
    fetch: fakeFetch,
    setInterval: (callback: () => unknown) => {
      pollCallback = callback;
      return 1;
    },
    Date,
    JSON,
    String,
    Boolean,
    encodeURIComponent,
    decodeURIComponent,
  };
  runInNewContext(await readScript(emulator), context);
  // Settled: no request of the page in flight over a few consecutive ticks (whatever the machine's load).
  const settle = async () => {
    const deadline = Date.now() + 5_000;
    for (let quietTicks = 0; quietTicks < 3 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      quietTicks = inFlight === 0 ? quietTicks + 1 : 0;
    }
  };
  await settle();
  return {
    elements,
    replacedUrls,
    settle,
    async poll() {
      await pollCallback?.();
      await settle();
    },
  };
}

async function readScript(emulator: CloudApiEmulator): Promise<string> {
  return (await emulator.app.inject({ method: 'GET', url: '/app.js' })).body;
}
