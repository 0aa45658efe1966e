import { describeError } from '../api/error-messages';

/** An API or dashboard error in words, with the code and request id small underneath for support. */
export function ErrorMessage({ error, title, testId = 'error-message' }: { error: unknown; title?: string; testId?: string }) {
  if (error === null || error === undefined) return null;
  const { summary, detail, code, requestId } = describeError(error);
  return (
    <div className="alert alert--danger" role="alert" data-testid={testId}>
      {title ? <p className="alert__title">{title}</p> : null}
      <p>{summary}</p>
      {detail ? <p className="alert__detail">{detail}</p> : null}
      {code || requestId ? (
        <p className="alert__meta">
          {code ? <>Code {code}</> : null}
          {code && requestId ? ' · ' : null}
          {requestId ? <>request id {requestId}</> : null}
        </p>
      ) : null}
    </div>
  );
}
