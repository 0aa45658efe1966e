/**
 * Loading a PKCS#11 library and logging in to one of its tokens, through pkcs11js (a maintained
 * N-API binding). A library may be initialised once per process (C_Initialize / C_Finalize are
 * process-wide), so providers share one loaded library per path and the last user finalises it.
 */
import type pkcs11js from 'pkcs11js';
import type { Handle, PKCS11 } from 'pkcs11js';
import { AppError } from '../errors.js';

export type Pkcs11Binding = typeof pkcs11js;

export interface Pkcs11Module {
  readonly binding: Pkcs11Binding;
  readonly pkcs11: PKCS11;
  readonly modulePath: string;
  /** Hands the library back; the last holder finalises and unloads it. */
  release(): void;
}

interface LoadedModule {
  binding: Pkcs11Binding;
  pkcs11: PKCS11;
  /** False when something else in this process had initialised the library: we must not finalise it. */
  isInitialisedHere: boolean;
}

interface ModuleEntry {
  /** Counted before the load finishes, so a release during another's load cannot finalise under it. */
  holders: number;
  loading: Promise<LoadedModule>;
}

// Process-wide by the standard's own rules (one C_Initialize per library), hence module state.
const moduleEntries = new Map<string, ModuleEntry>();

export async function acquirePkcs11Module(modulePath: string): Promise<Pkcs11Module> {
  let entry = moduleEntries.get(modulePath);
  if (!entry) {
    entry = { holders: 0, loading: loadModule(modulePath) };
    moduleEntries.set(modulePath, entry);
  }
  const held = entry;
  held.holders += 1;
  let isReleased = false;
  const release = (): void => {
    if (isReleased) return;
    isReleased = true;
    held.holders -= 1;
    if (held.holders > 0) return;
    if (moduleEntries.get(modulePath) === held) moduleEntries.delete(modulePath);
    held.loading.then(unloadModule, () => undefined);
  };
  try {
    const loaded = await held.loading;
    return { binding: loaded.binding, pkcs11: loaded.pkcs11, modulePath, release };
  } catch (error) {
    // A failed load is not kept: the next attempt, after the operator fixes it, loads afresh.
    release();
    throw error;
  }
}

function unloadModule(loaded: LoadedModule): void {
  try {
    if (loaded.isInitialisedHere) loaded.pkcs11.C_Finalize();
    loaded.pkcs11.close();
  } catch {
    // Unloading is best effort: the process keeps running either way, and no key material is involved.
  }
}

async function loadModule(modulePath: string): Promise<LoadedModule> {
  const binding = await importBinding();
  const pkcs11 = new binding.PKCS11();
  try {
    pkcs11.load(modulePath);
  } catch (error) {
    // The loader's reason (e.g. "cannot open shared object file") names files, never secrets.
    const reason = error instanceof Error ? error.message.split('\n')[0]?.slice(0, 200) : 'unknown reason';
    throw new AppError('KMS_UNAVAILABLE', `The PKCS#11 library ${modulePath} could not be loaded (${reason}); check module= in RAMPART_KMS`);
  }
  try {
    // OS locking: pkcs11js runs the *Async calls on worker threads.
    pkcs11.C_Initialize({ flags: binding.CKF_OS_LOCKING_OK });
    return { binding, pkcs11, isInitialisedHere: true };
  } catch (error) {
    if (hasPkcs11Code(error, binding.CKR_CRYPTOKI_ALREADY_INITIALIZED)) return { binding, pkcs11, isInitialisedHere: false };
    pkcs11.close();
    throw new AppError('KMS_UNAVAILABLE', `The PKCS#11 library ${modulePath} failed to initialise (${describePkcs11Error(error)})`);
  }
}

async function importBinding(): Promise<Pkcs11Binding> {
  try {
    // Loaded only when RAMPART_KMS=pkcs11:…, so other deployments never need the native module.
    return (await import('pkcs11js')).default;
  } catch {
    throw new AppError('KMS_UNAVAILABLE', 'The pkcs11js native module is not available; run `npm rebuild pkcs11js` (it needs a C++ toolchain)');
  }
}

/** Opens a read-write session on the token with this label and logs in as the user. */
export function openTokenSession(module: Pkcs11Module, tokenLabel: string, pin: string): Handle {
  const { binding, pkcs11 } = module;
  const slot = findTokenSlot(module, tokenLabel);
  const session = callToken(() => pkcs11.C_OpenSession(slot, binding.CKF_RW_SESSION | binding.CKF_SERIAL_SESSION), `opening a session on token "${tokenLabel}"`);
  try {
    pkcs11.C_Login(session, binding.CKU_USER, pin);
  } catch (error) {
    // Login state is per application and token: another provider in this process may have logged in.
    if (!hasPkcs11Code(error, binding.CKR_USER_ALREADY_LOGGED_IN)) {
      closeSessionQuietly(pkcs11, session);
      throw describeLoginFailure(binding, error, tokenLabel);
    }
  }
  return session;
}

function findTokenSlot(module: Pkcs11Module, tokenLabel: string): Handle {
  const slots = callToken(() => module.pkcs11.C_GetSlotList(true), 'listing slots');
  const labels = slots.map((slot) => callToken(() => module.pkcs11.C_GetTokenInfo(slot).label.trimEnd(), 'reading token information'));
  const matching = slots.filter((_slot, index) => labels[index] === tokenLabel);
  if (matching.length === 1 && matching[0]) return matching[0];
  const present = labels.filter((label) => label !== '').map((label) => `"${label}"`).join(', ') || 'none';
  throw new AppError(
    'KMS_UNAVAILABLE',
    matching.length === 0
      ? `No token labelled "${tokenLabel}" in ${module.modulePath} (tokens present: ${present}); check slot-label in RAMPART_KMS`
      : `${matching.length} tokens are labelled "${tokenLabel}" in ${module.modulePath}; give the token Rampart uses a unique label`,
  );
}

function describeLoginFailure(binding: Pkcs11Binding, error: unknown, tokenLabel: string): AppError {
  if (hasPkcs11Code(error, binding.CKR_PIN_INCORRECT)) {
    return new AppError('KMS_UNAVAILABLE', `Token "${tokenLabel}" refused RAMPART_PKCS11_PIN (CKR_PIN_INCORRECT); check the PIN before retrying, repeated failures lock the token`);
  }
  if (hasPkcs11Code(error, binding.CKR_PIN_LOCKED)) {
    return new AppError('KMS_UNAVAILABLE', `The user PIN of token "${tokenLabel}" is locked (CKR_PIN_LOCKED); the token's security officer must unlock it`);
  }
  return new AppError('KMS_UNAVAILABLE', `Logging in to token "${tokenLabel}" failed (${describePkcs11Error(error)}); check RAMPART_PKCS11_PIN and the token`);
}

/** KMS_UNAVAILABLE from a token call, keeping the CKR_ code so a lost session can be told apart. */
export class TokenCallError extends AppError {
  readonly pkcs11Code: number | null;

  constructor(step: string, error: unknown) {
    super('KMS_UNAVAILABLE', `The PKCS#11 token failed while ${step} (${describePkcs11Error(error)})`);
    this.pkcs11Code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number' ? error.code : null;
  }
}

/** Runs a token call; any failure is the token being unavailable, named with the step that failed. */
export function callToken<T>(call: () => T, step: string): T {
  try {
    return call();
  } catch (error) {
    throw new TokenCallError(step, error);
  }
}

/** The session is gone (closed, token reset or removed, logged out): a new session may work where this one cannot. */
export function isSessionLost(binding: Pkcs11Binding, error: unknown): boolean {
  const lost = [
    binding.CKR_SESSION_HANDLE_INVALID,
    binding.CKR_SESSION_CLOSED,
    binding.CKR_USER_NOT_LOGGED_IN,
    binding.CKR_DEVICE_REMOVED,
    binding.CKR_TOKEN_NOT_PRESENT,
    binding.CKR_DEVICE_ERROR,
  ];
  return error instanceof TokenCallError && error.pkcs11Code !== null && lost.includes(error.pkcs11Code);
}

/**
 * The object behind a handle is gone: destroyed (a KEK version retired, perhaps by another process),
 * or no longer visible to this session. Finding the objects again gives the handles that are valid now.
 */
export function isObjectGone(binding: Pkcs11Binding, error: unknown): boolean {
  const gone = [binding.CKR_OBJECT_HANDLE_INVALID, binding.CKR_KEY_HANDLE_INVALID];
  return error instanceof TokenCallError && error.pkcs11Code !== null && gone.includes(error.pkcs11Code);
}

export function closeSessionQuietly(pkcs11: PKCS11, session: Handle): void {
  try {
    pkcs11.C_CloseSession(session);
  } catch {
    // Already closed, or the token is gone: either way the session is over.
  }
}

export function hasPkcs11Code(error: unknown, code: number): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

/** The CKR_… name only: pkcs11js messages carry nothing else worth showing, and never key material. */
export function describePkcs11Error(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const name = /CKR_[A-Z0-9_]+/.exec(message)?.[0];
  return name ?? 'an error without a PKCS#11 code';
}
