import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import type { InboxFixture, SignedInStaff } from './support/inbox-fixture.js';
import { auditEntriesSince, auditSize, conversationIdOf, newCustomerNumber, receiveFromCustomers, request, signInStaff, startInboxFixture, textMessage } from './support/inbox-fixture.js';

noteSkippedWhen(postgresUrl === undefined, 'inbox reach and assignment on postgres', missingPostgresMessage);

interface Summary {
  id: string;
  assignedTo: { id: string; displayName: string } | null;
}

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`inbox reach and assignment on ${dialect.name}`, () => {
    let testDatabase: TestDatabase;
    let fixture: InboxFixture;
    let supervisor: SignedInStaff;
    let admin: SignedInStaff;
    let agentAnna: SignedInStaff;
    let agentBen: SignedInStaff;
    let auditor: SignedInStaff;
    let annasCustomer: string;
    let annasConversation: string;
    let openConversation: string;

    beforeAll(async () => {
      testDatabase = await dialect.create();
      fixture = await startInboxFixture(testDatabase);
      supervisor = await signInStaff(fixture.harness, ['supervisor'], 'Sam Supervisor');
      admin = await signInStaff(fixture.harness, ['admin'], 'Ada Admin');
      agentAnna = await signInStaff(fixture.harness, ['agent'], 'Anna Agent');
      agentBen = await signInStaff(fixture.harness, ['agent'], 'Ben Agent');
      auditor = await signInStaff(fixture.harness, ['auditor'], 'Otto Auditor');
      annasCustomer = newCustomerNumber();
      const otherCustomer = newCustomerNumber();
      await receiveFromCustomers(fixture.harness, [
        { from: annasCustomer, message: textMessage('Where is my parcel?') },
        { from: otherCustomer, message: textMessage('Do you ship to Norway?') },
      ]);
      annasConversation = await conversationIdOf(fixture.harness, annasCustomer);
      openConversation = await conversationIdOf(fixture.harness, otherCustomer);
      const assigned = await assign(supervisor, annasConversation, agentAnna.userId);
      expect(assigned.statusCode).toBe(200);
    });

    afterAll(async () => {
      await fixture?.close();
      await testDatabase?.drop();
    });

    const assign = (by: SignedInStaff, conversationId: string, userId: string | null) =>
      request(fixture.harness, by, 'PUT', `/api/v1/conversations/${conversationId}/assignment`, { userId });
    const listIds = async (by: SignedInStaff, filter?: string) => {
      const response = await request(fixture.harness, by, 'GET', `/api/v1/conversations${filter ? `?filter=${filter}` : ''}`);
      expect(response.statusCode).toBe(200);
      return (response.json() as { conversations: Summary[] }).conversations.map((conversation) => conversation.id).sort();
    };

    it('lets an agent list only conversations assigned to them, whatever filter they ask for', async () => {
      for (const filter of [undefined, 'all', 'unassigned', 'mine']) {
        expect(await listIds(agentAnna, filter)).toEqual([annasConversation]);
        expect(await listIds(agentBen, filter)).toEqual([]);
      }
    });

    it('lets supervisors and admins list every conversation, filtered by assignment', async () => {
      const both = [annasConversation, openConversation].sort();
      expect(await listIds(supervisor)).toEqual(both);
      expect(await listIds(admin, 'all')).toEqual(both);
      expect(await listIds(supervisor, 'unassigned')).toEqual([openConversation]);
      expect(await listIds(supervisor, 'mine')).toEqual([]);
    });

    it('answers 404 for a conversation out of an agent\'s reach on every route, like an absent one, and writes no entry', async () => {
      const before = await auditSize(fixture.harness);
      const routes: [method: 'GET' | 'POST', url: string, body?: unknown][] = [
        ['GET', `/api/v1/conversations/${annasConversation}`],
        ['GET', `/api/v1/conversations/${annasConversation}/messages`],
        ['GET', `/api/v1/contacts/${annasConversation}`],
        ['POST', `/api/v1/conversations/${annasConversation}/messages`, { text: 'Hi, Ben here' }],
        ['POST', '/api/v1/conversations/search', { phone: `+${annasCustomer}` }],
      ];
      for (const [method, url, body] of routes) {
        const response = await request(fixture.sending, agentBen, method, url, body);
        expect([response.statusCode, response.json().code], `${method} ${url}`).toEqual([404, 'NOT_FOUND']);
      }
      expect(await auditSize(fixture.harness)).toBe(before);
      // The assigned agent reaches it.
      expect((await request(fixture.harness, agentAnna, 'GET', `/api/v1/conversations/${annasConversation}/messages`)).statusCode).toBe(200);
      expect((await request(fixture.harness, agentAnna, 'POST', '/api/v1/conversations/search', { phone: `+${annasCustomer}` })).statusCode).toBe(200);
      expect((await request(fixture.harness, agentAnna, 'GET', `/api/v1/conversations/${openConversation}`)).statusCode).toBe(404);
    });

    it('keeps an export to the exporter\'s reach: a custom role that exports only assigned conversations gets 404 for others', async () => {
      const role = await fixture.harness.identity.roles.createRole({ name: 'Assigned exporter', permissions: ['conversations.read', 'contacts.export'], conversationAccess: 'assigned' });
      const exporter = await signInStaff(fixture.harness, [role.id], 'Erin Exporter');
      const before = await auditSize(fixture.harness);
      const response = await request(fixture.harness, exporter, 'GET', `/api/v1/conversations/${annasConversation}/export?format=json`);
      expect([response.statusCode, response.json().code]).toEqual([404, 'NOT_FOUND']);
      expect(await auditSize(fixture.harness)).toBe(before);
    });

    it('records an assignment with its audit entry and shows the assignee', async () => {
      const before = await auditSize(fixture.harness);
      const response = await assign(admin, openConversation, agentBen.userId);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ id: openConversation, assignedTo: { id: agentBen.userId, displayName: 'Ben Agent' } });
      const entries = await auditEntriesSince(fixture.harness, before);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ action: 'conversation.assign', actorId: admin.userId, resourceType: 'conversation', resourceId: openConversation, subjectContactId: openConversation, outcome: 'success' });
      expect(JSON.parse(entries[0]!.details)).toEqual({ assigneeId: agentBen.userId, previousAssigneeId: null });
      expect(await listIds(agentBen)).toEqual([openConversation]);

      const unassigned = await assign(supervisor, openConversation, null);
      expect(unassigned.json()).toMatchObject({ assignedTo: null });
      expect(await listIds(agentBen)).toEqual([]);
      expect(JSON.parse((await auditEntriesSince(fixture.harness, before + 1))[0]!.details)).toEqual({ assigneeId: null, previousAssigneeId: agentBen.userId });
    });

    it('refuses assignment to agents (403, before looking at the body) and records the denial', async () => {
      const before = await auditSize(fixture.harness);
      for (const body of [{ userId: agentAnna.userId }, { userId: 'not-a-uuid' }]) {
        const response = await request(fixture.harness, agentAnna, 'PUT', `/api/v1/conversations/${annasConversation}/assignment`, body);
        expect([response.statusCode, response.json().code]).toEqual([403, 'FORBIDDEN']);
      }
      const assignees = await request(fixture.harness, agentAnna, 'GET', '/api/v1/conversations/assignees');
      expect([assignees.statusCode, assignees.json().code]).toEqual([403, 'FORBIDDEN']);
      const entries = await auditEntriesSince(fixture.harness, before);
      expect(entries.map((entry) => [entry.action, entry.outcome, entry.actorId])).toEqual([
        ['access.denied', 'denied', agentAnna.userId],
        ['access.denied', 'denied', agentAnna.userId],
        ['access.denied', 'denied', agentAnna.userId],
      ]);
      expect((await request(fixture.harness, agentAnna, 'GET', `/api/v1/conversations/${annasConversation}`)).json()).toMatchObject({ assignedTo: { id: agentAnna.userId } });
    });

    it('assigns only to active users who may read conversations, and changes nothing otherwise', async () => {
      const disabled = await signInStaff(fixture.harness, ['agent'], 'Dora Disabled');
      await fixture.database.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', disabled.userId).execute();
      const before = await auditSize(fixture.harness);
      for (const userId of [auditor.userId, disabled.userId, '00000000-0000-4000-8000-000000000000']) {
        const response = await assign(supervisor, annasConversation, userId);
        expect([response.statusCode, response.json().code]).toEqual([400, 'INVALID_REQUEST']);
      }
      const malformed = await assign(supervisor, annasConversation, 'someone' as string);
      expect(malformed.statusCode).toBe(400);
      const absent = await assign(supervisor, '00000000-0000-4000-8000-000000000000', agentAnna.userId);
      expect([absent.statusCode, absent.json().code]).toEqual([404, 'NOT_FOUND']);
      expect(await auditSize(fixture.harness)).toBe(before);
      expect((await request(fixture.harness, supervisor, 'GET', `/api/v1/conversations/${annasConversation}`)).json()).toMatchObject({ assignedTo: { id: agentAnna.userId } });
    });

    it('offers as assignees exactly the active users whose roles read conversations', async () => {
      const response = await request(fixture.harness, supervisor, 'GET', '/api/v1/conversations/assignees');
      expect(response.statusCode).toBe(200);
      const users = (response.json() as { users: { id: string; displayName: string }[] }).users;
      const ids = users.map((user) => user.id);
      for (const expected of [supervisor, admin, agentAnna, agentBen]) expect(ids).toContain(expected.userId);
      expect(ids).not.toContain(auditor.userId);
      expect(users.map((user) => user.displayName)).not.toContain('Dora Disabled');
      expect(Object.keys(users[0]!).sort()).toEqual(['displayName', 'id']);
    });
  });
}
