import pytest

from keras_dmtl import OrdinalTask


def test_ages_in_a_table_count_completed_years_before_grouping():
    groups = OrdinalTask("age_group", cut_points=[3, 7, 14],
                         rank_names=["0-2", "3-6", "7-13", "14+"])
    # 2.6 years old is 2: rounding would put the face in the next group.
    assert groups.parse_cell("2.6") == 2
    assert groups.label_index([groups.parse_cell("2.6")]).tolist() == [0]
    assert groups.parse_cell("30.5") == 30
    with pytest.raises(ValueError, match="too large"):
        groups.parse_cell("1e20")
    with pytest.raises(ValueError, match="negative"):
        groups.parse_cell("-3")


def test_fractional_ranks_are_refused():
    age = OrdinalTask("age", ranks=range(0, 117))
    assert age.parse_cell("31") == 31
    with pytest.raises(ValueError, match="not one of the ranks 0..116"):
        age.parse_cell("30.5")
