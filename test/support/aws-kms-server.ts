/**
 * A stand-in for AWS KMS, speaking the JSON 1.1 protocol the official SDK uses
 * (`POST /`, `X-Amz-Target: TrentService.<Operation>`, `application/x-amz-json-1.1`) closely enough
 * for Encrypt, Decrypt and GenerateDataKey: real AES-256-GCM under per-key backing versions (rotation
 * keeps old ciphertexts readable, as in KMS), the EncryptionContext enforced as AAD, errors as
 * `{ "__type": "…Exception", "message": … }`. Requests must carry SigV4 headers (Authorization with
 * an AWS4-HMAC-SHA256 credential scope for kms in this region, X-Amz-Date) from a known access key
 * id; the signature itself is not verified. It is not AWS: Rampart's aws-kms provider has run only
 * against this.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface KmsKey {
  arn: string;
  isEnabled: boolean;
  /** Backing key material by version; the newest encrypts, all decrypt. */
  backing: Buffer[];
}

export interface RecordedKmsRequest {
  target: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface AwsKmsServer {
  /** http://127.0.0.1:<port>, for RAMPART_AWS_KMS_ENDPOINT. */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** A new symmetric key; returns its ARN. */
  createKey(): string;
  /** New backing material, as KMS's automatic rotation: the ARN stays, old ciphertexts still decrypt. */
  rotateKey(arn: string): void;
  disableKey(arn: string): void;
  readonly requests: RecordedKmsRequest[];
  close(): Promise<void>;
}

class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const BLOB_MAGIC = 0x01;
const KEY_ID_LENGTH = 36;

export async function startAwsKmsServer(options: { region?: string; account?: string } = {}): Promise<AwsKmsServer> {
  const region = options.region ?? 'eu-west-1';
  const account = options.account ?? '111122223333';
  const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64');
  const keys = new Map<string, KmsKey>();
  const requests: RecordedKmsRequest[] = [];

  function findKey(keyId: unknown): KmsKey {
    const id = typeof keyId === 'string' ? keyId.replace(/^arn:aws:kms:[^:]+:\d{12}:key\//, '') : '';
    const key = keys.get(id);
    if (!key) throw new KmsError('NotFoundException', `Key '${String(keyId)}' does not exist`);
    if (!key.isEnabled) throw new KmsError('DisabledException', `${key.arn} is disabled.`);
    return key;
  }

  function seal(key: KmsKey, plaintext: Buffer, context: unknown): Buffer {
    const version = key.backing.length - 1;
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key.backing[version] ?? Buffer.alloc(32), nonce);
    cipher.setAAD(encodeContext(context));
    const header = Buffer.alloc(5);
    header.writeUInt8(BLOB_MAGIC, 0);
    header.writeUInt32BE(version, 1);
    const keyId = Buffer.from(key.arn.slice(-KEY_ID_LENGTH), 'ascii');
    return Buffer.concat([header, keyId, nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  }

  function open(blob: Buffer, context: unknown, expectedKeyId: unknown): { key: KmsKey; plaintext: Buffer } {
    if (blob.length < 5 + KEY_ID_LENGTH + 12 + 16 || blob.readUInt8(0) !== BLOB_MAGIC) throw new KmsError('InvalidCiphertextException', '');
    const key = keys.get(blob.subarray(5, 5 + KEY_ID_LENGTH).toString('ascii'));
    if (!key) throw new KmsError('InvalidCiphertextException', '');
    if (expectedKeyId !== undefined && findKey(expectedKeyId) !== key) {
      throw new KmsError('IncorrectKeyException', 'The key ID in the request does not identify a KMS key that can perform this operation.');
    }
    if (!key.isEnabled) throw new KmsError('DisabledException', `${key.arn} is disabled.`);
    const material = key.backing[blob.readUInt32BE(1)];
    if (!material) throw new KmsError('InvalidCiphertextException', '');
    const body = blob.subarray(5 + KEY_ID_LENGTH);
    try {
      const decipher = createDecipheriv('aes-256-gcm', material, body.subarray(0, 12));
      decipher.setAAD(encodeContext(context));
      decipher.setAuthTag(body.subarray(-16));
      return { key, plaintext: Buffer.concat([decipher.update(body.subarray(12, -16)), decipher.final()]) };
    } catch {
      // KMS says nothing more: a wrong context and a damaged blob look the same.
      throw new KmsError('InvalidCiphertextException', '');
    }
  }

  function handle(target: string, body: Record<string, unknown>): object {
    switch (target) {
      case 'TrentService.Encrypt': {
        const key = findKey(body.KeyId);
        const plaintext = readBlob(body.Plaintext, 'plaintext');
        if (plaintext.length < 1 || plaintext.length > 4096) throw new KmsError('ValidationException', '1 validation error detected: Value at \'plaintext\' failed to satisfy constraint');
        return { CiphertextBlob: seal(key, plaintext, body.EncryptionContext).toString('base64'), KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
      }
      case 'TrentService.GenerateDataKey': {
        const key = findKey(body.KeyId);
        const length = body.KeySpec === 'AES_256' ? 32 : body.KeySpec === 'AES_128' ? 16 : Number(body.NumberOfBytes ?? 0);
        if (!(length >= 1 && length <= 1024)) throw new KmsError('ValidationException', 'Please specify either number of bytes or key spec.');
        const plaintext = randomBytes(length);
        return { CiphertextBlob: seal(key, plaintext, body.EncryptionContext).toString('base64'), Plaintext: plaintext.toString('base64'), KeyId: key.arn };
      }
      case 'TrentService.Decrypt': {
        const { key, plaintext } = open(readBlob(body.CiphertextBlob, 'ciphertextBlob'), body.EncryptionContext, body.KeyId);
        return { KeyId: key.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
      }
      default:
        throw new KmsError('UnknownOperationException', '');
    }
  }

  /** SigV4 must be there, scoped to kms in this region, from a known access key; the signature is not checked. */
  function checkSignatureHeaders(headers: IncomingMessage['headers']): void {
    const authorization = headers.authorization ?? '';
    const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(authorization);
    if (!match || typeof headers['x-amz-date'] !== 'string') throw new KmsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    const [, keyId, , scopeRegion, service, signedHeaders = ''] = match;
    if (keyId !== accessKeyId) throw new KmsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (scopeRegion !== region || service !== 'kms' || !signedHeaders.split(';').includes('x-amz-target')) {
      throw new KmsError('InvalidSignatureException', 'Credential should be scoped to a valid region and service.');
    }
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      try {
        if (request.method !== 'POST' || request.headers['content-type'] !== 'application/x-amz-json-1.1') {
          throw new KmsError('SerializationException', 'Start of structure or map found where not expected.');
        }
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        requests.push({ target, headers: request.headers, body });
        checkSignatureHeaders(request.headers);
        sendJson(response, 200, handle(target, body));
      } catch (error) {
        const failure = error instanceof KmsError ? error : new KmsError('KMSInternalException', 'internal error', 500);
        sendJson(response, failure.status, { __type: failure.type, message: failure.message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    region,
    accessKeyId,
    secretAccessKey,
    createKey(): string {
      const id = randomUUID();
      keys.set(id, { arn: `arn:aws:kms:${region}:${account}:key/${id}`, isEnabled: true, backing: [randomBytes(32)] });
      return `arn:aws:kms:${region}:${account}:key/${id}`;
    },
    rotateKey(arn: string): void {
      findKey(arn).backing.push(randomBytes(32));
    },
    disableKey(arn: string): void {
      findKey(arn).isEnabled = false;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The context as AAD: sorted pairs, so `{a,b}` and `{b,a}` match and nothing else does. */
function encodeContext(context: unknown): Buffer {
  const entries = typeof context === 'object' && context !== null ? Object.entries(context as Record<string, unknown>) : [];
  const pairs = entries.map(([key, value]): [string, string] => [key, String(value)]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return Buffer.from(JSON.stringify(pairs));
}

function readBlob(value: unknown, field: string): Buffer {
  if (typeof value !== 'string') throw new KmsError('ValidationException', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  return Buffer.from(value, 'base64');
}

function sendJson(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() }).end(JSON.stringify(body));
}
