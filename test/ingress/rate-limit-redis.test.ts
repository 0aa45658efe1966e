import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newTextMessage } from '../support/payloads.js';
import { createGatewayPool } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';
import { noteSkippedWhen } from '../support/skip-notice.js';

const redisUrl = process.env.RAMPART_TEST_REDIS_URL;
const missingRedisMessage = 'skipped: RAMPART_TEST_REDIS_URL is not set (CI sets it)';
/** The gateway's rate-limit namespace; every test gateway is called from 127.0.0.1, so they share one key. */
const keyPattern = 'rampart-webhook-rl:*';
const sharedKey = 'rampart-webhook-rl:127.0.0.1';

afterEach(async () => {
  await gateways.closeAll();
});

const gateways = createGatewayPool();
const startGateway = gateways.start;

const newMessage = () => newTextMessage();

async function deleteRateLimitKeys(redis: Redis): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', keyPattern, 'COUNT', 100);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

describe.skipIf(redisUrl === undefined)('webhook rate limit shared through Redis', () => {
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(redisUrl!);
    await deleteRateLimitKeys(redis);
  });
  afterAll(async () => {
    if (!redis) return;
    await deleteRateLimitKeys(redis);
    await redis.quit();
  });

  /**
   * Until its Redis connection is ready a gateway counts on its own (the fallback store), so each
   * gateway is probed until one of its requests shows up in the shared counter.
   */
  async function postUntilCounted(gateway: TestGateway, expectedCount: number): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      expect((await gateway.post(newMessage().body)).status).toBe(200);
      if (Number(await redis.get(sharedKey)) === expectedCount) return;
      await sleep(20);
    }
    throw new Error(`the shared counter never reached ${expectedCount}`);
  }

  it('counts requests to two gateways against one limit: 3 + 3 pass, the 7th to either is 429', async () => {
    const overrides = { RAMPART_REDIS_URL: redisUrl!, RAMPART_RATE_LIMIT_PER_MINUTE: '6' };
    const first = await startGateway(overrides);
    const second = await startGateway(overrides);
    await postUntilCounted(first, 1);
    await postUntilCounted(second, 2);
    for (const gateway of [first, second, first, second]) expect((await gateway.post(newMessage().body)).status).toBe(200);
    expect(await redis.get(sharedKey)).toBe('6');

    for (const gateway of [first, second]) {
      const limited = await gateway.post(newMessage().body);
      expect(limited.status).toBe(429);
      expect(await limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });
});

noteSkippedWhen(redisUrl === undefined, 'webhook rate limit shared through Redis', missingRedisMessage);

describe('webhook rate limit with Redis unreachable', () => {
  it('keeps accepting and storing webhooks, limited by the process own count', async () => {
    const gateway = await startGateway({ RAMPART_REDIS_URL: 'redis://127.0.0.1:1', RAMPART_RATE_LIMIT_PER_MINUTE: '2' });
    for (let count = 0; count < 2; count += 1) {
      const message = newMessage();
      const response = await gateway.post(message.body);
      expect(response.status, await response.clone().text()).toBe(200);
      expect(await gateway.rampart.reader.findMessageByWamid(message.wamid)).not.toBeNull();
    }
    const limited = await gateway.post(newMessage().body);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
  });
});
