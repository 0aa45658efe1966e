import { copyFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { TestDatabase } from '../../support/databases.js';
import { makeDataDir } from '../../support/databases.js';
import { spawnGateway } from '../../support/gateway-process.js';
import type { GatewayProcess } from '../../support/gateway-process.js';
import { startTestGateway } from '../../support/test-gateway.js';
import type { TestGateway, TestSecrets } from '../../support/test-gateway.js';

/**
 * Gateways as child processes (`rampart start`) on one database, each with its own data dir
 * holding a copy of the first one's keyring, as README.md asks of several gateways on one
 * PostgreSQL. A gateway can be SIGKILLed and started again under the same name (on a new port).
 */
export interface GatewayFleet {
  /**
   * Migrates the database and creates the keyring once, in this process, so that several
   * gateways can then start at the same time (each with a copy of the keyring). `withStore` may
   * set things up in the store meanwhile (an API key).
   */
  prepare(withStore?: (store: TestGateway) => Promise<void>): Promise<void>;
  start(name: string, env?: Record<string, string>): Promise<GatewayProcess>;
  /** SIGKILL; resolves once the process is gone. */
  kill(name: string): Promise<void>;
  /** SIGTERM (graceful: in-flight requests are answered); resolves with how it exited. */
  stop(name: string): Promise<string>;
  get(name: string): GatewayProcess;
  /**
   * `work`, unless a gateway exits by itself first (one the fleet did not kill or stop): then a
   * rejection that says which, how, and the end of its output.
   */
  guard<T>(work: Promise<T>): Promise<T>;
  /** Every process started so far (killed ones too), e.g. to count log lines. */
  everyProcess(): GatewayProcess[];
  /** Log lines of every process so far that match `pattern`. */
  countLogLines(pattern: RegExp): number;
  /** Base URLs of the gateways started and not killed, in start order. */
  urls(): string[];
  /** Opens the store as the first gateway does (its data dir has the keyring), for the verifier. */
  database(): TestDatabase;
  /** SIGTERM every living gateway (SIGKILL after 10 s) and remove their data dirs. */
  close(): Promise<void>;
}

export interface GatewayFleetOptions {
  secrets: TestSecrets;
  /** RAMPART_DATABASE_URL; undefined = SQLite in each data dir (then use one gateway only). */
  databaseUrl: string | undefined;
  /** Settings every gateway gets. */
  env?: Record<string, string>;
  /** Where data dirs go (default: a fresh temp dir each). */
  makeDataDir?(name: string): string;
}

/** The log line of a webhook whose event was stored before (a retry after a lost 200). */
export const ALREADY_STORED = /"event":"webhook\.stored".*"stored":0,"duplicates":[1-9]/;

/** Starting takes 2 to 4 s on an idle 2-core machine; much longer when the machine is busy. */
const START_TIMEOUT_MS = 60_000;

export function createGatewayFleet(options: GatewayFleetOptions): GatewayFleet {
  const living = new Map<string, GatewayProcess>();
  const started: GatewayProcess[] = [];
  const dataDirs = new Map<string, string>();
  let keyringSource: string | null = null;
  let reportCrash: (error: Error) => void = () => undefined;
  const crashed = new Promise<never>((_resolve, reject) => {
    reportCrash = reject;
  });
  crashed.catch(() => undefined);
  // Never leave a gateway behind if this process goes away mid-test.
  const killAll = () => {
    for (const gateway of living.values()) gateway.child.kill('SIGKILL');
  };
  process.on('exit', killAll);

  function dataDirOf(name: string): string {
    let dir = dataDirs.get(name);
    if (!dir) {
      dir = options.makeDataDir?.(name) ?? makeDataDir(`rampart-fault-${name}-`);
      dataDirs.set(name, dir);
      if (keyringSource) copyFileSync(path.join(keyringSource, 'keyring.json'), path.join(dir, 'keyring.json'));
    }
    return dir;
  }

  return {
    async prepare(withStore) {
      if (keyringSource) throw new Error('prepare() comes before the first gateway starts');
      const dir = dataDirOf('keyring');
      const store = await startTestGateway(
        { name: options.databaseUrl ? 'postgres' : 'sqlite', url: options.databaseUrl, dataDir: dir, drop: async () => undefined },
        { secrets: options.secrets, listen: false, runWorkers: false, overrides: { RAMPART_LOG_LEVEL: 'silent' } },
      );
      try {
        await withStore?.(store);
      } finally {
        await store.close();
      }
      keyringSource = dir;
    },
    async start(name, env = {}) {
      if (living.has(name)) throw new Error(`gateway ${name} is already running`);
      const dataDir = dataDirOf(name);
      const settings = {
        RAMPART_DATA_DIR: dataDir,
        ...(options.databaseUrl ? { RAMPART_DATABASE_URL: options.databaseUrl } : {}),
        WHATSAPP_APP_SECRET: options.secrets.appSecret,
        WHATSAPP_VERIFY_TOKEN: options.secrets.verifyToken,
        RAMPART_MASTER_KEY: options.secrets.masterKey,
        ...options.env,
        ...env,
      };
      const gateway = await spawnGateway(settings, START_TIMEOUT_MS);
      keyringSource ??= dataDir;
      living.set(name, gateway);
      started.push(gateway);
      void gateway.exited.then((exit) => {
        if (living.get(name) !== gateway) return;
        living.delete(name);
        reportCrash(new Error(`gateway ${name} exited by itself (${exit}); its output ends:\n${gateway.output().slice(-3_000)}`));
      });
      return gateway;
    },
    async kill(name) {
      const gateway = living.get(name);
      if (!gateway) throw new Error(`gateway ${name} is not running`);
      living.delete(name);
      gateway.child.kill('SIGKILL');
      await gateway.exited;
    },
    async stop(name) {
      const gateway = living.get(name);
      if (!gateway) throw new Error(`gateway ${name} is not running`);
      living.delete(name);
      return terminate(gateway);
    },
    get(name) {
      const gateway = living.get(name);
      if (!gateway) throw new Error(`gateway ${name} is not running`);
      return gateway;
    },
    guard: (work) => Promise.race([work, crashed]),
    everyProcess: () => [...started],
    countLogLines: (pattern) => started.reduce((sum, gateway) => sum + gateway.output().split('\n').filter((line) => pattern.test(line)).length, 0),
    urls: () => [...living.values()].map((gateway) => gateway.url),
    database() {
      if (!keyringSource) throw new Error('no gateway has started yet');
      return { name: options.databaseUrl ? 'postgres' : 'sqlite', url: options.databaseUrl, dataDir: keyringSource, drop: async () => undefined };
    },
    async close() {
      const stopping = [...living.values()];
      living.clear();
      await Promise.all(stopping.map(terminate));
      process.off('exit', killAll);
      if (!options.makeDataDir) for (const dir of dataDirs.values()) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function terminate(gateway: GatewayProcess): Promise<string> {
  gateway.child.kill('SIGTERM');
  const timer = setTimeout(() => gateway.child.kill('SIGKILL'), 10_000);
  const exit = await gateway.exited;
  clearTimeout(timer);
  return exit;
}
