/**
 * Test helpers for the forwarding slice: a real receiving server that records what reached it,
 * a watch on outgoing connections, a logger that keeps its lines. Used by tests only.
 */
import { spawnSync } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { createLogger } from '../../src/logger.js';
import type { Logger } from '../../src/logger.js';

export interface CapturedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** TLS server name the client asked for (https receivers only). */
  serverName: string | null;
}

export type Responder = (request: IncomingMessage, response: ServerResponse, body: Buffer) => void;

export interface TestReceiver {
  port: number;
  requests: CapturedRequest[];
  /** TCP connections accepted, including ones that never sent a request. */
  connections: () => number;
  /** Connections currently open. */
  openConnections: () => number;
  close: () => Promise<void>;
}

const respondOk: Responder = (_request, response) => response.end('ok');

/** Listens on 127.0.0.1 (a free port); answers 200 unless told otherwise. */
export async function startTestReceiver(respond: Responder = respondOk, tls?: { key: string; cert: string }): Promise<TestReceiver> {
  const requests: CapturedRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const serverName = tls ? ((request.socket as TLSSocket).servername || null) : null;
      requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body, serverName });
      respond(request, response, body);
    });
  };
  const server = tls ? https.createServer(tls, handle) : http.createServer(handle);
  server.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    connections: () => connections,
    openConnections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface ConnectionWatch {
  /** Client sockets created and HTTP requests started in this process since the watch began. */
  count: () => number;
  stop: () => void;
}

/** Counts every outgoing TCP socket and HTTP request (through Node's diagnostics channels). */
export function watchOutgoingConnections(): ConnectionWatch {
  let count = 0;
  const onEvent = (): void => {
    count += 1;
  };
  const channels = ['net.client.socket', 'http.client.request.start'];
  for (const name of channels) diagnosticsChannel.subscribe(name, onEvent);
  return {
    count: () => count,
    stop: () => {
      for (const name of channels) diagnosticsChannel.unsubscribe(name, onEvent);
    },
  };
}

/** A real pino logger (with Rampart's redaction) whose output is kept for inspection. */
export function createCapturingLogger(): { logger: Logger; output: () => string } {
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => lines.push(line) });
  return { logger, output: () => lines.join('') };
}

export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

/** A throwaway self-signed certificate for one DNS name, made with the openssl CLI. */
export function generateCertificate(dnsName: string): { key: string; cert: string } {
  const directory = mkdtempSync(path.join(tmpdir(), 'rampart-forwarding-tls-'));
  try {
    const keyFile = path.join(directory, 'key.pem');
    const certFile = path.join(directory, 'cert.pem');
    const result = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', `/CN=${dnsName}`, '-addext', `subjectAltName=DNS:${dnsName}`, '-keyout', keyFile, '-out', certFile],
      { encoding: 'utf8' },
    );
    if (result.status !== 0) throw new Error(`openssl failed: ${result.stderr}`);
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
