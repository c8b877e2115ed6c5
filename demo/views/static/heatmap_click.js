const PLOT = '__PLOT__';
const scope = element.closest('#confusion-content') || document.body;
let seq = 0;
// The chart's click bubbles up as a DOM event, so a picker mounted again replaces this one cleanly.
const onCell = (e) => {
  if (!element.isConnected) { document.removeEventListener('confusion-cell', onCell); return; }
  seq += 1;
  props.value = {seq: seq, true: e.detail.true, predicted: e.detail.predicted};
};
document.addEventListener('confusion-cell', onCell);
const hook = () => {
  const gd = document.querySelector(PLOT + ' .js-plotly-plot');
  if (!gd || gd.dataset.cellPicker || typeof gd.on !== 'function') return;
  gd.dataset.cellPicker = '1';
  gd.on('plotly_click', (data) => {
    const pt = data && data.points && data.points[0];
    if (!pt) return;
    gd.dispatchEvent(new CustomEvent('confusion-cell', {bubbles: true,
      detail: {true: Number(pt.y), predicted: Number(pt.x)}}));
  });
};
const observer = new MutationObserver(() => {
  if (!element.isConnected) { observer.disconnect(); return; }
  hook();
});
observer.observe(scope, {childList: true, subtree: true});
hook();
