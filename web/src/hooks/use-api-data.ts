import { useCallback, useEffect, useRef, useState } from 'react';
import { isApiError } from '../api/api-error';
import { markAsBackground } from '../api/http-client';

export interface ApiData<T> {
  /** The latest answer for the current inputs (kept while a poll or reload runs). */
  data: T | null;
  error: unknown;
  /** True until the first answer (or error) for the current inputs. */
  isLoading: boolean;
  /** Loads again now, keeping what is shown meanwhile; `isBackground` when the page, not the person, asks. */
  reload(options?: { isBackground?: boolean }): void;
  /** Replaces the data locally after a change the server confirmed. */
  setData(update: (current: T | null) => T | null): void;
}

interface LoadState<T> {
  key: string;
  data: T | null;
  error: unknown;
  isLoading: boolean;
}

/**
 * Loads from the API when `inputs` change (aborting the previous request), optionally polling
 * every `pollMs` while the tab is visible. Polling stops on answers that will not change by
 * waiting: a missing route or a refusal.
 */
export function useApiData<T>(load: (signal: AbortSignal) => Promise<T>, inputs: readonly unknown[], options: { pollMs?: number } = {}): ApiData<T> {
  const key = JSON.stringify(inputs);
  const [state, setState] = useState<LoadState<T>>({ key, data: null, error: null, isLoading: true });
  const [reloadCount, setReloadCount] = useState(0);
  const isNextLoadBackground = useRef(false);
  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  }, [load]);
  const { pollMs } = options;

  useEffect(() => {
    const controller = new AbortController();
    let timer: number | undefined;
    // The first load follows what the person did; later polls are background requests.
    const backgroundSignal = markAsBackground(AbortSignal.any([controller.signal]));
    let isFirstLoad = !isNextLoadBackground.current;
    isNextLoadBackground.current = false;
    const run = async () => {
      const signal = isFirstLoad ? controller.signal : backgroundSignal;
      isFirstLoad = false;
      try {
        const data = await loadRef.current(signal);
        if (controller.signal.aborted) return;
        setState({ key, data, error: null, isLoading: false });
      } catch (error) {
        if (controller.signal.aborted) return;
        setState((current) => ({ key, data: current.key === key ? current.data : null, error, isLoading: false }));
        // Answers that waiting will not change: stop polling (404: gone, or no longer within reach).
        if (isApiError(error) && (error.status === 403 || error.status === 401 || error.status === 404 || error.isMissingRoute)) return;
      }
      if (pollMs !== undefined) timer = window.setTimeout(tick, pollMs);
    };
    const tick = () => {
      if (document.visibilityState === 'visible') void run();
      else timer = window.setTimeout(tick, pollMs);
    };
    void run();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [key, reloadCount, pollMs]);

  const reload = useCallback(({ isBackground = false }: { isBackground?: boolean } = {}) => {
    isNextLoadBackground.current = isBackground;
    setReloadCount((count) => count + 1);
  }, []);
  const setData = useCallback((update: (current: T | null) => T | null) => setState((current) => ({ ...current, data: update(current.key === key ? current.data : null) })), [key]);
  const isCurrent = state.key === key;
  return { data: isCurrent ? state.data : null, error: isCurrent ? state.error : null, isLoading: !isCurrent || state.isLoading, reload, setData };
}
