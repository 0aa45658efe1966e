import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { isSupportedCountry } from 'libphonenumber-js';
import type { CountryCode } from 'libphonenumber-js';
import type { Finding } from '../templates/finding.js';
import { lintTemplateDefinition } from '../templates/template-linter.js';
import type { TemplateLintOptions } from '../templates/template-linter.js';
import { InvalidLintOptionsError } from '../templates/url-policy.js';

/** Where the templates command reads its settings and writes its output; tests pass their own. */
export interface TemplatesCommandIo {
  env: NodeJS.ProcessEnv;
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  setExitCode(code: number): void;
  /** Ends the process for a usage error commander found (code 2) or after --help (code 0). */
  exit(code: number): never;
}

/** Exit codes for CI: 0 no errors (warnings allowed), 1 at least one error, 2 the input or options could not be used. */
export const TEMPLATES_LINT_EXIT = { clean: 0, errors: 1, unusableInput: 2 } as const;

export interface TemplatesLintCliOptions {
  verifiedDomains?: string;
  defaultCountry?: string;
  allowedPorts?: string;
}

interface TemplateReport {
  name: string | null;
  findings: Finding[];
}

// Template files are small; refusing a huge one early beats reading it into memory.
const maximumFileBytes = 10 * 1024 * 1024;

const processIo: TemplatesCommandIo = {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  setExitCode: (code) => {
    process.exitCode = code;
  },
  exit: (code) => process.exit(code),
};

/**
 * `rampart templates lint <file.json>`: the template linter for a business's CI. Needs no
 * database and no other Rampart setting: only the file and the verified domains.
 */
export function registerTemplatesCommand(program: Command, io: TemplatesCommandIo = processIo): void {
  const templates = program
    .command('templates')
    .description('check WhatsApp message templates before they are created or sent')
    .configureOutput({ writeOut: (text) => void io.stdout.write(text), writeErr: (text) => void io.stderr.write(text) })
    // Subcommands inherit this: a usage error exits 2, so 1 always means "the templates have errors".
    .exitOverride((error) => io.exit(error.exitCode === 0 ? 0 : TEMPLATES_LINT_EXIT.unusableInput));

  templates
    .command('lint <file>')
    .description(
      "lint template definitions (Meta's create-template body, one object or an array of them): JSON findings on stdout; exit 0 without errors, 1 with errors, 2 when the file or options cannot be used",
    )
    .option('--verified-domains <domains>', 'comma-separated domains links may point to, subdomains included (default: $RAMPART_VERIFIED_DOMAINS)')
    .option('--default-country <code>', 'ISO 3166 country for phone numbers written without +country code, e.g. IN (default: only +… numbers are found)')
    .option('--allowed-ports <ports>', 'comma-separated ports links may use besides 443')
    .action(async (file: string, options: TemplatesLintCliOptions) => io.setExitCode(await runTemplatesLint(file, options, io)));
}

export async function runTemplatesLint(file: string, cliOptions: TemplatesLintCliOptions, io: TemplatesCommandIo): Promise<number> {
  const options = readLintOptions(cliOptions, io);
  if (typeof options === 'string') return usageError(io, options);
  const input = await readTemplateFile(file);
  if (typeof input === 'string') return usageError(io, input);

  let reports: TemplateReport[];
  try {
    reports = (Array.isArray(input) ? input : [input]).map((body) => ({ name: readTemplateName(body), findings: lintTemplateDefinition(body, options).findings }));
  } catch (error) {
    if (error instanceof InvalidLintOptionsError) return usageError(io, `--verified-domains / --allowed-ports: ${error.message}`);
    throw error;
  }
  if (options.verifiedDomains.length === 0) {
    io.stderr.write('rampart: no verified domains given (--verified-domains or RAMPART_VERIFIED_DOMAINS), so every link is reported as unverified\n');
  }
  const findings = reports.flatMap((report) => report.findings);
  const errors = findings.filter((finding) => finding.severity === 'error').length;
  const warnings = findings.length - errors;
  io.stdout.write(`${JSON.stringify({ file, templates: reports, errors, warnings }, null, 2)}\n`);
  io.stderr.write(`rampart: ${plural(reports.length, 'template')} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`);
  return errors > 0 ? TEMPLATES_LINT_EXIT.errors : TEMPLATES_LINT_EXIT.clean;
}

/** The linter's options from flags and environment, or a message saying what is wrong with them. */
function readLintOptions(cliOptions: TemplatesLintCliOptions, io: TemplatesCommandIo): TemplateLintOptions | string {
  const verifiedDomains = splitList(cliOptions.verifiedDomains ?? io.env.RAMPART_VERIFIED_DOMAINS ?? '');
  const ports = splitList(cliOptions.allowedPorts ?? '');
  if (ports.some((port) => !/^\d{1,5}$/.test(port))) return '--allowed-ports takes port numbers separated by commas, e.g. 8443';
  const options: TemplateLintOptions = { verifiedDomains, allowedPorts: ports.map(Number) };
  if (cliOptions.defaultCountry === undefined) return options;
  const country = cliOptions.defaultCountry.toUpperCase();
  if (!isSupportedCountry(country)) return '--default-country takes a two-letter country code such as IN, DE or US';
  return { ...options, defaultCountry: country as CountryCode };
}

/** The parsed JSON (an object or an array), or a message for a file that cannot be used. */
async function readTemplateFile(file: string): Promise<unknown[] | object | string> {
  let text: string;
  try {
    const { size } = await stat(file);
    if (size > maximumFileBytes) return `${file} is larger than 10 MB; split it`;
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return `cannot read ${file}${typeof code === 'string' ? ` (${code})` : ''}`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    // V8's message quotes the text around the error, which may be a customer's data: keep only the position.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    return `${file} is not valid JSON${position === undefined ? '' : ` (at character ${position})`}`;
  }
  if (parsed === null || typeof parsed !== 'object') return `${file} must hold a template body (a JSON object) or an array of them`;
  return parsed;
}

function readTemplateName(body: unknown): string | null {
  const name = (body as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name.slice(0, 512) : null;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function usageError(io: TemplatesCommandIo, message: string): number {
  io.stderr.write(`rampart: ${message}\n`);
  return TEMPLATES_LINT_EXIT.unusableInput;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
