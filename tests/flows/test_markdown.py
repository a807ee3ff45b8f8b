"""Prefect artifacts: a status detail quoting a landing file's value is literal text in their markdown."""

import re

from flows.markdown import md_text
from flows.wave import summary_markdown

HOSTILE = "xpm_clients.xml: line 4: DateOfBirth: not a date: '![x](https://evil.example/p.png) <img src=x> | [a](javascript:1)\nrow'"


def test_a_failure_detail_is_one_literal_table_cell_in_the_wave_summary():
    text = summary_markdown({"run_id": "r1", "practices": 1, "records": 3, "auto_links": 0, "review_links": 0,
                             "by_status": {"failed": 1}, "failures": {"P1": HOSTILE}})  # fmt: skip
    row = text.splitlines()[-1]
    assert row.startswith("| P1 | ") and row.endswith(" |") and text.count("\n| P1") == 1  # one row, whatever the detail
    for live in (r"!\[x\]\(", r"<img", r"\[a\]\(", r"\| \[a"):  # each as markdown would read it: not escaped
        assert not re.search(r"(?<!\\)" + live, text), live
    assert "\\!\\[x\\]\\(https://evil\\.example/p\\.png\\)" in row and "\\<img src=x\\>" in row and "\\|" in row


def test_md_text_keeps_plain_words_and_escapes_every_markdown_character():
    assert md_text("promoted (combine); 2 links await review") == "promoted \\(combine\\); 2 links await review"
    assert md_text("a\\b*c_d`e#f~g&h") == "a\\\\b\\*c\\_d\\`e\\#f\\~g\\&h"
