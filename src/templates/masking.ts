/**
 * How findings refer to a sensitive value without repeating it: at most its last four characters
 * (as card receipts, PCI DSS and UIDAI's masked Aadhaar do), and fewer for short values.
 */

/** "ending in 1111" for a value's letters and digits; separators are ignored. */
export function describeEnding(value: string): string {
  const compact = value.replace(/[^A-Za-z0-9]/g, '');
  // A short value would be half revealed by four characters: show two at most.
  const shown = compact.length >= 8 ? 4 : Math.min(2, Math.max(0, compact.length - 4));
  return shown === 0 ? 'masked' : `ending in ${compact.slice(-shown).toUpperCase()}`;
}

/**
 * Text from a template that a message quotes (a link's host, an unknown type name), with every run
 * of five or more digits (separators allowed between them) replaced by "…": a card number hidden in
 * a host name must not come back whole in the finding that names the host.
 */
export function maskDigitRuns(text: string, maximumLength = 100): string {
  const masked = text.replace(/\d(?:[\s.\-_]*\d){4,}/g, '…');
  return masked.length > maximumLength ? `${masked.slice(0, maximumLength)}…` : masked;
}
