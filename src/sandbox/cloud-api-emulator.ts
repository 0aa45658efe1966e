import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '../clock.js';
import { createLogger } from '../logger.js';
import type { Logger } from '../logger.js';
import type { ConversationView, MessageView } from './conversation-store.js';
import type { CustomerAction, CustomerMessageResult } from './customer-simulator.js';
import { removeDiscoveryFile, writeDiscoveryFile } from './discovery-file.js';
import { createEmulatorApp, createEmulatorCore } from './emulator-core.js';
import type { EmulatorAddresses, EmulatorCore } from './emulator-core.js';
import { resolveEmulatorSettings } from './emulator-options.js';
import type { CloudApiEmulatorOptions, EmulatorSettings } from './emulator-options.js';
import type { FailureRule, FailureRuleInput } from './failure-injector.js';
import { createSecretToken } from './identifiers.js';
import { normaliseRecipient } from './send-request-schema.js';
import type { TemplateStatus } from './template-store.js';
import type { DeliveryStats } from './webhook-delivery.js';

export type { CloudApiEmulatorOptions } from './emulator-options.js';

export interface CloudApiEmulator {
  /** The Fastify app, for `app.inject` in tests; `listen` serves it. */
  readonly app: FastifyInstance;
  readonly phoneNumberId: string;
  readonly displayPhoneNumber: string;
  readonly wabaId: string;
  /** The bearer token the Graph API demands (give it to the gateway as WHATSAPP_ACCESS_TOKEN). */
  readonly accessToken: string;
  /** The key webhooks are signed with (the gateway's WHATSAPP_APP_SECRET). */
  readonly appSecret: string;
  /** Demanded by `/sandbox/…` routes; random per run. */
  readonly controlToken: string;
  /** Base URL while listening (use it as WHATSAPP_GRAPH_URL); null before. */
  url(): string | null;
  /** The customer-phone page, with the control token in the fragment; null before listening. */
  pageUrl(): string | null;
  webhookUrl(): string | null;
  /** Points webhooks at the gateway; deliveries waiting for a retry are tried again at once. */
  setWebhookUrl(url: string | null): void;
  /** A customer writes (text, a reply to buttons or a list, or base64 media); resolves after the first delivery attempt. */
  say(action: CustomerAction): Promise<CustomerMessageResult>;
  /** A customer sends a local file (image, document, …). */
  sendFile(input: { from: string; name?: string; filePath: string; mimeType: string; caption?: string; filename?: string }): Promise<CustomerMessageResult>;
  injectFailure(rule: FailureRuleInput): FailureRule;
  clearFailures(): void;
  /** Pauses, disables, approves… a template and sends the status webhook, as Meta's quality checks do. */
  setTemplateStatus(name: string, language: string, status: TemplateStatus, reason?: string): boolean;
  conversation(phone: string): ConversationView | null;
  sentMessages(to?: string): MessageView[];
  deliveryStats(): DeliveryStats;
  /** Resolves once no status, retry or review is scheduled and no webhook is pending. */
  waitForIdle(timeoutMs?: number): Promise<void>;
  listen(options?: { port?: number; host?: string }): Promise<string>;
  close(): Promise<void>;
}

export interface StartCloudApiEmulatorOptions extends CloudApiEmulatorOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** Builds the emulator without listening (drive it with `app.inject`). */
export async function createCloudApiEmulator(options: CloudApiEmulatorOptions = {}): Promise<CloudApiEmulator> {
  const settings = resolveEmulatorSettings(options);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger('silent');
  const controlToken = createSecretToken();
  const addresses: EmulatorAddresses = { webhookUrl: settings.webhookUrl, publicUrl: settings.publicUrl };
  const core = createEmulatorCore({ settings, addresses, clock, logger });
  const app = await createEmulatorApp(core, settings, controlToken, logger);
  const lifecycle = createLifecycle({ app, core, settings, addresses, controlToken, logger });
  const { customers, failures, templates, conversations, delivery } = core;
  return {
    app,
    ...core.number,
    accessToken: settings.accessToken,
    appSecret: settings.appSecret,
    controlToken,
    url: lifecycle.url,
    pageUrl: () => (lifecycle.url() === null ? null : `${lifecycle.url()}/#token=${controlToken}`),
    webhookUrl: () => addresses.webhookUrl,
    setWebhookUrl(url) {
      if (url !== null && !isHttpUrl(url)) throw new TypeError('the webhook URL must be an http(s) URL');
      addresses.webhookUrl = url;
      if (url !== null) delivery.retryPendingNow();
    },
    say: (action) => customers.act(action),
    async sendFile({ filePath, mimeType, caption, filename, ...who }) {
      const dataBase64 = (await readFile(filePath)).toString('base64');
      return customers.act({ ...who, media: { mimeType, dataBase64, ...(caption === undefined ? {} : { caption }), ...(filename === undefined ? {} : { filename }) } });
    },
    injectFailure: (rule) => failures.add(rule),
    clearFailures: () => failures.clear(),
    setTemplateStatus: (name, language, status, reason) => templates.setStatus(name, language, status, reason ?? null),
    conversation(phone) {
      const waId = normaliseRecipient(phone);
      return waId === null ? null : conversations.viewConversation(waId);
    },
    sentMessages: (to) => conversations.listOutbound(to === undefined ? undefined : (normaliseRecipient(to) ?? '')),
    deliveryStats: () => delivery.stats(),
    waitForIdle: (timeoutMs = 10_000) => waitUntil(() => core.timers.size() === 0 && delivery.stats().pending === 0, timeoutMs, () => JSON.stringify({ timers: core.timers.size(), ...delivery.stats() })),
    listen: lifecycle.listen,
    close: lifecycle.close,
  };
}

interface LifecycleOptions {
  app: FastifyInstance;
  core: EmulatorCore;
  settings: EmulatorSettings;
  addresses: EmulatorAddresses;
  controlToken: string;
  logger: Logger;
}

/** Listening (loopback only), the discovery file, and a close that cancels every timer and request. */
function createLifecycle({ app, core, settings, addresses, controlToken, logger }: LifecycleOptions) {
  let listeningUrl: string | null = null;
  let closing: Promise<void> | null = null;
  return {
    url: () => listeningUrl,
    async listen({ port = 0, host = '127.0.0.1' }: { port?: number; host?: string } = {}): Promise<string> {
      // The emulator hands out an access token and a control token: it is for this machine only.
      if (!LOOPBACK_HOSTS.has(host)) throw new TypeError(`the Cloud API emulator listens on a loopback host only, not ${host}`);
      const address = await app.listen({ port, host });
      listeningUrl = address.replace('://localhost', '://127.0.0.1');
      addresses.publicUrl = listeningUrl;
      if (settings.dataDir !== null) {
        const { phoneNumberId, displayPhoneNumber } = core.number;
        await writeDiscoveryFile(settings.dataDir, { url: listeningUrl, controlToken, pid: process.pid, phoneNumberId, displayPhoneNumber });
      }
      logger.info({ url: listeningUrl }, 'Cloud API emulator listening');
      return listeningUrl;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        core.timers.clearAll();
        core.delivery.close();
        await app.close();
        if (settings.dataDir !== null && listeningUrl !== null) await removeDiscoveryFile(settings.dataDir, controlToken);
      })();
      return closing;
    },
  };
}

function isHttpUrl(value: string): boolean {
  return URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol);
}

async function waitUntil(isDone: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isDone()) {
    if (Date.now() > deadline) throw new Error(`emulator not idle after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Builds the emulator and listens (127.0.0.1, `port` or any free one), writing the discovery file. */
export async function startCloudApiEmulator(options: StartCloudApiEmulatorOptions = {}): Promise<CloudApiEmulator> {
  const { port, host, ...rest } = options;
  const emulator = await createCloudApiEmulator(rest);
  try {
    await emulator.listen({ ...(port === undefined ? {} : { port }), ...(host === undefined ? {} : { host }) });
  } catch (error) {
    await emulator.close();
    throw error;
  }
  return emulator;
}
