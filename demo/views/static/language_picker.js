// Switch the page's language in the browser: every label Gradio translates (the I18n keys) turns at once.
// Gradio 6 has no public call for it: its own Settings panel calls changeLocale() of the "core" module that the
// page already loaded. Importing the same URL again gives that same module (a module loads once per page), so its
// changeLocale() turns this page. demo/server/gradio_internals.py (part 9) says where this comes from.
async (language) => {
  const urls = [...document.querySelectorAll('link[rel=modulepreload]')].map((link) => link.href)
    .concat(performance.getEntriesByType('resource').map((entry) => entry.name));
  const core = urls.find((url) => /\/assets\/core-[^/]*\.js$/.test(url));
  if (!core) return false;
  const module = await import(core);
  if (typeof module.changeLocale !== 'function') return false;
  module.changeLocale(language);
  return true;
}
