/**
 * Curated host lists for the URL rules. Shorteners hide where a link goes, which is exactly what
 * a phishing template needs; the list holds public, general-purpose shorteners and redirectors
 * (a business's own branded short domain belongs on its verified-domain allowlist instead).
 */
export const urlShortenerHosts: readonly string[] = [
  'bit.ly', 'bitly.com', 'bit.do', 'tinyurl.com', 'tiny.cc', 'tiny.one', 't.co', 'goo.gl', 'g.co', 'ow.ly', 'is.gd', 'v.gd',
  'buff.ly', 'rebrand.ly', 'rb.gy', 'cutt.ly', 'shorturl.at', 't.ly', 'bl.ink', 's.id', 'lnkd.in', 'qr.ae', 'adf.ly',
  'tr.im', 'shorte.st', 'ouo.io', 'short.gy', 'x.co', 'soo.gd', 'clck.ru', 'u.to', 'urlz.fr', 'gg.gg', 'did.li', 'shor.by',
  'han.gl', 'linktr.ee', 'wa.link', 'tinu.be', 'cli.re', 'shrtco.de', 'shrturi.com', 'snip.ly', 'surl.li', 'lnk.to', 'po.st',
  'qrco.de', 'qrs.ly', 'short.link', '1url.com', 'tiny.pl', 'cutt.us', 'kutt.it', 'y2u.be', 'dub.sh',
];

/**
 * Generic top-level domains common enough that a bare "name.tld" in a message is a link
 * (WhatsApp turns it into one). Two-letter country domains are recognised from the region codes
 * ICU knows (see isKnownTopLevelDomain).
 */
const genericTopLevelDomains: ReadonlySet<string> = new Set([
  'com', 'net', 'org', 'info', 'biz', 'edu', 'gov', 'int', 'mil', 'app', 'dev', 'page', 'site', 'online', 'store', 'shop', 'xyz',
  'top', 'club', 'live', 'link', 'click', 'tech', 'cloud', 'email', 'bank', 'pay', 'pro', 'mobi', 'name', 'asia', 'support',
  'help', 'services', 'digital', 'world', 'today', 'network', 'website', 'space', 'fun', 'icu', 'vip', 'work', 'life', 'news',
  'blog', 'media', 'finance', 'money', 'loan', 'loans', 'credit', 'insurance', 'health', 'care', 'clinic', 'delivery', 'express',
  'login', 'secure', 'account', 'verify', 'wallet', 'zip', 'mov', 'cam', 'rest', 'bar', 'buzz', 'monster', 'quest', 'sbs', 'cfd',
]);

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
const countryDomainsNotRegions: ReadonlySet<string> = new Set(['uk', 'eu', 'ac', 'su', 'tp']);

/** A top-level domain a bare host name in text would use (`com`, `de`, `ly`, …), lower case. */
export function isKnownTopLevelDomain(label: string): boolean {
  const lower = label.toLowerCase();
  if (genericTopLevelDomains.has(lower) || countryDomainsNotRegions.has(lower)) return true;
  if (!/^[a-z]{2}$/.test(lower)) return false;
  const upper = lower.toUpperCase();
  const name = regionNames.of(upper);
  return name !== undefined && name !== upper && upper !== 'ZZ';
}
