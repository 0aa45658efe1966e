import { useCallback, useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { StepUpDialog } from '../components/step-up-dialog';
import { useApi } from './api-context';
import { useSession } from './session-context';

/**
 * Answers the API client's STEP_UP_REQUIRED: shows one dialog (however many requests asked at
 * once), and tells each waiting request whether to retry (confirmed) or give up (cancelled).
 */
export function StepUpProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const { state } = useSession();
  const [isOpen, setOpen] = useState(false);
  const waiting = useRef<((isConfirmed: boolean) => void)[]>([]);

  const settle = useCallback((isConfirmed: boolean) => {
    setOpen(false);
    for (const resolve of waiting.current.splice(0)) resolve(isConfirmed);
  }, []);

  useEffect(() => {
    api.client.onStepUpRequired(
      () =>
        new Promise<boolean>((resolve) => {
          waiting.current.push(resolve);
          setOpen(true);
        }),
    );
    return () => settle(false);
  }, [api, settle]);

  // A session that ended meanwhile has nothing to step up: the waiting requests give up.
  useEffect(() => {
    if (state.status !== 'active') settle(false);
  }, [state.status, settle]);

  return (
    <>
      {children}
      {isOpen ? <StepUpDialog onConfirmed={() => settle(true)} onCancel={() => settle(false)} /> : null}
    </>
  );
}
