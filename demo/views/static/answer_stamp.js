watch('value', () => {
  const pad = document.querySelector('#sketchpad');
  if (pad && String(props.value) === pad.dataset.seq) {
    document.querySelector('#prediction')?.classList.remove('stale');
    pad.dataset.answered = String(props.value);
  }
});
