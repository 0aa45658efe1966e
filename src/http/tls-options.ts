import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';

/** TLS 1.2 and 1.3 only; for 1.2, forward-secret AEAD suites only (Mozilla "intermediate"). */
const tls12Ciphers = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export function createTlsOptions(files: { certFile: string; keyFile: string }): SecureContextOptions & { honorCipherOrder: boolean } {
  return {
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    minVersion: 'TLSv1.2',
    ciphers: tls12Ciphers,
    honorCipherOrder: true,
  };
}
