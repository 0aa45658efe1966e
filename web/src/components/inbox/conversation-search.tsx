import { useState } from 'react';
import { useAction } from '../../hooks/use-action';
import { useApi } from '../../session/api-context';
import { Button } from '../button';
import { ErrorMessage } from '../error-message';

/** Find a conversation by the customer's number: sent in a POST body (never a URL), audited when found. */
export function ConversationSearch({ onFound }: { onFound: (conversationId: string) => void }) {
  const api = useApi();
  const [phone, setPhone] = useState('');
  const search = useAction(async () => {
    const { conversation } = await api.conversations.searchByPhone(phone.trim());
    setPhone('');
    onFound(conversation.id);
  });
  return (
    <form
      className="conversation-search"
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        void search.run();
      }}
    >
      <label className="visually-hidden" htmlFor="conversation-search-phone">
        Find by phone number
      </label>
      <div className="input-group">
        <input
          id="conversation-search-phone"
          className="input"
          type="tel"
          inputMode="tel"
          autoComplete="off"
          placeholder="Find by number, e.g. +44 7700 900123"
          required
          pattern="[0-9 \+\(\)\-]{6,24}"
          title="A phone number with its country code"
          value={phone}
          onChange={(event) => setPhone(event.target.value)}
          data-testid="inbox-search-input"
        />
        <Button type="submit" isBusy={search.isBusy} data-testid="inbox-search-submit">
          Find
        </Button>
      </div>
      <ErrorMessage error={search.error} testId="inbox-search-error" />
    </form>
  );
}
