import { inspect } from 'node:util';

/**
 * A secret value that cannot be printed by accident: logging, JSON.stringify and util.inspect
 * all show `[redacted]`. Call `reveal()` at the one place that needs the value.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}
