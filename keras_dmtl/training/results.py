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
    width = max([22] + [len(name) + 2 for name in results])
    lines = [f"{'metric':<{width}}{'model':>10}{'chance':>10}"]
    for name, row in results.items():
        lines.append(f"{name:<{width}}{row['model']:>10.4f}"
                     f"{row['chance']:>10.4f}")
    return "\n".join(lines)


def save_run(model, results, run):
    """Prints the results and task weights; saves the run and commits it.

    `metrics.json` and `model.keras` are written atomically, then
    `run.commit()` writes `run.json` last, so a run killed while it saves
    keeps its previous model and stays marked unfinished.

    Args:
        model: the trained `DMTLModel`.
        results: dict from `results_against_chance`.
        run: the `RunFolder` of the run.
    """
    print(format_results(results))
    results = dict(results, task_weights=model.current_task_weights())
    print("task weights (beta):", {k: round(v, 4) for k, v in
                                   results["task_weights"].items()})
    run.write_json("metrics.json", results)
    run.save_model(model)
    run.commit()
    print(f"Saved the model, history.csv and metrics.json in {run.path}")
