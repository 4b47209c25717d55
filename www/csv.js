// CSV files in and out of the panel, as RFC 4180 has them: a file read here gives back exactly
// the accounts a file written here holds, and a file written here runs nothing when a
// spreadsheet opens it.

/** The headers that name the account column (compared without case). */
export const ACCOUNT_HEADERS = new Set(['to_account', 'account', 'accounts', 'userid', 'user_id', 'identifier']);
/** The headers that name the tags column of a bulk change. */
const TAG_HEADERS = new Set(['tags', 'tag']);
/** What a spreadsheet reads as the start of a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A cell escaped by `neutralise`: one added `'` before what would start a formula. */
const ESCAPED = /^'+[=+\-@\t\r]/;

/** The line of `text` that holds the character at `index`, counted from 1 (CRLF, LF and CR each end one). */
function lineAt(text, index) {
  return text.slice(0, index).split(/\r\n|\r|\n/).length;
}

/**
 * The quoted field whose opening quote is at `start`: its text, with `""` read as one quote,
 * and the index after its closing quote. A field never closed is refused rather than read to
 * the end of the file, where it would swallow every row after it into one cell.
 */
function readQuoted(text, start) {
  let field = '';
  let i = start + 1;
  while (i < text.length) {
    if (text[i] !== '"') field += text[i++];
    else if (text[i + 1] === '"') {
      field += '"';
      i += 2;
    } else return { field, end: i + 1 };
  }
  throw new SyntaxError(`The quoted field that starts on line ${lineAt(text, start)} has no closing quote.`);
}

/**
 * The rows of a CSV text, each a list of fields: fields end at commas, rows at CRLF, LF or CR;
 * a quoted field keeps its commas, line breaks and doubled quotes (as one quote). Unquoted
 * fields lose the spaces around them. A byte-order mark at the start is skipped. Throws a
 * SyntaxError naming the line of a quoted field that is never closed, or that has text after
 * its closing quote.
 */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endField = () => {
    row.push(quoted ? field : field.trim());
    field = '';
    quoted = false;
  };
  const endRow = () => {
    endField();
    if (row.length > 1 || row[0] !== '') rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"' && field.trim() === '' && !quoted) {
      ({ field, end: i } = readQuoted(text, i));
      quoted = true;
      continue;
    }
    if (c === ',') endField();
    else if (c === '\n' || c === '\r') {
      endRow();
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else if (!quoted) field += c;
    else if (c !== ' ' && c !== '\t') {
      // `"bob"x` is no field RFC 4180 writes: dropping the x, or keeping it, would both guess.
      throw new SyntaxError(`Line ${lineAt(text, i)} has text after the closing quote of a field.`);
    }
    i++;
  }
  if (field !== '' || quoted || row.length) endRow();
  return rows;
}

/**
 * The accounts of a CSV file, in order: the column headed `To_Account` or `account` (or
 * another usual name for it), else the first column. Empty cells are skipped, and cells that
 * `neutralise` escaped read back as they were. Throws as `parseCsv` does.
 */
export function accountsFromCsv(text) {
  const rows = parseCsv(text);
  if (!rows.length) return [];
  const headed = rows[0].findIndex((cell) => ACCOUNT_HEADERS.has(cell.trim().toLowerCase()));
  const column = Math.max(headed, 0);
  return rows
    .slice(headed >= 0 ? 1 : 0)
    .map((row) => restore(row[column] ?? ''))
    .filter(Boolean);
}

/**
 * The changes of a bulk file, `account,tag` rows (or a `To_Account,Tags` header and rows whose
 * tags are joined by `;`, as Export CSV writes them): `[{ To_Account, Tags }]`, one entry per
 * account in the order it first appears, its tags each once. Rows without an account or a tag
 * are skipped. Throws as `parseCsv` does.
 */
export function userTagsFromCsv(text) {
  const rows = parseCsv(text);
  if (!rows.length) return [];
  const header = rows[0].map((cell) => cell.trim().toLowerCase());
  const accountColumn = header.findIndex((cell) => ACCOUNT_HEADERS.has(cell));
  const tagColumn = header.findIndex((cell) => TAG_HEADERS.has(cell));
  const headed = accountColumn >= 0 || tagColumn >= 0;
  const byAccount = new Map();
  for (const row of rows.slice(headed ? 1 : 0)) {
    const account = restore(row[Math.max(accountColumn, 0)] ?? '');
    const tags = restore(row[tagColumn >= 0 ? tagColumn : 1] ?? '').split(';').map((t) => t.trim()).filter(Boolean);
    if (!account || !tags.length) continue;
    const entry = byAccount.get(account) ?? byAccount.set(account, new Set()).get(account);
    for (const tag of tags) entry.add(tag);
  }
  return [...byAccount].map(([To_Account, Tags]) => ({ To_Account, Tags: [...Tags] }));
}

/** A cell a spreadsheet would run as a formula, with a `'` before it so that it is only text. */
export function neutralise(cell) {
  return FORMULA_START.test(cell) || ESCAPED.test(cell) ? `'${cell}` : cell;
}

/** Undoes `neutralise`. */
export function restore(cell) {
  return ESCAPED.test(cell) ? cell.slice(1) : cell;
}

/** One CSV field: neutralised, and quoted when it holds a comma, quote or line break, or spaces at its ends. */
export function csvField(cell) {
  const text = neutralise(cell);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A CSV file of rows of cells, with CRLF line ends. */
export function toCsv(rows) {
  return rows.map((cells) => cells.map(csvField).join(',')).join('\r\n') + '\r\n';
}
