/**
 * The baseline: a bare Fastify server with one webhook route that answers 200 once Fastify's default
 * JSON parser has parsed the body. No signature check, no storage, no logging: the ceiling any
 * gateway on this stack and machine can reach.
 */
import Fastify from 'fastify';

const port = Number(process.env.BENCH_PORT ?? '0');
const app = Fastify({ logger: false });

app.post('/webhooks/whatsapp', async (_request, reply) => reply.code(200).send({ status: 'stored' }));
app.get('/readyz', async () => ({ status: 'ready' }));

const stop = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

await app.listen({ host: '127.0.0.1', port });
