const canvas = element.querySelector('canvas');
const frame = element.querySelector('.pad-frame');
const ctx = canvas.getContext('2d');
const SIZE = __CANVAS__;
const RADIUS = __RADIUS__;
const root = element.closest('#sketchpad') || element;
const strokes = [];      // every stroke so far: {colour, points: [[x, y], ...]}, for Undo
let current = null;      // the stroke being drawn, with the pointer that draws it
let colour = '__FIRST_COLOUR__';
let seq = 0;

// The pad's words in the page's language. Its template is one fixed string for every visitor, so the server
// cannot translate it: each element keeps its English text in data-text (its text) or data-label (its
// aria-label, and its title if it has one), and TEXTS ({language: {English: translated}}, from the catalogs)
// gives the words. Gradio sets <html lang> to the page's language and changes it when the visitor picks
// another, without a reload: the observer turns the pad's words then too.
const TEXTS = __TEXTS__;
const say = (english) => (TEXTS[(document.documentElement.lang || 'en').split('-')[0].toLowerCase()] || {})[english]
  || english;
const speak = () => {
  if (!element.isConnected) { language.disconnect(); return; }  // the pad was taken off the page
  element.querySelectorAll('[data-text]').forEach((e) => { e.textContent = say(e.dataset.text); });
  element.querySelectorAll('[data-label]').forEach((e) => {
    e.setAttribute('aria-label', say(e.dataset.label));
    if (e.hasAttribute('title')) e.title = say(e.dataset.label);
  });
};
const language = new MutationObserver(speak);
language.observe(document.documentElement, {attributes: true, attributeFilter: ['lang']});
speak();

const swatches = Array.from(element.querySelectorAll('.pad-colour'));
const choose = (c) => { colour = c; swatches.forEach((s) => s.classList.toggle('chosen', s.dataset.colour === c)); };
swatches.forEach((s) => s.addEventListener('click', () => choose(s.dataset.colour)));
choose(colour);

const at = (e) => {
  const box = canvas.getBoundingClientRect();
  return [(e.clientX - box.left) * SIZE / box.width, (e.clientY - box.top) * SIZE / box.height];
};
const dot = (c, p) => {
  ctx.fillStyle = c; ctx.beginPath(); ctx.arc(p[0], p[1], RADIUS, 0, 2 * Math.PI); ctx.fill();
};
const line = (c, a, b) => {
  ctx.strokeStyle = c; ctx.lineWidth = 2 * RADIUS; ctx.lineCap = 'round'; ctx.lineJoin = 'round';
  ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke();
};
const blank = () => { ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, SIZE, SIZE); };
const repaint = () => {
  blank();
  for (const s of strokes) {
    dot(s.colour, s.points[0]);
    for (let i = 1; i < s.points.length; i++) line(s.colour, s.points[i - 1], s.points[i]);
  }
  frame.classList.toggle('inked', strokes.length > 0);
};
const stale = () => document.querySelector('#prediction')?.classList.add('stale');
// The whole drawing goes to the server once per stroke; seq lets the page tell the newest answer.
const send = () => {
  seq += 1;
  root.dataset.seq = String(seq);
  stale();
  props.value = {seq: seq, png: strokes.length ? canvas.toDataURL('image/png') : null};
};

canvas.addEventListener('pointerdown', (e) => {
  if (current || (e.pointerType === 'mouse' && e.button !== 0)) return;
  e.preventDefault();
  canvas.setPointerCapture(e.pointerId);
  current = {id: e.pointerId, stroke: {colour: colour, points: [at(e)]}};
  strokes.push(current.stroke);
  frame.classList.add('inked');
  dot(colour, current.stroke.points[0]);
  stale();
});
canvas.addEventListener('pointermove', (e) => {
  if (!current || e.pointerId !== current.id) return;
  const events = (e.getCoalescedEvents && e.getCoalescedEvents().length) ? e.getCoalescedEvents() : [e];
  const points = current.stroke.points;
  for (const ev of events) {
    const p = at(ev);
    line(current.stroke.colour, points[points.length - 1], p);
    points.push(p);
  }
});
const end = (e) => {
  if (!current || e.pointerId !== current.id) return;
  current = null;
  send();
};
canvas.addEventListener('pointerup', end);
canvas.addEventListener('pointercancel', end);

element.querySelector('[data-action="undo"]').addEventListener('click', () => {
  if (!strokes.length) return;
  strokes.pop();
  repaint();
  send();
});
element.querySelector('[data-action="clear"]').addEventListener('click', () => {
  const had = strokes.length > 0;
  strokes.length = 0;
  repaint();
  if (had) send();
});
repaint();
root.dataset.ready = '1';  // a signal for tests and scripts: the canvas takes strokes now
