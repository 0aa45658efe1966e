/** Order of message statuses; a status is only replaced by one of higher rank. */
const statusRanks: ReadonlyMap<string, number> = new Map(Object.entries({
  sent: 10,
  delivered: 20,
  read: 30,
  played: 40,
  // Terminal: nothing outranks a failure or a deletion.
  deleted: 90,
  failed: 100,
}));

/** Unknown statuses (Meta adds values) rank lowest: recorded in the history, never replacing a known one. */
export function rankStatus(status: string): number {
  // A Map, not an object: a status named "constructor" or "__proto__" must rank like any unknown one.
  return statusRanks.get(status) ?? 0;
}
