"""The vectorised E.164 fast path agrees with phonenumbers on every number it handles."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.phones import _e164, e164_fast, phone_e164

REGIONS = ["AU", "NZ", "UK", "US", "ROW", None]
# starts that steer phonenumbers' parsing: trunk prefixes, country codes, IDD prefixes, AU 1831/UK 180020 carriers
PREFIXES = [
    "", "+", "0", "00", "01", "02", "04", "07", "1", "61", "64", "44", "0011", "011", "0161", "0183", "01831",
    "0180020", "+6", "+61", "+610", "+614", "+6418", "+64", "+640", "+6421", "+44", "+440", "+447", "+44180020",
    "+1", "+11", "+1800", "1800",
]


def library(region: str | None, raw: str) -> str | None:
    """What phonenumbers itself says (the product's slow path): E.164 of a possible number, else None."""
    return _e164(region, raw)


def fast(rows: list[tuple[str | None, str]]) -> list[str | None]:
    frame = pl.DataFrame(rows, schema={"region": pl.String, "raw": pl.String}, orient="row")
    return frame.select(e164_fast(pl.col("region"), pl.col("raw"))).to_series().to_list()


# Arabic-Indic digits too: phonenumbers reads them as ASCII digits, so the fast path must leave them alone
digits = st.text("0123456789", max_size=12) | st.text("0123456789\u0660\u0664\u0669", max_size=12)
numbers = st.tuples(
    st.sampled_from(REGIONS), st.builds(lambda p, d: p + d, st.sampled_from(PREFIXES), digits)
).filter(lambda t: t[1] != "")


@settings(max_examples=300, deadline=None)
@given(st.lists(numbers, min_size=1, max_size=40))
def test_fast_path_agrees_with_phonenumbers_wherever_it_answers(rows):
    for (region, raw), got in zip(rows, fast(rows), strict=True):
        if got is not None:
            assert got == library(region, raw), (region, raw)


common = st.one_of(
    st.tuples(st.just("AU"), st.from_regex(r"\A0[2-9][0-9]{8}\Z")),
    st.tuples(st.just("NZ"), st.from_regex(r"\A0[2-9][0-9]{7,9}\Z")),
    st.tuples(st.just("UK"), st.from_regex(r"\A0[1-9][0-9]{8,9}\Z")),
    st.tuples(st.just("US"), st.from_regex(r"\A1?[2-9][0-9]{9}\Z")),
    st.tuples(st.sampled_from(REGIONS), st.from_regex(r"\A\+(61[2-9][0-9]{8}|64[2-9][0-9]{7,9}|44[1-9][0-9]{8,9}|1[2-9][0-9]{9})\Z")),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(common, min_size=1, max_size=40))
def test_common_shapes_take_the_fast_path_and_match_phonenumbers(rows):
    assert fast(rows) == [library(r, raw) for r, raw in rows]


def test_unusual_numbers_still_go_to_phonenumbers():
    rows = [
        ("AU", "0412 345 678"),  # fast
        ("ROW", "020 7946 0958"),  # no region to read a national number in: null
        ("ROW", "+33 1 42 68 53 00"),  # France: phonenumbers only
        ("AU", "(02) 9374 4000 ext 12"),  # extension digits run on: phonenumbers decides
        ("NZ", "+64 (0)21 849 8512"),  # trunk 0 after the country code
        ("US", "011 61 412 345 678"),  # US exit code then an AU number
        ("AU", "1300 655 506"),  # AU service number
        ("UK", "12"),  # too short
    ]
    frame = pl.DataFrame(rows, schema={"region": pl.String, "raw": pl.String}, orient="row")
    got = phone_e164(frame["region"], frame["raw"]).to_list()
    compact = [raw.replace(" ", "").replace("(", "").replace(")", "").replace("ext", "") for _, raw in rows]
    assert got == [library(r, c) for (r, _), c in zip(rows, compact, strict=True)]
    assert got[0] == "+61412345678" and got[1] is None and got[2] == "+33142685300"
