"""Final metrics beside what guessing gets."""


def results_against_chance(metrics, tasks, train, test):
    """Pairs each task metric with its chance level on the same test set.

    Args:
        metrics: dict from `model.evaluate(..., return_dict=True)`.
        tasks: the tasks to report.
        train: `FaceExamples` the model was trained on (for the guess).
        test: `FaceExamples` the metrics were measured on.

    Returns:
        A dict `{"<task>_<metric>": {"model": x, "chance": y}}`.
    """
    results = {}
    for task in tasks:
        chance = task.chance_metrics(train.labels[task.name],
                                     test.labels[task.name])
        for metric, value in chance.items():
            results[f"{task.name}_{metric}"] = {
                "model": float(metrics[f"{task.name}_{metric}"]),
                "chance": value,
            }
    return results


def format_results(results):
    """A plain-text table of `results_against_chance`."""
    lines = [f"{'metric':<22}{'model':>10}{'chance':>10}"]
    for name, row in results.items():
        lines.append(f"{name:<22}{row['model']:>10.4f}{row['chance']:>10.4f}")
    return "\n".join(lines)
