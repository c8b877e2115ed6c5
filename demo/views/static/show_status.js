() => {
  // Start was pressed. On a narrow screen the run's status (and the chart under it) sits below the form, more
  // than a screen down: bring it into view. Where it is already in view (beside the form), the page stays put.
  const status = document.querySelector('#train-status');
  if (!status) return;
  const box = status.getBoundingClientRect();
  if (box.top < 0 || box.top + Math.min(box.height, 40) > window.innerHeight) {
    status.scrollIntoView({block: 'start'});  // at once: a smooth scroll stops when the page changes under it
  }
}
