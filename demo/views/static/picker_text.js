// Gradio's dropdown shows its choice in an <input>, which never wraps: a long model name ran on under the
// arrow ("…99.54% · dra▾") and a phone lost its end. Each single-choice dropdown of the page gets a copy of
// its text that wraps, in the flow (so the box grows to hold it), with the input laid over it, its own text
// transparent: a tap, the keyboard and typing to filter still go to Gradio's input. Once a visitor types (to
// filter the list) the input's own text shows instead, until it loses focus (picker_text.css). The copy follows
// the input's value, as Gradio sets it (through the value property) and as a visitor types.
const root = element.closest('.gradio-container') || document.body;
const native = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value');
const wrapText = (input) => {
  input.dataset.wrapped = '1';
  const box = input.parentElement;
  if (!box || !box.classList.contains('secondary-wrap') || input.closest('.wrap-inner')?.querySelector('.token')) {
    return;  // not the single-choice dropdown this is written for (a multiselect shows its choices as tokens)
  }
  const copy = document.createElement('div');
  copy.className = 'picker-text';
  copy.setAttribute('aria-hidden', 'true');
  box.insertBefore(copy, input);
  box.classList.add('picker-wraps');
  const show = () => { copy.textContent = native.get.call(input); };
  Object.defineProperty(input, 'value', {
    configurable: true,
    get() { return native.get.call(this); },
    set(v) { native.set.call(this, v); show(); },
  });
  input.addEventListener('input', () => { box.classList.add('picker-typing'); show(); });
  input.addEventListener('blur', () => { box.classList.remove('picker-typing'); show(); });
  show();
};
const scan = () => root.querySelectorAll('input[role="combobox"]:not([data-wrapped])').forEach(wrapText);
new MutationObserver(scan).observe(root, {childList: true, subtree: true});
scan();
