// Gradio draws an empty image, plot or gallery as a <div class="empty" aria-label="Empty value"> with an icon: a
// name on an element without a role, which screen readers ignore (axe: aria-prohibited-attr, serious). Giving it
// the role of what it is, a picture, lets the name be read. Gradio draws these at any time, so watch for them.
(() => {
  const name = () => document.querySelectorAll('div.empty[aria-label]:not([role])')
    .forEach((box) => box.setAttribute('role', 'img'));
  new MutationObserver(name).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener('DOMContentLoaded', name);
})();
