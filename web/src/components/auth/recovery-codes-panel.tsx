import { useState } from 'react';
import { saveFile } from '../../lib/download';
import { Button } from '../button';
import { CopyButton } from '../copy-button';
import { Notice } from '../notice';

/**
 * Ten single-use recovery codes, shown this once: copy, download, and a confirmation that they
 * are saved before going on.
 */
export function RecoveryCodesPanel({ codes, onDone, doneLabel = 'Continue' }: { codes: string[]; onDone: () => void; doneLabel?: string }) {
  const [isSaved, setSaved] = useState(false);
  const text = `Rampart recovery codes (each works once)\n\n${codes.join('\n')}\n`;
  return (
    <div className="recovery-codes" data-testid="recovery-codes-panel">
      <Notice tone="warning" title="Save your recovery codes now">
        <p>If you lose your phone or passkey, one of these codes signs you in instead. Each works once. They are shown only this time: keep them in a password manager or print them.</p>
      </Notice>
      <ol className="recovery-codes__list" data-testid="recovery-codes">
        {codes.map((code) => (
          <li key={code} className="recovery-codes__code">
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="form__actions">
        <CopyButton text={codes.join('\n')} label="Copy all" testId="recovery-codes-copy" />
        <Button size="small" onClick={() => saveFile(new Blob([text], { type: 'text/plain' }), 'rampart-recovery-codes.txt')}>
          Download as a text file
        </Button>
      </div>
      <label className="checkbox">
        <input type="checkbox" checked={isSaved} onChange={(event) => setSaved(event.target.checked)} data-testid="recovery-codes-saved" />
        <span>I have saved them somewhere safe</span>
      </label>
      <div className="form__actions">
        <Button variant="primary" disabled={!isSaved} onClick={onDone} data-testid="recovery-codes-continue">
          {doneLabel}
        </Button>
      </div>
    </div>
  );
}
