import { OneTimeSecret } from '../one-time-secret';

/** A setup link as the person will open it, shown once. */
export function SetupLinkSecret({ setupPath, name }: { setupPath: string; name: string }) {
  return (
    <OneTimeSecret title="Send this setup link" value={`${window.location.origin}${setupPath}`} testId="setup-link">
      <p>
        Give this link to {name} through a channel you trust. It works once, within 24 hours; with it they choose a password and set up a second factor. It is shown only now.
      </p>
    </OneTimeSecret>
  );
}
