"""The words the CLI and the flows' logs share."""

from flows.words import did_you_mean, plural, verb


def test_plural_counts_one_apart_from_many():
    assert [plural(n, "chunk") for n in (0, 1, 2, 1234)] == ["0 chunks", "1 chunk", "2 chunks", "1,234 chunks"]
    assert plural(2, "hash") == "2 hashes" and plural(1, "practice") == "1 practice"



def test_the_verb_agrees_with_its_count():
    assert [f"{plural(n, 'link')} {verb(n, 'awaits', 'await')}" for n in (0, 1, 2)] == ["0 links await", "1 link awaits", "2 links await"]


def test_did_you_mean_names_the_known_id_typed_in_another_case_with_spaces_or_a_slip():
    known = ["P00004", "P00005", "P00040"]
    assert did_you_mean(["p00004"], known) == "; did you mean 'P00004'?"
    assert did_you_mean([" P00005 "], known) == "; did you mean 'P00005'?"
    assert did_you_mean(["P0005"], known) == "; did you mean 'P00005'?"  # a digit left out
    assert did_you_mean(["P00004"], known) == "" and did_you_mean(["NOPE", "X1"], known) == ""
    assert did_you_mean(["p00004", "p00040"], known) == "; did you mean 'P00004', 'P00040'?"
    # as near one as the other (found by QA, session 29: P0001 was said to be P00012 alone)
    assert did_you_mean(["P0001"], ["P00001", "P00012", "P00100"]) == "; did you mean 'P00001' or 'P00012'?"
    assert did_you_mean(["P0001", "p00100"], ["P00001", "P00012", "P00100"]) == "; did you mean 'P00001' or 'P00012', 'P00100'?"
    # one slip only: a practice gone from the registry is no slip of another (QA, session 30: P00001 -> 'P00060')
    assert did_you_mean(["P00001"], ["P00060", "P00010"]) == "; did you mean 'P00010'?"
    assert did_you_mean(["P00001"], ["P00060"]) == ""
    assert did_you_mean(["P00021"], ["P00012"]) == "; did you mean 'P00012'?"  # two neighbours swapped


def test_several_ids_in_one_value_are_told_to_take_a_p_each():
    """Found by QA (session 29): `scr status -p F01,F02` was "unknown practice 'F01,F02'" with no hint."""
    known = ["F01", "F02", "P00004"]
    assert did_you_mean(["F01,F02"], known) == "; give each practice its own -p: -p F01 -p F02"
    assert did_you_mean(["f01, F02 "], known) == "; give each practice its own -p: -p F01 -p F02"
    assert did_you_mean(["F01,X9"], known) == ""  # not every part is a practice: no guess
