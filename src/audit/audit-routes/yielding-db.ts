import { setImmediate as nextTurn } from 'node:timers/promises';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import type { Db } from '../../db/database.js';

/**
 * A view of the database whose every query result waits one turn of the event loop before it is
 * handed back. better-sqlite3 answers synchronously, so a long walk over the audit log (the
 * verifier) would otherwise be one unbroken chain of microtasks: no webhook, timer or request
 * could run until it ended, and the load-shedding check would answer 503 to everyone meanwhile.
 * With this, a walk gives way between queries (pages); on PostgreSQL it costs one extra tick each.
 */
export function yieldBetweenQueries(db: Db): Db {
  return db.withPlugin(yieldingPlugin);
}

const yieldingPlugin: KyselyPlugin = {
  transformQuery: (args: PluginTransformQueryArgs): RootOperationNode => args.node,
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    await nextTurn();
    return args.result;
  },
};
