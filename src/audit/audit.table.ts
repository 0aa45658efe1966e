/** The audit slice's tables (filled in by the audit log work). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AuditTables {}
