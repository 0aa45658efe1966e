/** Keywords people send to stop or resume marketing messages, in the languages Rampart ships with. */
export const defaultOptOutKeywords = ['STOP', 'UNSUBSCRIBE', 'STOPP', 'ABMELDEN', 'ARRET', 'ARRÊT', 'DESINSCRIRE', 'BAJA', 'PARAR', 'CANCELAR', 'SAIR', 'STOPPA', 'AFMELDEN', 'ANNULLA'];
export const defaultOptInKeywords = ['START', 'SUBSCRIBE', 'UNSTOP', 'ANMELDEN', 'ALTA', 'INICIAR', 'ISCRIVI', 'AANMELDEN'];

export type KeywordVerdict = 'opt-out' | 'opt-in' | null;

/**
 * Recognises a message that is only a consent keyword ("stop", " Stop! ", "ＳＴＯＰ"): compatibility
 * normalised, case-folded, surrounding punctuation and emoji ignored. A sentence that merely
 * contains the word ("please don't stop") is not a keyword.
 */
export function createKeywordMatcher({ optOut = defaultOptOutKeywords, optIn = defaultOptInKeywords }: { optOut?: readonly string[]; optIn?: readonly string[] } = {}) {
  const optOutSet = new Set(optOut.map(normaliseKeyword));
  const optInSet = new Set(optIn.map(normaliseKeyword));

  function match(text: string): KeywordVerdict {
    if (text.length > 64) return null;
    const word = normaliseKeyword(text);
    if (optOutSet.has(word)) return 'opt-out';
    if (optInSet.has(word)) return 'opt-in';
    return null;
  }

  return { match };
}

export type KeywordMatcher = ReturnType<typeof createKeywordMatcher>;

function normaliseKeyword(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/^[\s\p{P}\p{S}\p{Cf}]+|[\s\p{P}\p{S}\p{Cf}]+$/gu, '')
    .toLocaleUpperCase('en-US');
}
