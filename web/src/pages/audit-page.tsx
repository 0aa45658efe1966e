import { useState } from 'react';
import { AuditFilters } from '../components/audit/audit-filters';
import type { AuditFilterValues } from '../components/audit/audit-filters';
import { AuditTable } from '../components/audit/audit-table';
import { VerificationCard } from '../components/audit/verification-card';
import { Button } from '../components/button';
import { Card } from '../components/card';
import { EmptyState } from '../components/empty-state';
import { ErrorMessage } from '../components/error-message';
import { LoadingState } from '../components/loading-state';
import { PageHeader } from '../components/page-header';
import { useApiData } from '../hooks/use-api-data';
import { useDocumentTitle } from '../hooks/use-document-title';
import { useApi } from '../session/api-context';

const PAGE_SIZE = 50;

/** The tamper-evident audit log (audit.read): integrity first, then the entries, newest first. */
export function AuditPage() {
  useDocumentTitle('Audit log');
  const api = useApi();
  const [filters, setFilters] = useState<AuditFilterValues>({ action: '', outcome: '' });
  // The cursors of the pages before this one, so "Newer" walks back exactly.
  const [cursors, setCursors] = useState<(number | null)[]>([null]);
  const before = cursors.at(-1) ?? null;
  const entries = useApiData((signal) => api.audit.listEntries({ ...filters, before, limit: PAGE_SIZE }, signal), [filters, before]);
  const nextBefore = entries.data?.nextBefore ?? null;
  return (
    <div className="page" data-testid="audit-page">
      <PageHeader title="Audit log" description="Every sign-in, decrypting read, change and refusal, in order. Entries cannot be changed without verification noticing." />
      <VerificationCard />
      <Card
        title="Entries"
        actions={
          <Button size="small" variant="ghost" onClick={() => entries.reload()} data-testid="audit-refresh">
            Refresh
          </Button>
        }
      >
        <AuditFilters
          initial={filters}
          onApply={(values) => {
            setFilters(values);
            setCursors([null]);
          }}
        />
        {entries.isLoading ? <LoadingState label="Loading entries…" /> : null}
        <ErrorMessage error={entries.error} title="The entries could not be loaded." />
        {entries.data && entries.data.entries.length === 0 ? (
          <EmptyState title="No entries match" testId="audit-empty">
            <p>{filters.action || filters.outcome ? 'Try a shorter action prefix or another outcome.' : 'Nothing has been recorded yet.'}</p>
          </EmptyState>
        ) : null}
        {entries.data && entries.data.entries.length > 0 ? <AuditTable entries={entries.data.entries} /> : null}
        <div className="pager">
          <Button size="small" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))} data-testid="audit-newer">
            ← Newer
          </Button>
          <span className="muted small">Page {cursors.length}</span>
          <Button size="small" disabled={nextBefore === null} onClick={() => setCursors([...cursors, nextBefore])} data-testid="audit-older">
            Older →
          </Button>
        </div>
      </Card>
    </div>
  );
}
