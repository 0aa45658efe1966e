import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `../shared` beside the checkout: present in CI and on our machines, absent in a user's clone. */
export const sharedDir = path.resolve(repoRoot, '..', 'shared');
export const hasShared = existsSync(sharedDir);
export const missingSharedMessage = `skipped: ${sharedDir} is absent (it holds Meta's sample payloads and test vectors; present in CI)`;

export const samplesDir = path.join(sharedDir, 'cloud-api', 'samples');

export interface SampleFile {
  name: string;
  raw: Buffer;
}

/** Every JSON sample that is a webhook envelope (or claims to be, like the deliberately broken one). */
export function listWebhookSamples(): SampleFile[] {
  const directories = [path.join(samplesDir, 'whatsapp-business-java-api', 'deserialization'), path.join(samplesDir, 'whatsapp-api-js')];
  const samples: SampleFile[] = [];
  for (const directory of directories) {
    for (const file of readdirSync(directory).filter((name) => name.endsWith('.json')).sort()) {
      samples.push({ name: path.relative(samplesDir, path.join(directory, file)), raw: readFileSync(path.join(directory, file)) });
    }
  }
  return samples;
}
