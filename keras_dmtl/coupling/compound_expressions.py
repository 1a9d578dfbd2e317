"""Zero-shot compound expressions from action units (Du et al. 2014)."""

import csv
import os
import re

import numpy as np

DU2014_COMPOUNDS_FILE = os.path.join(os.path.dirname(__file__),
                                     "du2014_compound_expressions.csv")
DU2014_COMPOUNDS_CITATION = (
    "Du, S., Tao, Y. and Martinez, A. M. (2014). Compound facial expressions "
    "of emotion. PNAS 111(15), E1454-E1462, Table 1. "
    "doi:10.1073/pnas.1322355111")
_AU_NAME = re.compile(r"^(?:AU)?0*(\d+)$", re.IGNORECASE)
_FLOOR = 1e-7  # the least expression probability taken to a log


class CompoundExpressions:
    """Scores compound expressions from predicted action units, zero-shot.

    Du et al. (2014) found 15 compound expressions of emotion ("happily
    surprised", "appalled", ...) each made of a few prototypical action
    units (AUs used by over 70 % of subjects) and some variants (used by
    fewer), and each combining two basic expressions. A model that predicts
    AUs (and basic expressions) can so name compounds it was never trained
    on. The table ships as `du2014_compound_expressions.csv`; appalled and
    hatred combine disgust and anger, awed fear and surprise (see the CSV's
    header for the sources).

    The score. Each compound c is a template of AU probabilities over the
    AU task's labels i: theta[c, i] is `prototypical_probability` (0.95)
    for its prototypical AUs, `variant_probability` (0.5: optional) for
    its variants and `other_probability` (0.2: lightly penalised when on)
    for the task's other AUs. With p_i the predicted probability of AU i
    and q the predicted expression distribution, the log-score is the
    expected log-likelihood of the predicted AUs under the template, plus
    the log of the geometric mean of the two basic expressions'
    probabilities:

        S_c = sum_i [p_i log theta[c, i] + (1 - p_i) log(1 - theta[c, i])]
              + expression_weight * (log q_a(c) + log q_b(c)) / 2

    (the second line only when expression probabilities are given; q is
    floored at 1e-7). `scores` is softmax_c(S_c): the posterior of a naive
    Bayes model of independent AUs with a uniform prior over the compounds,
    a distribution over the compounds of each face. It scores which
    compound a face shows best, not whether it shows one at all.

    Args:
        action_units: list of str, the labels of the AU task in its output
            order (`MultiLabelTask.labels`). Table AUs the task lacks are
            left out (`notes` says which); a compound left with no
            prototypical AU is an error.
        expressions: optional list of str, the classes of the expression
            task in its output order; every compound's two basic expressions
            must be among them. None: score from the AUs alone.
        compounds: None (default: Du et al.'s 15) or a list of dicts with
            `name`, `expressions` (two class names), `prototypical` and
            `variants` (AU names such as `"AU12"`, or numbers).
        prototypical_probability: float in (0, 1), theta of a prototypical
            AU. Defaults to 0.95.
        variant_probability: float in (0, 1), theta of a variant AU.
            Defaults to 0.5.
        other_probability: float in (0, 1), theta of an AU in neither list.
            Defaults to 0.2.
        expression_weight: float >= 0, the weight of the expression term.
            Defaults to 1.0.
        action_unit_task: str, the name of the AU task whose outputs
            `compound_answers` reads. Defaults to `"aus"`.
        expression_task: str, the name of the expression task. Defaults to
            `"expression"`.
        citation: optional str; defaults to Du et al. for their table.

    Attributes:
        names: the compound names, in the order of the scores' columns.
        prototypical, variants: per compound, the AUs of the task it uses.
        dropped: dict from compound to the table AUs the task lacks.
        notes: one line per compound and kind of AU left out.
        template: `(compounds, len(action_units))` theta.
        pairs: `(compounds, 2)` indices into `expressions`, or None.

    Raises:
        ValueError: naming the compound and the bad AU name, expression,
            repeated name or probability.

    Example:

    ```python
    compounds = keras_dmtl.coupling.CompoundExpressions(
        ["AU1", "AU2", "AU4", "AU10", "AU12", "AU17", "AU25"],
        expressions=["angry", "disgust", "fear", "happy", "sad", "surprise",
                     "neutral"])
    compounds.notes  # the table's AUs these labels lack, per compound
    p = np.array([[.9, .9, .1, .1, .9, .1, .9]])  # AU1, AU2, AU12, AU25 on
    compounds.answer(p)[0]["label"]  # 'happily surprised'
    compounds = keras_dmtl.coupling.CompoundExpressions.for_model(model)
    ```
    """

    def __init__(self, action_units, expressions=None, compounds=None,
                 prototypical_probability=0.95, variant_probability=0.5,
                 other_probability=0.2, expression_weight=1.0,
                 action_unit_task="aus", expression_task="expression",
                 citation=None):
        self.action_units = [str(a) for a in action_units]
        if not self.action_units:
            raise ValueError("CompoundExpressions needs the AU task's labels,"
                             " got none.")
        self.expressions = (None if expressions is None
                            else [str(e) for e in expressions])
        if citation is None and compounds is None:
            citation = DU2014_COMPOUNDS_CITATION
        self.compounds = [_checked_compound(row) for row in (
            self.du2014_compounds() if compounds is None else compounds)]
        self.names = [row["name"] for row in self.compounds]
        repeated = sorted({n for n in self.names if self.names.count(n) > 1})
        if not self.names or repeated:
            raise ValueError(f"CompoundExpressions needs distinct compound "
                             f"names; got {self.names}.")
        for field, value in (
                ("prototypical_probability", prototypical_probability),
                ("variant_probability", variant_probability),
                ("other_probability", other_probability)):
            if not 0.0 < float(value) < 1.0:
                raise ValueError(f"{field} must lie in (0, 1), got {value!r}.")
            setattr(self, field, float(value))
        self.expression_weight = float(expression_weight)
        if not self.expression_weight >= 0.0:
            raise ValueError(f"expression_weight must be >= 0, got "
                             f"{expression_weight!r}.")
        self.action_unit_task = str(action_unit_task)
        self.expression_task = str(expression_task)
        self.citation = citation
        self._match_tasks()

    def _match_tasks(self):
        """Keeps the AUs the task has; builds the templates and pairs."""
        task_aus = {_au_name(a, quiet=True): j
                    for j, a in enumerate(self.action_units)}
        self.prototypical, self.variants, self.dropped = [], [], {}
        self.notes = []
        self.template = np.full((len(self.names), len(self.action_units)),
                                self.other_probability)
        for c, row in enumerate(self.compounds):
            for field, kept, theta in (
                    ("prototypical", self.prototypical,
                     self.prototypical_probability),
                    ("variants", self.variants, self.variant_probability)):
                kept.append([self.action_units[task_aus[a]]
                             for a in row[field] if a in task_aus])
                self.template[c, [task_aus[a] for a in row[field]
                                  if a in task_aus]] = theta
                lacking = [a for a in row[field] if a not in task_aus]
                if lacking:
                    self.dropped.setdefault(row["name"], []).extend(lacking)
                    self.notes.append(
                        f"{row['name']}: {field} {', '.join(lacking)} not "
                        "among the AU task's labels, left out")
            if not self.prototypical[c]:
                raise ValueError(
                    f"compound '{row['name']}': none of its prototypical "
                    f"action units {row['prototypical']} is a label of the "
                    f"AU task ({self.action_units}); leave the compound out.")
        self.pairs = None
        if self.expressions is not None:
            for row in self.compounds:
                unknown = [e for e in row["expressions"]
                           if e not in self.expressions]
                if unknown:
                    raise ValueError(
                        f"compound '{row['name']}' combines {unknown}, not "
                        f"classes of the expression task {self.expressions}.")
            self.pairs = np.array([[self.expressions.index(e)
                                    for e in row["expressions"]]
                                   for row in self.compounds])

    # === Sources ===

    @staticmethod
    def du2014_compounds():
        """Du et al.'s 15 compounds, read from the package's CSV.

        Returns:
            A list of dicts with `name`, `expressions` (two FER2013 class
            names), `prototypical` and `variants` (AU names), ready to
            filter and pass as `compounds`.
        """
        with open(DU2014_COMPOUNDS_FILE, newline="") as handle:
            rows = list(csv.DictReader(
                line for line in handle if not line.startswith("#")))
        return [{"name": row["compound"],
                 "expressions": [row["first"], row["second"]],
                 **{field: [f"AU{n}" for n in row[field].split()]
                    for field in ("prototypical", "variants")}}
                for row in rows]

    @classmethod
    def for_tasks(cls, action_unit_task, expression_task=None, **kwargs):
        """Compounds matched to a model's AU task (and expression task).

        Args:
            action_unit_task: the multi-label task of action units.
            expression_task: optional nominal task of basic expressions.
            **kwargs: the other constructor arguments.
        """
        if expression_task is not None:
            kwargs.setdefault("expressions", expression_task.classes)
            kwargs.setdefault("expression_task", expression_task.name)
        return cls(action_unit_task.labels,
                   action_unit_task=action_unit_task.name, **kwargs)

    @classmethod
    def for_model(cls, model, action_units="aus", expression="expression",
                  **kwargs):
        """Compounds matched to the tasks of a `DMTLModel`, found by name.

        Args:
            model: a `DMTLModel` (or anything with `tasks`).
            action_units: str, the name of its AU task.
            expression: str or None, the name of its expression task; used
                when the model has a task of that name.
            **kwargs: the other constructor arguments.
        """
        from keras_dmtl.tasks.task import find_task

        names = [task.name for task in model.tasks]
        expression_task = (find_task(model.tasks, expression)
                           if expression in names else None)
        return cls.for_tasks(find_task(model.tasks, action_units),
                             expression_task, **kwargs)

    # === Scores ===

    def log_scores(self, au_probabilities, expression_probabilities=None):
        """S_c of the class docstring: `(n, compounds)` log-scores.

        Args:
            au_probabilities: `(n, len(action_units))` (or one face's
                `(len(action_units),)`) probabilities in [0, 1].
            expression_probabilities: optional `(n, len(expressions))`.
        """
        p = self._probabilities(au_probabilities, self.action_units,
                                "au_probabilities")
        theta = self.template
        scores = p @ np.log(theta).T + (1 - p) @ np.log1p(-theta).T
        if expression_probabilities is None:
            return scores
        if self.pairs is None:
            raise ValueError("expression_probabilities given, but these "
                             "compounds know no expression classes; pass "
                             "expressions= (or for_tasks with the task).")
        q = self._probabilities(expression_probabilities, self.expressions,
                                "expression_probabilities")
        if len(q) != len(p):
            raise ValueError(f"{len(p)} faces of AU probabilities but "
                             f"{len(q)} of expression probabilities.")
        log_q = np.log(np.maximum(q, _FLOOR))
        return scores + self.expression_weight * log_q[:, self.pairs].mean(-1)

    def scores(self, au_probabilities, expression_probabilities=None):
        """softmax_c(S_c): `(n, compounds)`, each row summing to 1."""
        scores = self.log_scores(au_probabilities, expression_probabilities)
        shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)

    def answer(self, au_probabilities, expression_probabilities=None):
        """One record per face: `{"label": best, "scores": {name: score}}`.

        Takes the arguments of `log_scores`; returns a list even for one
        face.
        """
        return self.decode(self.scores(au_probabilities,
                                       expression_probabilities))

    def decode(self, scores):
        """Records `{"label", "scores"}` from `(n, compounds)` scores."""
        return [{"label": self.names[int(np.argmax(row))],
                 "scores": {n: round(float(s), 6)
                            for n, s in zip(self.names, row)}}
                for row in np.asarray(scores)]

    def _probabilities(self, values, names, field):
        try:
            array = np.asarray(values, dtype="float64")
        except (TypeError, ValueError):
            raise ValueError(f"{field} must hold numbers, got "
                             f"{values!r}.") from None
        if array.ndim == 1:
            array = array[None]
        if array.ndim != 2 or array.shape[1] != len(names):
            raise ValueError(f"{field} has shape {array.shape}; give one "
                             f"column per one of {names}.")
        bad = ~np.isfinite(array) | (array < 0) | (array > 1)
        if bad.any():
            row, column = np.argwhere(bad)[0]
            raise ValueError(f"{field} of face {row}, {names[column]}, is "
                             f"{array[row, column]}; give a probability in "
                             "[0, 1].")
        return array

    # === Config ===

    def get_config(self):
        return {
            "action_units": list(self.action_units),
            "expressions": self.expressions,
            "compounds": [dict(row) for row in self.compounds],
            "prototypical_probability": self.prototypical_probability,
            "variant_probability": self.variant_probability,
            "other_probability": self.other_probability,
            "expression_weight": self.expression_weight,
            "action_unit_task": self.action_unit_task,
            "expression_task": self.expression_task,
            "citation": self.citation,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return (f"CompoundExpressions({len(self.names)} compounds over "
                f"{len(self.action_units)} action units"
                f"{'' if self.expressions is None else ' and expressions'})")


def _au_name(value, compound=None, quiet=False):
    """'AU12' from 12, '12', 'au12' or 'AU012'; else a ValueError."""
    match = _AU_NAME.match(str(value).strip())
    if match:
        return f"AU{int(match.group(1))}"
    if quiet:
        return str(value)
    raise ValueError(f"compound '{compound}': {value!r} is not an action unit"
                     " name; give AU<number> (AU12) or a number (12).")


def _checked_compound(row):
    """A compound dict with its names checked and AU names normalised."""
    if not isinstance(row, dict) or "name" not in row:
        raise ValueError(f"a compound must be a dict with name, expressions, "
                         f"prototypical and variants; got {row!r}.")
    name = str(row["name"])
    expressions = [str(e) for e in row.get("expressions", ())]
    if len(expressions) != 2 or expressions[0] == expressions[1]:
        raise ValueError(f"compound '{name}' must combine two different basic"
                         f" expressions, got {expressions}.")
    checked = {"name": name, "expressions": expressions}
    for field in ("prototypical", "variants"):
        values = row.get(field) or []
        if isinstance(values, str):
            values = values.replace(",", " ").split()
        checked[field] = [_au_name(v, name) for v in values]
    both = sorted(set(checked["prototypical"]) & set(checked["variants"]),
                  key=lambda a: int(a[2:]))
    if both:
        raise ValueError(f"compound '{name}': {both} are both prototypical "
                         "and variants; give each AU once.")
    if not checked["prototypical"]:
        raise ValueError(f"compound '{name}' has no prototypical action "
                         "unit.")
    return checked
