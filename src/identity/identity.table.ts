/** The identity slice's tables: users, credentials, sessions, roles (filled in by the identity work). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface IdentityTables {}
