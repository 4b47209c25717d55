// The picture of the tags after a lookup: how many of the accounts looked up hold each tag.
// An SVG bar chart, one picture to screen readers (its title and description sum it up),
// with a button laid over each bar that shows only the accounts holding its tag, and the
// same numbers as a table. The most held tags are drawn, the others counted.
import { $, make } from './dom.js';
import { state } from './state.js';
import { number, plural } from './wording.js';

const SVG = 'http://www.w3.org/2000/svg';
/** Bars drawn at most: the tags held most; the rest are counted beside the chart. */
export const MOST_BARS = 20;
/** The drawing's units: a row per bar, the tag's name on the left, the count after the bar. */
const ROW = 28;
const WIDTH = 640;
const LABEL = 180;
const COUNT_ROOM = 72;
/** A tag's name is cut to this many characters on its bar (the button and table give it whole). */
const LABEL_CHARS = 24;

/** Each tag and the number of `results` that hold it, the most held first, ties by name. */
export function tagCounts(results) {
  const counts = new Map();
  for (const entry of results) {
    for (const tag of new Set(entry.Tags)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  }
  return [...counts]
    .map(([tag, count]) => ({ tag, count }))
    .sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}

/** A new SVG element with these attributes. */
function svg(tag, attributes = {}) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

const cut = (tag) => ([...tag].length > LABEL_CHARS ? `${[...tag].slice(0, LABEL_CHARS - 1).join('')}…` : tag);

/** The bar of `tag`, `count` accounts of at most `most`, in row `row`. */
function bar({ tag, count }, row, most) {
  const y = row * ROW;
  const width = Math.max(2, Math.round((count / most) * (WIDTH - LABEL - COUNT_ROOM)));
  const group = svg('g', { class: 'bar' });
  group.dataset.tag = tag;
  const label = svg('text', { x: LABEL - 8, y: y + ROW / 2, 'text-anchor': 'end', 'dominant-baseline': 'central', class: 'bar-label' });
  label.textContent = cut(tag);
  const rect = svg('rect', { x: LABEL, y: y + 5, width, height: ROW - 10, rx: 3 });
  const value = svg('text', { x: LABEL + width + 6, y: y + ROW / 2, 'dominant-baseline': 'central', class: 'bar-count' });
  value.textContent = number(count);
  group.append(label, rect, value);
  return group;
}

/** The button over a bar: it shows only the accounts holding its tag, and says so when pressed. */
function barButton({ tag, count }, total) {
  const button = make('button', { type: 'button', className: 'chart-bar', title: `Show only the ${plural(count, 'account')} tagged ${tag}` });
  button.dataset.tag = tag;
  button.setAttribute('aria-label', `${tag}: ${plural(count, 'account')} of ${number(total)}`);
  button.setAttribute('aria-pressed', 'false');
  return button;
}

function tableRow({ tag, count }, total) {
  const row = make('tr');
  row.append(make('th', { scope: 'row', textContent: tag }));
  row.insertCell().textContent = number(count);
  row.insertCell().textContent = `${Math.round((count / total) * 100)}%`;
  return row;
}

/** What the chart shows, in words: its note, the picture's description and the count left out. */
function describe(counts, bars, total) {
  const accounts = plural(total, 'account');
  const tags = plural(counts.length, 'tag');
  if (!bars.length) return { note: `None of the ${accounts} holds a tag.`, desc: '', more: '' };
  const first = bars[0];
  const last = bars.at(-1);
  const drawn = bars.length < counts.length ? `the ${number(bars.length)} held most of ${tags}` : tags;
  const left = counts.length - bars.length;
  return {
    note: `How many of the ${accounts} hold each tag: ${drawn}. Choose a bar to show only its accounts.`,
    desc: `A bar for each of ${drawn} among ${accounts}, longest first: ${first.tag} is held by ${number(first.count)}` +
      (bars.length > 1 ? `, down to ${last.tag} by ${number(last.count)}.` : '.'),
    more: left ? `${plural(left, 'more tag')} held by fewer accounts ${left === 1 ? 'is' : 'are'} not drawn; type one in the filter to see its accounts.` : '',
  };
}

/** Draws the chart of the accounts looked up. */
function draw() {
  const { results } = state;
  state.charted = results;
  const counts = tagCounts(results);
  const bars = counts.slice(0, MOST_BARS);
  const total = results.length;
  const words = describe(counts, bars, total);
  $('chart-box').hidden = total === 0;
  $('chart-note').textContent = words.note;
  $('chart-desc').textContent = words.desc;
  $('chart-more').textContent = words.more;
  $('chart-area').hidden = bars.length === 0;
  $('chart-numbers').hidden = bars.length === 0;
  $('chart').setAttribute('viewBox', `0 0 ${WIDTH} ${Math.max(bars.length, 1) * ROW}`);
  const most = bars[0]?.count ?? 1;
  $('chart-drawing').replaceChildren(...bars.map((b, row) => bar(b, row, most)));
  $('chart-bars').replaceChildren(...bars.map((b) => barButton(b, total)));
  $('chart-caption').textContent = `Accounts per tag, of ${plural(total, 'account')} looked up` +
    (counts.length > bars.length ? ` (the ${number(bars.length)} tags held most, of ${number(counts.length)})` : '');
  $('chart-rows').replaceChildren(...bars.map((b) => tableRow(b, total)));
}

/** Shows which bar the table is filtered by, if any. */
function markFilter() {
  for (const button of $('chart-bars').children) {
    button.setAttribute('aria-pressed', String(button.dataset.tag === state.tagFilter));
  }
  $('chart-drawing').classList.toggle('filtered', Boolean(state.tagFilter));
  for (const group of $('chart-drawing').children) group.classList.toggle('on', group.dataset.tag === state.tagFilter);
}

/** Shows the chart of the accounts looked up: drawn again only when they have changed, so a bar keeps the focus. */
export function showChart() {
  if (state.results !== state.charted) draw();
  markFilter();
}

/** Puts the focus on the bar of `tag`; false when it has none. */
export function focusBar(tag) {
  const button = [...$('chart-bars').children].find((b) => b.dataset.tag === tag);
  button?.focus();
  return Boolean(button);
}
