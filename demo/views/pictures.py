"""Pictures of what happens inside a network: feature-map grids, saliency overlays, filters, a digit strip.

The numbers come from ``mnist_core`` (:mod:`mnist_core.saliency`, :mod:`mnist_core.introspect`);
this module only turns arrays into images. Each view is sent as one HTML block with the images
inlined as PNG data URIs: one small payload per update, no temporary files written per stroke,
and a layout (one captioned grid per layer, however many layers a model has) that a fixed set
of ``gr.Image`` components could not give.

Pictures are encoded at their native resolution (a 28x28 saliency map is a 28x28 PNG) and
enlarged by the browser (``width``/``height`` on the ``<img>``, ``image-rendering: pixelated``):
the server then encodes a few hundred pixels per map instead of tens of thousands, which was
most of a stroke's cost when thirty phones draw at once (``python -m bench.classroom``).
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Sequence

import numpy as np
from PIL import Image

from demo.server.language import N_, _, n_, percent
from demo.views.assets import asset
from mnist_core.predict import CONFIDENT
from mnist_core.preprocess import to_uint8_array
from mnist_core.saliency import Explanation

#: Anchor colours of the sequential map for activations (dark = 0, bright = 1), roughly viridis.
_SEQUENTIAL = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], np.float32)
#: Heat for saliency: transparent-looking dark red to yellow-white.
_HEAT = np.array([[128, 0, 0], [230, 40, 0], [255, 160, 0], [255, 255, 160]], np.float32)
#: Diverging map for filter weights: blue (negative), white (0), red (positive).
_DIVERGING = np.array([[33, 102, 172], [247, 247, 247], [178, 24, 43]], np.float32)
_PAD_COLOUR = (255, 255, 255)
#: Frames of the probe strip's digits: read right, read right but not sure, read wrong (also in ``CSS`` and the
#: strip's legend).
RIGHT_COLOUR, UNSURE_COLOUR, WRONG_COLOUR = "#2b8a3e", "#a15c00", "#d62728"


def colorize(values: np.ndarray, anchors: np.ndarray = _SEQUENTIAL) -> np.ndarray:
    """Map values in [0, 1] (any shape S) to uint8 RGB (S + (3,)) along the anchor colours."""
    v = np.clip(np.nan_to_num(np.asarray(values, np.float32)), 0, 1) * (len(anchors) - 1)
    low = np.minimum(v.astype(int), len(anchors) - 2)
    frac = (v - low)[..., None]
    return (anchors[low] * (1 - frac) + anchors[low + 1] * frac).round().astype(np.uint8)


def normalize_each(maps: np.ndarray) -> np.ndarray:
    """Scale each map of (N, H, W) to [0, 1] on its own (min to max), so a weak map still shows its pattern.

    A constant map (e.g. a ReLU that is off everywhere) becomes all zero.
    """
    maps = np.asarray(maps, np.float32)
    low = maps.min(axis=(1, 2), keepdims=True)
    span = maps.max(axis=(1, 2), keepdims=True) - low
    return np.where(span > 0, (maps - low) / np.where(span > 0, span, 1), 0.0).astype(np.float32)


#: Test and training images in galleries are 28 * THUMB pixels.
THUMB = 4


def zoom_pixels(image: np.ndarray, factor: int) -> np.ndarray:
    """(H, W) or (H, W, C) enlarged ``factor`` times by repeating pixels: each stays a crisp square (no blur)."""
    return image.repeat(factor, axis=0).repeat(factor, axis=1)


def thumbnail(image: np.ndarray) -> np.ndarray:
    """A 28x28 uint8 MNIST image as a gallery thumbnail, ``THUMB`` times larger."""
    return zoom_pixels(image, THUMB)


def zoom_for(size: int, target: int = 48) -> int:
    """Whole-number enlargement that makes a ``size``-pixel map about ``target`` pixels (at least 1)."""
    return max(1, round(target / max(size, 1)))


def tile(images: np.ndarray, columns: int, zoom: int = 1, pad: int = 2,
         fill: int | tuple[int, int, int] | None = None) -> np.ndarray:
    """Lay (N, H, W) or (N, H, W, 3) uint8 images in a grid, each enlarged ``zoom`` times (pixels stay square).

    Returns one uint8 image with ``pad`` pixels of ``fill`` between tiles: (rows*(H*zoom+pad)-pad, ...).
    Without ``fill``, grey images become RGB and the padding is white; with a ``fill`` for grey images (a
    palette index, see :func:`feature_grid`), they stay one channel. One reshape, no loop over tiles: a
    layer of 160 maps is tiled after every stroke of every visitor.
    Our own, not torchvision's ``make_grid``: importing torchvision for it would add about 1.5 s to the
    first Inside view.
    """
    images = np.asarray(images, np.uint8)
    if images.ndim == 3 and fill is None:
        images = np.repeat(images[..., None], 3, axis=-1)
    if fill is None:
        fill = _PAD_COLOUR
    if zoom > 1:
        images = images.repeat(zoom, axis=1).repeat(zoom, axis=2)
    n, th, tw = images.shape[:3]
    rest = images.shape[3:]
    columns = max(1, min(columns, n))
    rows = math.ceil(n / columns)
    cells = np.empty((rows * columns, th + pad, tw + pad, *rest), np.uint8)
    cells[:] = fill
    cells[:n, :th, :tw] = images
    grid = cells.reshape(rows, columns, th + pad, tw + pad, *rest).swapaxes(1, 2)
    grid = grid.reshape(rows * (th + pad), columns * (tw + pad), *rest)
    return grid[:grid.shape[0] - pad, :grid.shape[1] - pad]


#: The feature maps' colours as a PNG palette: index 0-254 is the sequential map from weak to strong, 255 white.
SEQUENTIAL_PALETTE = np.vstack([colorize(np.linspace(0, 1, 255)), [_PAD_COLOUR]]).astype(np.uint8)
_PALETTE_PAD = 255


def feature_grid(maps: np.ndarray) -> np.ndarray:
    """One layer's (C, H, W) maps as one grid at native size (one pixel per activation, one pixel between maps),
    each map normalised on its own, shown :func:`zoom_for` its H times larger.

    The grid holds indices into :data:`SEQUENTIAL_PALETTE` (``SEQUENTIAL_PALETTE[grid]`` is its RGB picture)
    and is sent as a palette PNG: a third of the bytes of RGB, and no colour arithmetic per pixel.
    """
    c = maps.shape[0]
    columns = 8 if c <= 32 else 16
    levels = np.rint(normalize_each(maps) * (_PALETTE_PAD - 1)).astype(np.uint8)
    return tile(levels, columns, pad=1, fill=_PALETTE_PAD)


def overlay(image: np.ndarray, saliency: np.ndarray, zoom: int = 1) -> np.ndarray:
    """A (28, 28) [0, 1] digit in grey with a (28, 28) [0, 1] saliency map laid over it as heat (``zoom`` times
    larger; the page enlarges the native picture itself).

    Where saliency is 0 the digit shows unchanged; where it is 1 the heat colour covers it.
    """
    grey = np.repeat((np.clip(image, 0, 1) * 200 + 20)[..., None], 3, axis=-1)  # ink light grey on near-black
    s = np.clip(np.asarray(saliency, np.float32), 0, 1)[..., None]
    alpha = 0.85 * s
    rgb = (grey * (1 - alpha) + colorize(s[..., 0], _HEAT) * alpha).round().astype(np.uint8)
    return zoom_pixels(rgb, zoom)


def filter_grid(filters: np.ndarray) -> np.ndarray:
    """(N, kh, kw) filter weights as one grid: red positive, blue negative, each scaled by its own largest weight."""
    f = np.asarray(filters, np.float32)
    peak = np.abs(f).max(axis=(1, 2), keepdims=True)
    scaled = 0.5 + 0.5 * f / np.where(peak > 0, peak, 1)  # [-peak, peak] -> [0, 1]
    return tile(colorize(scaled, _DIVERGING), 8 if len(f) <= 32 else 16, pad=1)


def png_uri(image: np.ndarray, palette: np.ndarray | None = None) -> str:
    """A uint8 image (H, W) or (H, W, 3) as a ``data:image/png;base64`` URI for an ``<img>`` tag; an (H, W) image
    with a (256, 3) ``palette`` is a palette PNG whose pixels are indices into it."""
    buffer = io.BytesIO()
    picture = Image.fromarray(np.ascontiguousarray(image))
    if palette is not None:
        picture.putpalette(np.asarray(palette, np.uint8).tobytes())  # an "L" image becomes "P": its values index it
    picture.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def img_tag(image: np.ndarray, scale: int, css_class: str = "inside-img", alt: str = "", extra: str = "",
            palette: np.ndarray | None = None) -> str:
    """An ``<img>`` of the uint8 ``image`` at native resolution, shown ``scale`` times larger with square pixels."""
    h, w = image.shape[:2]
    return (f'<img class="{css_class}" src="{png_uri(image, palette)}" width="{w * scale}" height="{h * scale}" '
            f'alt="{html.escape(alt)}"{extra}>')


def _figure(image: np.ndarray, scale: int, caption: str, css_class: str = "inside-img", title: str = "",
            palette: np.ndarray | None = None) -> str:
    tip = f' title="{html.escape(title)}"' if title else ""
    alt = re.sub(r"<[^>]+>", "", caption)  # the caption's text without its markup
    return (f'<figure class="inside-fig">{img_tag(image, scale, css_class, alt, tip, palette)}'
            f'<figcaption>{caption}</figcaption></figure>')


def shape_text(shape: Sequence[int]) -> str:
    """(16, 28, 28) -> "16 × 28 × 28": how the class reads a tensor's shape."""
    return " × ".join(str(s) for s in shape)


def placeholder_html(text: str) -> str:
    """What a view shows before there is anything to see (``text`` in the visitor's language already)."""
    return f'<div class="inside-empty">{html.escape(text)}</div>'


def css_colour(rgb: Sequence[float]) -> str:
    """(253, 231, 37) -> "rgb(253, 231, 37)"."""
    return "rgb({}, {}, {})".format(*(int(round(float(c))) for c in rgb))


def css_gradient(stops: Sequence[tuple[float, str]]) -> str:
    """A left-to-right CSS ``linear-gradient`` through (position in [0, 1], CSS colour) stops."""
    return "linear-gradient(to right, " + ", ".join(f"{colour} {position:.1%}" for position, colour in stops) + ")"


def anchor_stops(anchors: np.ndarray) -> list[tuple[float, str]]:
    """The stops of a colour map as :func:`colorize` spreads it: its anchors evenly from 0 to 1."""
    return [(i / (len(anchors) - 1), css_colour(a)) for i, a in enumerate(anchors)]


def legend_bar(stops: Sequence[tuple[float, str]]) -> str:
    """A small bar painted with a colour map, for a legend (``stops`` as :func:`css_gradient` takes them)."""
    return f'<span class="legend-bar" aria-hidden="true" style="background: {css_gradient(stops)}"></span>'


def legend_swatch(colour: str) -> str:
    """A small empty square framed in ``colour``, like the probe strip's frames."""
    return f'<span class="legend-swatch" aria-hidden="true" style="border-color: {colour}"></span>'


def legend_html(*parts: str) -> str:
    """One short line under a picture saying what its colours mean: bars, swatches and (already escaped) text."""
    return '<div class="legend">' + "".join(f"<span>{p}</span>" for p in parts) + "</div>"


# Each legend is written with its picture, in the visitor's language (about 10 us each).
def saliency_legend() -> str:
    """What the saliency overlays' heat means (short: in the Confusion tab it sits in a narrow column). Both maps
    are scaled to their own strongest pixel, so the brightest spot of each picture is its own maximum."""
    # TRANSLATORS: the two ends of a colour bar under a heat map laid over a digit. Short: a narrow column.
    return legend_html(_("no tint: no influence"), legend_bar(anchor_stops(_HEAT)), _("strongest in this picture"))


def feature_maps_legend() -> str:
    """What the feature maps' colours mean: :func:`normalize_each` scales every map on its own. Shown above the
    grids (several layers make them tall), so it is named: it is not the saliency key just above it."""
    # TRANSLATORS: the left and right of a colour bar (dark to bright yellow) above the feature maps' pictures.
    return legend_html(_("<b>Feature maps</b>: dark: weak"), legend_bar(anchor_stops(_SEQUENTIAL)),
                       _("bright yellow: strong response; each map scaled on its own: compare patterns, not "
                         "brightness"))


def filters_legend() -> str:
    """What the filters' colours mean: :func:`filter_grid` scales each filter by its own largest weight."""
    # TRANSLATORS: the left and right of a colour bar (blue, white, red) under the first layer's filters.
    return legend_html(_("blue: negative weight"), legend_bar(anchor_stops(_DIVERGING)),
                       _("red: positive; white between: about 0 (each filter scaled by its own largest weight)"))


def probes_legend() -> str:
    """What the probe strip's frames and their corner marks mean (a mark too, so colour is not the only sign)."""
    # TRANSLATORS: {percent} is the confidence under which the app says "not sure", e.g. "50%".
    unsure = _("? amber: right, but not sure (under {percent})", percent=percent(CONFIDENT, digits=0))
    return legend_html(legend_swatch(RIGHT_COLOUR), _("✓ green: read right"), legend_swatch(UNSURE_COLOUR), unsure,
                       legend_swatch(WRONG_COLOUR), _("✗ red: read wrong"),
                       _("under each: what the model reads, how sure"))


#: The saliency overlays' 28x28 pictures are shown this many times larger (280 px).
SALIENCY_SCALE = 10


def saliency_html(image: np.ndarray, explanation: Explanation) -> str:
    """The Grad-CAM and input-gradient overlays on the 28x28 input, with what each one means."""
    p = float(explanation.probabilities[explanation.target])
    cam_from = html.escape(explanation.cam_layer or _("no convolution"))
    # TRANSLATORS: HTML. {digit} the digit explained, {percent} how sure ("97%"), {layer} a layer name ("conv2").
    gradcam = _("<b>Grad-CAM</b> for “{digit}” ({percent}), from <code>{layer}</code>: where the last convolution "
                "found evidence for this digit", digit=explanation.target, percent=percent(p, digits=0),
                layer=cam_from)
    return (
        '<div class="inside-row saliency">'
        + _figure(overlay(image, explanation.gradcam.numpy()), SALIENCY_SCALE, gradcam,
                  title=_("Grad-CAM (Selvaraju et al., 2017) on the last convolution layer"))
        + _figure(overlay(image, explanation.input_gradient.numpy()), SALIENCY_SCALE,
                  _("<b>Input gradient</b>: the pixels whose change would move this score most"))
        + "</div>" + saliency_legend())


def feature_maps_html(explanation: Explanation) -> str:
    """Every convolution layer's maps as one grid each, captioned with the layer name and shape."""
    if not explanation.feature_maps:
        return placeholder_html(_("This model has no convolution layer, so there are no feature maps to show."))
    parts = []
    for fm in explanation.feature_maps:
        after = f" → {html.escape(fm.shown_after)}" if fm.shown_after != fm.name else ""
        # TRANSLATORS: after a layer's name and shape ("conv1 · 16 × 28 × 28"): {count} pictures of {height} ×
        # {width} pixels each.
        maps = n_("({count} map of {height} × {width})", "({count} maps of {height} × {width})", fm.shape[0],
                  height=fm.shape[1], width=fm.shape[2])
        caption = f"<b>{html.escape(fm.name)}</b>{after} · {shape_text(fm.shape)} {maps}"
        parts.append(_figure(feature_grid(fm.maps.numpy()), zoom_for(fm.shape[1]), caption, "inside-img feature-grid",
                             palette=SEQUENTIAL_PALETTE))
    return feature_maps_legend() + '<div class="inside-row feature-maps">' + "".join(parts) + "</div>"


#: What the Draw tab says above the picture of the model's input.
# TRANSLATORS: keep the non-breaking spaces around "×": "(28 ×" should never end a line.
MODEL_INPUT_CAPTION = N_("What the model sees (28\u00a0×\u00a028)")


def model_input_html(digit: np.ndarray | None) -> str:
    """The model's (28, 28) [0, 1] input as the Draw tab shows it: a 28x28 PNG inline (a few hundred bytes),
    enlarged ten times by the page with square pixels; a black square before anything is drawn.

    Inline rather than a ``gr.Image``: an image output is a file that Gradio hashes, writes to its temporary
    folder and the page fetches with a second request, per stroke. Two phones sending the same drawing at
    the same moment then wrote and served the same file at once, and 3-6% of those pictures came back empty.
    """
    if digit is None:
        # TRANSLATORS: what a screen reader says for the empty picture of the model's input.
        nothing = html.escape(_("nothing drawn yet"))
        picture = f'<div class="model-input-blank" role="img" aria-label="{nothing}"></div>'
    else:
        pixels = to_uint8_array(np.asarray(digit, np.float32))
        # TRANSLATORS: the alt text of the picture of the model's input.
        picture = img_tag(pixels, 10, alt=_("the drawing as the model sees it: 28 × 28 grey pixels"))
    caption = html.escape(_(MODEL_INPUT_CAPTION))
    return f'<figure class="model-input"><figcaption>{caption}</figcaption>{picture}</figure>'


def probe_strip_html(images: np.ndarray, labels: Sequence[int], probabilities: np.ndarray | None) -> str:
    """Ten test digits with the model's current reading under each: green when right and sure, amber when right
    but not sure (below :data:`~mnist_core.predict.CONFIDENT`, where the Draw tab says "not sure"), red when wrong.

    ``images`` (N, 28, 28) uint8, ``labels`` (N,), ``probabilities`` (N, 10) or None before training starts.
    """
    cells = []
    for i, (img, true) in enumerate(zip(images, labels, strict=True)):
        if probabilities is None:
            caption, cls, mark = "?", "probe-wait", ""
        else:
            guess = int(probabilities[i].argmax())
            confidence = float(probabilities[i, guess])
            caption = f"{guess} · {percent(confidence, digits=0)}"
            cls, sign = (("probe-wrong", "✗") if guess != int(true) else ("probe-right", "✓") if confidence >= CONFIDENT
                         else ("probe-unsure", "?"))
            # A mark on the frame's corner as well as its colour (not in the caption, which would widen the strip).
            mark = f'<span class="probe-mark">{sign}</span>'
        picture = png_uri(zoom_pixels(img, 3))  # 84 x 84, drawn in a 72-px box (CSS below): scaled down, never up
        # TRANSLATORS: the alt text of a test image; {digit} is what it shows.
        alt = html.escape(_("test digit {digit}", digit=int(true)))
        cells.append(f'<figure class="probe {cls}">{mark}<img class="inside-img" src="{picture}" '
                     f'alt="{alt}"><figcaption>{caption}</figcaption></figure>')
    return '<div class="probe-strip">' + "".join(cells) + "</div>" + probes_legend()


def filters_html(filters: np.ndarray | None, layer: str, when: str) -> str:
    """The first convolution's (N, kh, kw) filters as small pictures, with when they were taken ("after epoch 2",
    in the visitor's language already)."""
    if filters is None:
        return placeholder_html(_("This model has no convolution layer."))
    # TRANSLATORS: HTML. {layer} a layer's name ("conv1"), {count} filters of {height} × {width} weights each,
    # {when} when they were taken ("after epoch 2").
    caption = n_("<b>{layer}</b>: {count} filter of {height} × {width}, {when}",
                 "<b>{layer}</b>: {count} filters of {height} × {width}, {when}", len(filters),
                 layer=html.escape(layer), height=filters.shape[1], width=filters.shape[2], when=when)
    grid = _figure(filter_grid(filters), zoom_for(filters.shape[1], 36), caption, "inside-img filter-grid")
    return f'<div class="inside-row filters">{grid}</div>' + filters_legend()


#: Styles for the blocks above (added to the app's CSS).
CSS = asset("pictures.css", RIGHT_COLOUR=RIGHT_COLOUR, UNSURE_COLOUR=UNSURE_COLOUR, WRONG_COLOUR=WRONG_COLOUR)
