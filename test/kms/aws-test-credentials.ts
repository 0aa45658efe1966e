/**
 * Credentials for the AWS SDK's default chain, through the environment as in production (the chain
 * reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY first). Instance metadata is switched off so a
 * test never waits on 169.254.169.254. Returns a function that restores what was there.
 */
const names = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_EC2_METADATA_DISABLED'] as const;

export function useAwsTestCredentials(credentials: { accessKeyId: string; secretAccessKey: string }): () => void {
  const previous = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  delete process.env.AWS_SESSION_TOKEN;
  return () => {
    for (const name of names) {
      const value = previous[name];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
