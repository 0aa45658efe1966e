import type { ReactNode } from 'react';
import { useAction } from '../hooks/use-action';
import { Button } from './button';
import { ErrorMessage } from './error-message';
import { Modal } from './modal';

/** "Are you sure?" for actions that cannot be undone; stays open with the error if the action fails. */
export function ConfirmDialog({ title, children, confirmLabel, isDanger = false, onConfirm, onClose, keepsOpen = false, testId = 'confirm-dialog' }: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  isDanger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  /** The confirmed action replaces the dialog itself (e.g. with what it produced): do not close. */
  keepsOpen?: boolean;
  testId?: string;
}) {
  const confirm = useAction(async () => {
    await onConfirm();
    if (!keepsOpen) onClose();
  });
  return (
    <Modal
      title={title}
      onClose={onClose}
      testId={testId}
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button variant={isDanger ? 'danger' : 'primary'} onClick={() => void confirm.run()} isBusy={confirm.isBusy} data-testid="confirm-dialog-confirm">
            {confirmLabel}
          </Button>
        </>
      }
    >
      {children}
      <ErrorMessage error={confirm.error} />
    </Modal>
  );
}
