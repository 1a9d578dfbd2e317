"""The report's figures, drawn with matplotlib (no display needed)."""

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt, figure, path, dpi=100):
    figure.tight_layout()
    figure.savefig(path, dpi=dpi)
    plt.close(figure)


def cumulative_score_figure(scores, path):
    """CS(i) against i for each ordinal task (the paper's Figure 4)."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(6, 4))
    for name, values in scores.items():
        axis.plot(range(len(values)), values, marker="o", label=name)
    axis.set_xlabel("error level i (label units)")
    axis.set_ylabel("cumulative score CS(i)")
    axis.set_ylim(0, 1)
    axis.grid(alpha=0.3)
    axis.legend()
    _save(plt, figure, path)


def confusion_figure(counts, normalised, names, title, path):
    """Counts and row-normalised confusion matrices side by side."""
    plt = _pyplot()
    size = min(9, max(4, 0.45 * len(names) + 2))
    step = max(1, -(-len(names) // 24))  # at most ~24 tick labels
    ticks = list(range(0, len(names), step))
    figure, axes = plt.subplots(1, 2, figsize=(2 * size, size))
    for axis, matrix, label in ((axes[0], counts, "counts"),
                                (axes[1], normalised, "row-normalised")):
        axis.imshow(matrix, cmap="Blues")
        axis.set_title(f"{title}: {label}")
        axis.set_xticks(ticks, [names[i] for i in ticks], rotation=60,
                        ha="right")
        axis.set_yticks(ticks, [names[i] for i in ticks])
        axis.set_xlabel("predicted")
        axis.set_ylabel("labelled")
        if len(names) <= 12:
            for (i, j), value in np.ndenumerate(matrix):
                text = f"{value:.2f}" if label != "counts" else str(int(value))
                axis.text(j, i, text, ha="center", va="center", fontsize=7,
                          color="white" if value > matrix.max() / 2 else "black")
    _save(plt, figure, path)


def task_weight_figure(history, path):
    """beta of every task per epoch (the paper's Figure 3)."""
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(6, 4))
    columns = [c for c in history.columns
               if c.endswith("_beta") and not c.startswith("val_")]
    epochs = history["epoch"] + 1 if "epoch" in history else history.index + 1
    for column in columns:
        axis.plot(epochs, history[column], marker=".",
                  label=column[: -len("_beta")])
    axis.set_xlabel("epoch")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_ylabel("task weight beta")
    axis.grid(alpha=0.3)
    axis.legend()
    _save(plt, figure, path)


def grad_cam_figure(images, maps, captions, task_names, path):
    """A grid of faces (rows) by task heads (columns), maps overlaid.

    Args:
        images: array `(n, h, w, 3)` of 0..255 RGB.
        maps: dict from task name to `(n, h, w)` maps in 0..1.
        captions: dict from task name to a list of n captions.
        task_names: column order.
        path: output PNG.
    """
    plt = _pyplot()
    rows, cols = len(images), len(task_names) + 1
    figure, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 2.4 * rows),
                                squeeze=False)
    for i, image in enumerate(np.asarray(images, "float32") / 255.0):
        axes[i, 0].imshow(np.clip(image, 0, 1))
        axes[i, 0].set_title("face", fontsize=8)
        for j, name in enumerate(task_names, start=1):
            axes[i, j].imshow(np.clip(image, 0, 1))
            axes[i, j].imshow(maps[name][i], cmap="jet", alpha=0.45,
                              vmin=0, vmax=1)
            axes[i, j].set_title(f"{name}: {captions[name][i]}", fontsize=7)
    for axis in axes.flat:
        axis.axis("off")
    _save(plt, figure, path, dpi=90)


def label_f1_figure(names, table, title, path):
    """F1, precision and recall of each label of a multi-label task."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(max(6, 0.45 * len(names) + 2), 4))
    positions = np.arange(len(names))
    for offset, column in ((-0.27, "precision"), (0.0, "f1"),
                           (0.27, "recall")):
        axis.bar(positions + offset, table[column], width=0.27, label=column)
    axis.set_xticks(positions, names, rotation=60, ha="right")
    axis.set_ylim(0, 1.15)
    axis.set_yticks(np.linspace(0, 1, 6))
    axis.set_ylabel("score")
    axis.set_title(f"{title}: per label")
    axis.grid(alpha=0.3, axis="y")
    axis.legend(ncol=3, loc="upper center")
    _save(plt, figure, path)


def scatter_figure(labels, predicted, names, bounds, title, path):
    """Predicted against labelled values, one panel per output."""
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 4),
                                squeeze=False)
    for j, (axis, name) in enumerate(zip(axes[0], names)):
        mask = ~np.isnan(labels[:, j])
        axis.scatter(labels[mask, j], predicted[mask, j], s=6, alpha=0.5)
        low, high = bounds if bounds is not None else (
            np.nanmin(labels[:, j]), np.nanmax(labels[:, j]))
        axis.plot([low, high], [low, high], color="grey", lw=1)
        axis.set_xlim(low, high)
        axis.set_ylim(low, high)
        axis.set_xlabel(f"labelled {name}")
        axis.set_ylabel(f"predicted {name}")
        axis.set_title(f"{title}: {name}")
        axis.grid(alpha=0.3)
    _save(plt, figure, path)
