import { readFileSync } from 'node:fs';

// The same relative path from src (tsx) and dist (built).
export const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
