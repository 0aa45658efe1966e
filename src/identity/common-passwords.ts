/**
 * Passwords of 12 characters or more that appear near the top of public breach corpora, and the
 * patterns people reach for when told "at least 12". Shorter ones are refused by length already.
 * Compared in lower case.
 */
export const commonPasswords: ReadonlySet<string> = new Set([
  '123456789012', '1234567890123', '12345678901234', '123456789123', '111111111111', '000000000000',
  '123123123123', '123412341234', '121212121212', '987654321098', '098765432109', '012345678901',
  'qwertyuiopas', 'qwertyuiop12', 'qwertyuiop123', 'qwerty123456', '1234567890qwerty', 'qwertyuiopasdfgh',
  '1q2w3e4r5t6y', '1qaz2wsx3edc', 'zaq12wsxcde3', 'asdfghjkl123', 'zxcvbnm12345', 'asdfasdfasdf', 'qweasdzxc123',
  'password1234', 'password12345', 'password123456', 'passwordpassword', 'password1!password', 'mypassword123',
  'password123!', 'password@123', 'password!234', 'p@ssw0rd1234', 'p@ssword1234', 'passw0rd1234', 'changeme1234',
  'letmein12345', 'welcome12345', 'welcome123456', 'welcome@1234', 'iloveyou1234', 'iloveyou12345', 'trustno11234',
  'administrator', 'administrator1', 'admin1234567', 'admin12345678', 'adminadminadmin', 'rootroot1234', 'superuser123',
  'sunshine1234', 'princess1234', 'football1234', 'baseball1234', 'basketball12', 'monkey123456', 'dragon123456',
  'master123456', 'shadow123456', 'michael12345', 'jennifer1234', 'computer1234', 'starwars1234', 'whatever1234',
  'abcdefghijkl', 'abcdefgh1234', 'abcd12345678', 'abc123456789', 'a1b2c3d4e5f6', 'aaaaaaaaaaaa', 'qqqqqqqqqqqq',
  'correcthorsebatterystaple', 'thequickbrownfox', 'letmeinplease', 'opensesame123', 'secret123456', 'secretsecret',
  'summer202420', 'winter202420', 'spring202420', 'autumn202420', 'january12345', 'december1234', 'summer2024!!',
  'whatsapp1234', 'whatsapp12345', 'whatsappbusiness', 'rampart12345', 'rampartrampart', 'rampart123456',
  'company12345', 'business1234', 'support12345', 'customer1234', 'helpdesk1234', 'marketing123', 'supervisor12',
  'internet1234', 'ilovemymom12', 'lovelove1234', 'freedom12345', 'hello1234567', 'helloworld12', 'helloworld123',
  'nopassword12', 'nopassword123', 'mysecretpassword', 'verysecurepassword', 'strongpassword', 'strongpassword1',
  'securepassword', 'securepassword1', 'mypassword1234', 'temporarypassword', 'defaultpassword', 'password1password1',
]);
