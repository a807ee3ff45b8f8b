"""The words the CLI and the flows' logs share."""

from flows.words import plural, verb


def test_plural_counts_one_apart_from_many():
    assert [plural(n, "chunk") for n in (0, 1, 2, 1234)] == ["0 chunks", "1 chunk", "2 chunks", "1,234 chunks"]
    assert plural(2, "hash") == "2 hashes" and plural(1, "practice") == "1 practice"



def test_the_verb_agrees_with_its_count():
    assert [f"{plural(n, 'link')} {verb(n, 'awaits', 'await')}" for n in (0, 1, 2)] == ["0 links await", "1 link awaits", "2 links await"]
