import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerTemplatesCommand, TEMPLATES_LINT_EXIT } from '../../src/cli/templates-command.js';
import type { TemplatesCommandIo } from '../../src/cli/templates-command.js';
import { repoRoot } from '../support/shared-fixtures.js';

class UsageExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

interface LintOutput {
  file: string;
  templates: { name: string | null; findings: { rule: string; severity: string; path: string; message: string; fix: string }[] }[];
  errors: number;
  warnings: number;
}

const directory = mkdtempSync(path.join(tmpdir(), 'rampart-templates-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function writeFile(name: string, content: unknown): string {
  const file = path.join(directory, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** Runs `rampart templates …` in this process, with its own environment and captured output. */
async function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const output = { stdout: '', stderr: '', exitCode: 0 };
  const io: TemplatesCommandIo = {
    env,
    stdout: { write: (chunk) => (output.stdout += chunk) },
    stderr: { write: (chunk) => (output.stderr += chunk) },
    setExitCode: (code) => (output.exitCode = code),
    exit: (code) => {
      throw new UsageExit(code);
    },
  };
  const program = new Command().name('rampart');
  registerTemplatesCommand(program, io);
  try {
    await program.parseAsync(['node', 'rampart', 'templates', ...args]);
  } catch (error) {
    if (!(error instanceof UsageExit)) throw error;
    output.exitCode = error.code;
  }
  return output;
}

const cleanTemplate = {
  name: 'order_shipped',
  language: 'en_US',
  category: 'UTILITY',
  components: [
    { type: 'BODY', text: 'Hi {{1}}, your order is on its way.', example: { body_text: [['Ada']] } },
    { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Track', url: 'https://shop.com/track/{{1}}', example: ['https://shop.com/track/A1'] }] },
  ],
};

const leakyTemplate = {
  name: 'promo',
  language: 'en_US',
  category: 'MARKETING',
  components: [{ type: 'BODY', text: 'Pay with card 4111 1111 1111 1111 at https://bit.ly/pay or write to ada@example.com' }],
};

describe('rampart templates lint', () => {
  it('exits 0 and prints an empty findings list for a clean template', async () => {
    const file = writeFile('clean.json', cleanTemplate);
    const result = await runCli(['lint', file, '--verified-domains', 'shop.com']);
    expect(result.exitCode).toBe(TEMPLATES_LINT_EXIT.clean);
    expect(JSON.parse(result.stdout)).toEqual({ file, templates: [{ name: 'order_shipped', findings: [] }], errors: 0, warnings: 0 });
    expect(result.stderr).toBe('rampart: 1 template checked: 0 errors, 0 warnings\n');
  });

  it('exits 1 with every finding for an array of templates, and never prints the card number', async () => {
    const file = writeFile('many.json', [cleanTemplate, leakyTemplate]);
    const result = await runCli(['lint', file, '--verified-domains', 'shop.com']);
    expect(result.exitCode).toBe(TEMPLATES_LINT_EXIT.errors);
    const output = JSON.parse(result.stdout) as LintOutput;
    expect(output.templates.map((template) => template.name)).toEqual(['order_shipped', 'promo']);
    expect(output.templates[1]!.findings.map((finding) => `${finding.rule} ${finding.severity} ${finding.path}`)).toEqual([
      'url-shortener error components[0].text',
      'card-number error components[0].text',
      'email-address warning components[0].text',
    ]);
    expect([output.errors, output.warnings]).toEqual([2, 1]);
    expect(result.stdout + result.stderr).not.toMatch(/4111 1111 1111|411111111111|ada@example/);
  });

  it('exits 0 when there are only warnings', async () => {
    const file = writeFile('warning.json', { ...cleanTemplate, components: [{ type: 'BODY', text: 'Questions? Write to help@shop.com' }] });
    const result = await runCli(['lint', file, '--verified-domains', 'shop.com']);
    expect(result.exitCode).toBe(TEMPLATES_LINT_EXIT.clean);
    expect((JSON.parse(result.stdout) as LintOutput).warnings).toBe(1);
  });

  it('reports a malformed template as findings with paths, not as a crash', async () => {
    const file = writeFile('malformed.json', [{ name: 'x', components: 'nope' }, 'not a template']);
    const result = await runCli(['lint', file, '--verified-domains', 'shop.com']);
    expect(result.exitCode).toBe(TEMPLATES_LINT_EXIT.errors);
    const output = JSON.parse(result.stdout) as LintOutput;
    expect(output.templates[0]!.findings.map((finding) => finding.path)).toEqual(['language', 'category', 'components']);
    expect(output.templates[1]).toMatchObject({ name: null, findings: [{ rule: 'template-structure', path: '$' }] });
  });

  it('reads the verified domains from RAMPART_VERIFIED_DOMAINS, and the option wins over it', async () => {
    const file = writeFile('env.json', cleanTemplate);
    expect((await runCli(['lint', file], { RAMPART_VERIFIED_DOMAINS: 'other.com, shop.com' })).exitCode).toBe(TEMPLATES_LINT_EXIT.clean);
    expect((await runCli(['lint', file, '--verified-domains', 'other.com'], { RAMPART_VERIFIED_DOMAINS: 'shop.com' })).exitCode).toBe(TEMPLATES_LINT_EXIT.errors);
  });

  it('says on stderr that every link fails when no verified domain is given', async () => {
    const result = await runCli(['lint', writeFile('nodomains.json', cleanTemplate)]);
    expect(result.exitCode).toBe(TEMPLATES_LINT_EXIT.errors);
    expect(result.stderr).toContain('no verified domains given');
  });

  it('exits 2 for a file that is not valid JSON, without quoting its content', async () => {
    const file = writeFile('broken.json', '{"name": "x", "text": "card 4111111111111111", }');
    const result = await runCli(['lint', file, '--verified-domains', 'shop.com']);
    expect(result.exitCode).toBe(TEMPLATES_LINT_EXIT.unusableInput);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/is not valid JSON/);
    expect(result.stderr).not.toContain('4111');
  });

  it('exits 2 for a missing file, JSON that holds no template, a bad domain list or a bad country', async () => {
    const clean = writeFile('clean2.json', cleanTemplate);
    const cases: [string[], RegExp][] = [
      [['lint', path.join(directory, 'absent.json'), '--verified-domains', 'shop.com'], /cannot read .*absent\.json \(ENOENT\)/],
      [['lint', writeFile('number.json', '42'), '--verified-domains', 'shop.com'], /must hold a template body/],
      [['lint', clean, '--verified-domains', 'https://shop.com/'], /not a domain name/],
      [['lint', clean, '--verified-domains', 'shop.com', '--default-country', 'XX'], /--default-country/],
      [['lint', clean, '--verified-domains', 'shop.com', '--allowed-ports', 'https'], /--allowed-ports/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      expect(result.exitCode, args.join(' ')).toBe(TEMPLATES_LINT_EXIT.unusableInput);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    }
  });

  it('exits 2 on a usage error (no file given)', async () => {
    const result = await runCli(['lint']);
    expect(result.exitCode).toBe(TEMPLATES_LINT_EXIT.unusableInput);
    expect(result.stderr).toContain("missing required argument 'file'");
  });

  it('runs as its own process with no database or Rampart setting, and exits with the code CI sees', async () => {
    const file = writeFile('process.json', leakyTemplate);
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/templates/support/templates-cli.ts', 'templates', 'lint', file, '--verified-domains', 'shop.com'], {
      cwd: repoRoot,
      // Only what Node needs: no RAMPART_* configuration, no data directory.
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(TEMPLATES_LINT_EXIT.errors);
    expect((JSON.parse(stdout) as LintOutput).errors).toBe(2);
  });
});
