// The page's elements, the status and error lines that every part of the panel reports to,
// the CSV files chosen in its file inputs, and the files it saves.

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** A new element with these properties. */
export const make = (tag, properties = {}) => Object.assign(document.createElement(tag), properties);

/** Shows `message` as the page's error, or hides the error line when it is empty. */
export function showError(message) {
  $('error').textContent = message;
  $('error').hidden = !message;
}

export function setStatus(message) {
  $('status').textContent = message;
}

/**
 * The file chosen in `input` as `read` (a csv.js reader) makes it: `{ name, data }`; or null
 * when none is chosen or it cannot be read, and then the error says why (a quoted field never
 * closed names its line) and nothing is loaded.
 */
export async function readCsv(input, read) {
  const [file] = input.files;
  input.value = '';
  if (!file) return null;
  try {
    const data = read(await file.text());
    showError('');
    return { name: file.name, data };
  } catch (error) {
    showError(`${file.name} was not loaded. ${error.message}`);
    return null;
  }
}

/** Saves `text` as a CSV file named `name`, as the browser saves downloads. */
export function download(name, text) {
  const link = make('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv' })), download: name });
  link.click();
  URL.revokeObjectURL(link.href);
}
