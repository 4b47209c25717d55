// The panel's CSV (www/csv.js): read as RFC 4180 has it, written so that no cell runs as a
// formula, and written then read back to the same accounts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accountsFromCsv, csvField, neutralise, parseCsv, restore, toCsv, userTagsFromCsv } from '../../www/csv.js';

test('quoted fields keep their commas, line breaks and doubled quotes', () => {
  const text = '\ufeffaccount,note\r\n"csv,comma","x"\r\n"say ""hi""","two\nlines"\nplain , spaced \r\n\r\n';
  assert.deepEqual(parseCsv(text), [
    ['account', 'note'],
    ['csv,comma', 'x'],
    ['say "hi"', 'two\nlines'],
    ['plain', 'spaced'],
  ]);
});

test('the account column is the one headed To_Account or account, else the first', () => {
  assert.deepEqual(accountsFromCsv('tags,To_Account\r\nvip,alice\r\n,bob\r\n'), ['alice', 'bob']);
  assert.deepEqual(accountsFromCsv('Account;x\nalice\n'), ['Account;x', 'alice'], 'no header: the first column');
  assert.deepEqual(accountsFromCsv('account\nalice\n\nbob'), ['alice', 'bob']);
  assert.deepEqual(accountsFromCsv('alice,vip\nbob,trial'), ['alice', 'bob']);
  assert.deepEqual(accountsFromCsv(''), []);
});

test('cells that would start a formula are neutralised with a leading quote', () => {
  for (const cell of ['=1+2', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) {
    assert.equal(neutralise(cell), `'${cell}`);
  }
  for (const cell of ['alice', "'quoted", 'a=b', '']) assert.equal(neutralise(cell), cell);
  assert.equal(csvField('=HYPERLINK("http://evil")'), `"'=HYPERLINK(""http://evil"")"`);
  assert.equal(toCsv([['account', 'tags'], ['=1+2', '@vip;x']]), "account,tags\r\n'=1+2,'@vip;x\r\n");
});

test('written then read, every account comes back as it was', () => {
  const accounts = [
    'plain', 'csv,comma', 'say "hi"', ' spaced ', 'two\nlines', '=1+2', '-minus', '+plus', '@at',
    "'=already", "''=twice", "'", "'quote", '\ttab', 'semi;colon', '用户', '😀',
  ];
  const file = toCsv([['account', 'tags'], ...accounts.map((a) => [a, 'vip;trial'])]);
  assert.deepEqual(accountsFromCsv(file), accounts);
  for (const account of accounts) assert.equal(restore(neutralise(account)), account);
  // No written cell starts a formula.
  for (const [account] of parseCsv(file).slice(1)) assert.doesNotMatch(account, /^[=+\-@\t\r]/);
});

test('a bulk file gives each account its tags, from account,tag rows or an exported file', () => {
  assert.deepEqual(userTagsFromCsv('alice,vip\nbob,cn\nalice,beta\nalice,vip\n,orphan\ncarol,\n'), [
    { To_Account: 'alice', Tags: ['vip', 'beta'] },
    { To_Account: 'bob', Tags: ['cn'] },
  ]);
  assert.deepEqual(userTagsFromCsv('To_Account,Tags\r\n"csv,comma","a;b"\r\n\'=1+2,c\r\n'), [
    { To_Account: 'csv,comma', Tags: ['a', 'b'] },
    { To_Account: '=1+2', Tags: ['c'] },
  ]);
  assert.deepEqual(userTagsFromCsv('tag,account\nvip,alice\n'), [{ To_Account: 'alice', Tags: ['vip'] }]);
  const exported = toCsv([['account', 'tags'], ['alice', 'vip;cn'], ['bob', '']]);
  assert.deepEqual(userTagsFromCsv(exported), [{ To_Account: 'alice', Tags: ['vip', 'cn'] }]);
});

test('a quoted field that is never closed is refused, naming the line where it starts', () => {
  // Read to the end of the file, it would load as one account holding every row after it.
  const message = (line) => ({ name: 'SyntaxError', message: `The quoted field that starts on line ${line} has no closing quote.` });
  assert.throws(() => parseCsv('account\nalice\n"bob\ncarol\n'), message(3));
  // Lines are counted in the file, not in rows: a closed quoted field's line breaks count too.
  assert.throws(() => parseCsv('"two\r\nlines",x\r\n\r\ny,"open\r\nz'), message(4));
  assert.throws(() => accountsFromCsv('account\r\nalice\r\n"bob\r\ncarol\r\ndave\r\n'), message(3));
  assert.throws(() => userTagsFromCsv('alice,vip\nbob,"cn\n'), message(2));
  assert.throws(() => parseCsv('"'), message(1));
});

test('text after a quoted field\'s closing quote is refused, naming its line, not dropped', () => {
  const message = (line) => ({ name: 'SyntaxError', message: `Line ${line} has text after the closing quote of a field.` });
  assert.throws(() => parseCsv('account\n"bob"x\n'), message(2));
  assert.throws(() => accountsFromCsv('account\r\n"two\r\nlines"tail,x\r\n'), message(3));
  // Spaces after the closing quote are not text.
  assert.deepEqual(parseCsv('"bob" ,"cn"\t\n'), [['bob', 'cn']]);
});
