"""Coupling tasks through their relatedness (FaceBehaviorNet)."""

from keras_dmtl.coupling.action_units_to_expression import (
    ActionUnitsToExpression,
)
from keras_dmtl.coupling.compound_answers import compound_answers
from keras_dmtl.coupling.compound_expressions import CompoundExpressions
from keras_dmtl.coupling.compound_head import CompoundHead
from keras_dmtl.coupling.coupling import Coupling
from keras_dmtl.coupling.expression_to_action_units import (
    ExpressionToActionUnits,
)
from keras_dmtl.coupling.soft_co_annotation import SoftCoAnnotation
from keras_dmtl.coupling.task_relatedness import TaskRelatedness
