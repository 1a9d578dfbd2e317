"""Checks a list with one entry per label against the predictions."""


def check_per_label(name, values, y_pred):
    """Raises if a list with one entry per label does not fit `y_pred`.

    Args:
        name: the list's argument name, for the message.
        values: None (no check), or the list.
        y_pred: predictions of shape `(batch, L)`.

    Raises:
        ValueError: naming `name`, its length and the predictions' L.
    """
    if (
        values is not None
        and y_pred.shape[-1] is not None
        and y_pred.shape[-1] != len(values)
    ):
        raise ValueError(
            f"{name} has {len(values)} entries but the predictions have "
            f"{y_pred.shape[-1]} labels."
        )
