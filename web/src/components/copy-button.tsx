import { useState } from 'react';
import { copyText } from '../lib/clipboard';
import { Button } from './button';

/** Copies text and says whether it worked (if the browser refuses, it says to copy by hand). */
export function CopyButton({ text, label = 'Copy', testId }: { text: string; label?: string; testId?: string }) {
  const [outcome, setOutcome] = useState<'idle' | 'copied' | 'refused'>('idle');
  return (
    <span className="copy-button">
      <Button
        size="small"
        data-testid={testId}
        onClick={async () => {
          setOutcome((await copyText(text)) ? 'copied' : 'refused');
        }}
      >
        {label}
      </Button>
      <span className="copy-button__outcome" role="status">
        {outcome === 'copied' ? 'Copied' : outcome === 'refused' ? 'The browser did not allow copying; select the text and copy it.' : ''}
      </span>
    </span>
  );
}
