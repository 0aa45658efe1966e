import { useEffect, useRef } from 'react';

const ACTIVITY_KEY = 'rampart.lastActivityAt';
const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const;
const CHECK_INTERVAL_MS = 10_000;

/**
 * Polling keeps the server's idle clock from running out while a page sits open, so the page
 * keeps its own: after `idleMs` without a key press or click in any of this browser's Rampart
 * tabs (shared through localStorage), `onIdle` signs out. A laptop waking from sleep is checked at once.
 */
export function useIdleSignOut({ isActive, idleMs, onIdle }: { isActive: boolean; idleMs: number; onIdle: () => void }): void {
  const onIdleRef = useRef(onIdle);
  useEffect(() => {
    onIdleRef.current = onIdle;
  }, [onIdle]);

  useEffect(() => {
    if (!isActive) return;
    let lastActivityAt = Date.now();
    let lastStoredAt = 0;
    const recordActivity = () => {
      lastActivityAt = Date.now();
      // At most one write every few seconds: a typing agent should not hammer storage.
      if (lastActivityAt - lastStoredAt > 5_000) {
        lastStoredAt = lastActivityAt;
        writeSharedActivity(lastActivityAt);
      }
    };
    recordActivity();
    const check = () => {
      const latest = Math.max(lastActivityAt, readSharedActivity());
      if (Date.now() - latest >= idleMs) onIdleRef.current();
    };
    const timer = window.setInterval(check, CHECK_INTERVAL_MS);
    const onVisible = () => {
      if (document.visibilityState === 'visible') check();
    };
    for (const name of ACTIVITY_EVENTS) window.addEventListener(name, recordActivity, { passive: true, capture: true });
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.clearInterval(timer);
      for (const name of ACTIVITY_EVENTS) window.removeEventListener(name, recordActivity, { capture: true });
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [isActive, idleMs]);
}

function readSharedActivity(): number {
  try {
    return Number(window.localStorage.getItem(ACTIVITY_KEY)) || 0;
  } catch {
    return 0;
  }
}

function writeSharedActivity(at: number): void {
  try {
    window.localStorage.setItem(ACTIVITY_KEY, String(at));
  } catch {
    // Storage may be disabled; this tab's own timer still works.
  }
}
